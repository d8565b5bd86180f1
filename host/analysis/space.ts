// The header space the analyses work in: every packet a policy can judge, as
// boxes (one interval set per field), and every rule as the box of packets it
// matches. The fields and their encodings follow the reference matcher
// (host/engine/reference.ts) and the parser (host/engine/parse-packet.ts):
//
//   in, out   interface index (the appliance's order)
//   family    4 or 6
//   frag      0 none, 1 first, 2 later (only "later" changes what a rule tests)
//   proto     0..255
//   src, dst  the address as a number (IPv4) or a bigint (IPv6)
//   sport, dport  0..65535, PORT_ABSENT for a packet without ports
//   type, code    0..255, ICMP_ABSENT for a packet without ICMP fields
//   flags     0..63 (the parser keeps the low six bits), FLAGS_ABSENT
//   time      minute of the week, 0 = Sunday 00:00 .. 10079
//   day, month    day of the month 1..31, month 1..12
//
// Which layer-4 fields a packet has follows from its protocol and fragment
// state, so the space is a union of "shapes" (tcp, udp-like, icmp, other,
// non-first fragment), each a box whose absent fields are a single point.
// A rule is one box within each shape: a negated prefix or a neq port is a
// two-interval set, a flags test the set of flag bytes it accepts.
import { type ISet, type Value, interval, intersect, isEmpty, fromPairs, fromPredicate, minus, subset, intersects } from "./intervals.ts";
import { type Rule, type PortTest, type TimeWindow, portRange, hasLayer4Tests, ruleFamily } from "../model/rule.ts";
import type { Prefix } from "../model/addr.ts";

export const D_IN = 0, D_OUT = 1, D_FAMILY = 2, D_FRAG = 3, D_PROTO = 4, D_SRC = 5, D_DST = 6, D_SPORT = 7, D_DPORT = 8,
  D_TYPE = 9, D_CODE = 10, D_FLAGS = 11, D_TIME = 12, D_DAY = 13, D_MONTH = 14;
export const NDIMS = 15;

export const PORT_ABSENT = 65536;
export const ICMP_ABSENT = 256;
export const FLAGS_ABSENT = 64;
export const FRAG_NONE = 0, FRAG_FIRST = 1, FRAG_LATER = 2;
export const MINUTES_PER_WEEK = 7 * 1440;

/** One interval set per field. */
export type Box = ISet[];

export type ShapeName = "tcp" | "ports" | "icmp" | "other" | "later";

/** One part of the header space with a fixed set of present fields. */
export interface Shape {
  name: ShapeName;
  family: 4 | 6;
  box: Box;
}

export const PORT_PROTOS = [6, 17, 132, 136];
export const ICMP_PROTOS = [1, 58];
const V6_EXTENSIONS = [0, 43, 44, 51, 60];

export function addressSpace(family: 4 | 6): ISet {
  return family === 4 ? [0, 2 ** 32] : [0n, 1n << 128n];
}

function fullBox(nIfaces: number): Box {
  return [
    interval(0, nIfaces), interval(0, nIfaces), [4, 5, 6, 7], [0, 3], [0, 256], EMPTY_ADDR, EMPTY_ADDR,
    [0, PORT_ABSENT + 1], [0, PORT_ABSENT + 1], [0, ICMP_ABSENT + 1], [0, ICMP_ABSENT + 1], [0, FLAGS_ABSENT + 1],
    [0, MINUTES_PER_WEEK], [1, 32], [1, 13],
  ];
}
const EMPTY_ADDR: ISet = [];

function point(v: number): ISet {
  return [v, v + 1];
}

/** Month groups by their number of days (a packet's date is a real date). */
const MONTH_GROUPS: { months: ISet; days: ISet }[] = [
  { months: fromPredicate(12, (m) => [1, 3, 5, 7, 8, 10, 12].includes(m + 1), 1), days: [1, 32] },
  { months: fromPredicate(12, (m) => [4, 6, 9, 11].includes(m + 1), 1), days: [1, 31] },
  { months: [2, 3], days: [1, 30] },
];

/**
 * The shapes of the whole space for `nIfaces` interfaces; with `realDates`,
 * each shape is split by month so that no region holds a day the month lacks
 * (only worth it when some rule tests the day or month).
 */
export function shapes(nIfaces: number, realDates: boolean): Shape[] {
  const out: Shape[] = [];
  for (const family of [4, 6] as const) {
    const base = fullBox(nIfaces);
    base[D_FAMILY] = point(family);
    base[D_SRC] = base[D_DST] = addressSpace(family);
    const whole = fromPredicate(256, () => true);
    const notExt = family === 6 ? fromPredicate(256, (p) => !V6_EXTENSIONS.includes(p)) : whole;
    const noPorts = point(PORT_ABSENT), noIcmp = point(ICMP_ABSENT), noFlags = point(FLAGS_ABSENT);
    const head: Box = [...base];
    head[D_FRAG] = [FRAG_NONE, FRAG_FIRST + 1];
    const mk = (name: ShapeName, proto: ISet, ports: boolean, icmp: boolean, flags: boolean, frag?: ISet): Shape => {
      const b: Box = [...(frag ? base : head)];
      if (frag) b[D_FRAG] = frag;
      b[D_PROTO] = proto;
      b[D_SPORT] = b[D_DPORT] = ports ? [0, PORT_ABSENT] : noPorts;
      b[D_TYPE] = b[D_CODE] = icmp ? [0, ICMP_ABSENT] : noIcmp;
      b[D_FLAGS] = flags ? [0, FLAGS_ABSENT] : noFlags;
      return { name, family, box: b };
    };
    const set = (ps: number[]) => fromPredicate(256, (p) => ps.includes(p));
    out.push(
      mk("tcp", point(6), true, false, true),
      mk("ports", set([17, 132, 136]), true, false, false),
      mk("icmp", set(ICMP_PROTOS), false, true, false),
      mk("other", minus(notExt, set([...PORT_PROTOS, ...ICMP_PROTOS])), false, false, false),
      mk("later", whole, false, false, false, point(FRAG_LATER)),
    );
  }
  if (!realDates) return out;
  return out.flatMap((s) => MONTH_GROUPS.map((g) => {
    const b = [...s.box];
    b[D_MONTH] = g.months;
    b[D_DAY] = g.days;
    return { ...s, box: b };
  }));
}

// ---- rules as boxes ----

function prefixRange(p: Prefix): ISet {
  if (p.family === 4) {
    const lo = p.words[0] >>> 0;
    const size = 2 ** (32 - p.len);
    return [lo, lo + size];
  }
  let lo = 0n;
  for (const w of p.words) lo = (lo << 32n) | BigInt(w >>> 0);
  return [lo, lo + (1n << BigInt(128 - p.len))];
}

function addrSet(a: Rule["src"]): ISet | null {
  if (!a) return null;
  const r = prefixRange(a.prefix);
  return a.negate ? minus(addressSpace(a.prefix.family), r) : r;
}

function portSet(t: PortTest): ISet {
  const { lo, hi, negate } = portRange(t);
  const inside = lo <= hi ? interval(lo, hi + 1) : [];
  return negate ? minus([0, PORT_ABSENT], inside) : inside;
}

export function timeSet(w: TimeWindow): { time: ISet; days: ISet; months: ISet } {
  const pairs: [Value, Value][] = [];
  for (let dow = 0; dow < 7; dow++) {
    if (((w.daysOfWeek >> dow) & 1) === 0) continue;
    const base = dow * 1440;
    if (w.minuteFrom <= w.minuteTo) pairs.push([base + w.minuteFrom, base + w.minuteTo + 1]);
    else pairs.push([base + w.minuteFrom, base + 1440], [base, base + w.minuteTo + 1]);
  }
  return {
    time: fromPairs(pairs),
    days: fromPredicate(31, (d) => ((w.days >> d) & 1) === 1, 1),
    months: fromPredicate(12, (m) => ((w.months >> m) & 1) === 1, 1),
  };
}

/**
 * The packets of `shape` that `rule` matches, as a box, or null if none.
 * `ifaceIndex` maps the rule's interface names to the space's indexes. For a
 * non-first fragment a deny with layer-4 tests never matches and a permit
 * with them matches on its layer-3 part (dialects.md, Cisco's rule).
 */
export function ruleBox(rule: Rule, shape: Shape, ifaceIndex: (name: string) => number): Box | null {
  const later = shape.name === "later";
  if (later && rule.action === "deny" && hasLayer4Tests(rule)) return null;
  const b: Box = [...shape.box];
  const narrow = (d: number, s: ISet | null): boolean => {
    if (s === null) return true;
    b[d] = intersect(b[d], s);
    return !isEmpty(b[d]);
  };
  const fam = ruleFamily(rule);
  if (fam !== null && fam !== shape.family) return null;
  if (rule.ifIn !== null) {
    const i = ifaceIndex(rule.ifIn);
    if (i < 0 || !narrow(D_IN, point(i))) return null;
  }
  if (rule.ifOut !== null) {
    const i = ifaceIndex(rule.ifOut);
    if (i < 0 || !narrow(D_OUT, point(i))) return null;
  }
  if (rule.proto !== null && !narrow(D_PROTO, point(rule.proto))) return null;
  if (!narrow(D_SRC, addrSet(rule.src)) || !narrow(D_DST, addrSet(rule.dst))) return null;
  if (!later) {
    if (rule.sport && !narrow(D_SPORT, portSet(rule.sport))) return null;
    if (rule.dport && !narrow(D_DPORT, portSet(rule.dport))) return null;
    if (rule.icmpType !== null && !narrow(D_TYPE, point(rule.icmpType))) return null;
    if (rule.icmpCode !== null && !narrow(D_CODE, point(rule.icmpCode))) return null;
    if (rule.flags) {
      const f = rule.flags;
      const s = fromPredicate(FLAGS_ABSENT, (v) => (f.mode === "any" ? (v & f.mask) !== 0 : (v & f.mask) === (f.value & f.mask)));
      if (!narrow(D_FLAGS, s)) return null;
    }
  }
  if (rule.time) {
    const t = timeSet(rule.time);
    if (!narrow(D_TIME, t.time) || !narrow(D_DAY, t.days) || !narrow(D_MONTH, t.months)) return null;
  }
  return b;
}

/** The fields where `inner` is narrower than `outer` (inner within outer). */
export function narrowedDims(inner: Box, outer: Box): number[] {
  const out: number[] = [];
  for (let d = 0; d < NDIMS; d++) if (!subset(outer[d], inner[d])) out.push(d);
  return out;
}

export function boxIntersects(a: Box, b: Box, dims: readonly number[]): boolean {
  for (const d of dims) if (!intersects(a[d], b[d])) return false;
  return true;
}

/** Does box r hold all of x, judged on r's narrowed fields? */
export function boxCovers(r: Box, x: Box, dims: readonly number[]): boolean {
  for (const d of dims) if (!subset(x[d], r[d])) return false;
  return true;
}

export function boxIntersect(a: Box, b: Box): Box {
  return a.map((s, d) => intersect(s, b[d]));
}

export function boxEmpty(a: Box): boolean {
  return a.some(isEmpty);
}
