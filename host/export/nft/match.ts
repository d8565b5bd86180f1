// One rule of the model as nft match expressions, exactly: the same packets
// match (reference.ts ruleMatches is the statement being mirrored).
//
// - A test that can never hold (a port test on ICMP, `lt 0`, a negated /0,
//   an unknown interface) makes that nft rule absent, not approximate.
// - Layer-4 tests (ports, ICMP type/code, TCP flags) read the transport
//   header with payload loads, and the kernel lets those read a non-first
//   fragment's payload as if it were a header (found by the differential
//   test: a DENY with a flags test dropped a later fragment). So the base
//   chain marks non-first fragments (LATER_FRAGMENT_BIT of the packet mark)
//   and each ruleset sends them to a chain of its own, where a PERMIT rule
//   with layer-4 tests has only its layer-3 part and a DENY rule with them is
//   absent (dialects.md, Cisco's rule). The main chain then needs no test
//   per rule.
import { type Rule, type PortTest, type TimeWindow, portRange, hasLayer4Tests, ruleFamily } from "../../model/rule.ts";
import { prefixText, quote } from "./syntax.ts";

/** The protocols whose first four transport bytes are the two ports (the parser reads ports for these only). */
export const PORT_PROTOS = [6, 17, 132, 136];
const ICMP_PROTOS = [1, 58];

export interface MatchContext {
  /** appliance interface name -> the name nft sees (after --map); absent: the interface does not exist */
  ifname: (name: string) => string | null;
  /** ClassBench's 5-tuple semantics: port tests read the first four transport bytes whatever the protocol. */
  portsAnyProtocol?: boolean;
}

/** A rule's nft match expressions (each list is joined by spaces into one nft rule). */
export interface Translation {
  /** For packets that are not non-first fragments (null: the rule can never match one). */
  main: string[] | null;
  /**
   * For non-first fragments, which the base chain marks and sends to a ruleset's
   * fragment chain: the layer-3 part of a PERMIT rule with layer-4 tests, nothing
   * for a DENY rule with them, the whole rule otherwise.
   */
  later: string[] | null;
}

/** Named sets the table declares once (an anonymous set per rule costs the kernel a set object each). */
export const PROTO_SETS: Record<string, number[]> = { pc_port_protos: PORT_PROTOS, pc_icmp_protos: ICMP_PROTOS };

function protoSet(list: number[]): string {
  const named = Object.entries(PROTO_SETS).find(([, v]) => v.length === list.length && v.every((x, i) => x === list[i]));
  return named ? `@${named[0]}` : `{ ${list.join(", ")} }`;
}

const NEVER = Symbol("never");
type Exprs = string[] | typeof NEVER;

function portExpr(field: "sport" | "dport", t: PortTest): string | typeof NEVER {
  const { lo, hi, negate } = portRange(t);
  if (lo > hi) return negate ? `` : NEVER; // an empty neq never happens (neq is one port)
  const range = lo === hi ? `${lo}` : `${lo}-${hi}`;
  return `th ${field} ${negate ? "!= " : ""}${range}`;
}

function hhmm(minute: number, second: number): string {
  const h = Math.floor(minute / 60), m = minute % 60;
  return `"${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:${String(second).padStart(2, "0")}"`;
}

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

/** `meta hour` and `meta day` for a window (its day-of-month and month parts are checked by losses.ts). */
export function timeExprs(w: TimeWindow): Exprs {
  const out: string[] = [];
  const days = w.daysOfWeek & 0x7f;
  if (days === 0) return NEVER;
  // Minutes are inclusive: minute M is the seconds M:00 to M:59.
  if (!(w.minuteFrom === 0 && w.minuteTo === 1439) && !(w.minuteFrom === w.minuteTo + 1)) {
    if (w.minuteFrom <= w.minuteTo) out.push(`meta hour ${hhmm(w.minuteFrom, 0)}-${hhmm(w.minuteTo, 59)}`);
    else out.push(`meta hour { ${hhmm(0, 0)}-${hhmm(w.minuteTo, 59)}, ${hhmm(w.minuteFrom, 0)}-${hhmm(1439, 59)} }`);
  }
  if (days !== 0x7f) out.push(`meta day { ${DAY_NAMES.filter((_, d) => (days >> d) & 1).map((n) => `"${n}"`).join(", ")} }`);
  return out;
}

function addrExpr(dir: "saddr" | "daddr", a: NonNullable<Rule["src"]>): string | typeof NEVER | null {
  if (a.prefix.len === 0) return a.negate ? NEVER : null; // /0: only the family, tested elsewhere
  return `${a.prefix.family === 4 ? "ip" : "ip6"} ${dir} ${a.negate ? "!= " : ""}${prefixText(a.prefix)}`;
}

/** The layer-3 part: family, addresses, protocol, interfaces, time. */
function layer3(r: Rule, ctx: MatchContext): Exprs {
  const out: string[] = [];
  const fam = ruleFamily(r);
  const src = r.src ? addrExpr("saddr", r.src) : null;
  const dst = r.dst ? addrExpr("daddr", r.dst) : null;
  if (src === NEVER || dst === NEVER) return NEVER;
  // `ip saddr` implies the family in an inet table; a bare family needs saying.
  if (fam !== null && src === null && dst === null) out.push(`meta nfproto ${fam === 4 ? "ipv4" : "ipv6"}`);
  if (src) out.push(src);
  if (dst) out.push(dst);
  if (r.proto !== null) out.push(`meta l4proto ${r.proto}`);
  for (const [key, name] of [["iifname", r.ifIn], ["oifname", r.ifOut]] as const) {
    if (name === null) continue;
    const nft = ctx.ifname(name);
    if (nft === null) return NEVER;
    out.push(`${key} ${quote(nft)}`);
  }
  if (r.time) {
    const t = timeExprs(r.time);
    if (t === NEVER) return NEVER;
    out.push(...t);
  }
  return out;
}

/** The layer-4 part, with the protocol restriction the tests imply. */
function layer4(r: Rule, ctx: MatchContext): Exprs {
  let protos: number[] | null = r.proto === null ? null : [r.proto];
  const narrow = (allowed: number[]) => { protos = (protos ?? allowed).filter((p) => allowed.includes(p)); };
  if ((r.sport || r.dport) && !ctx.portsAnyProtocol) narrow(PORT_PROTOS);
  if (r.icmpType !== null || r.icmpCode !== null) narrow(ICMP_PROTOS);
  if (r.flags) narrow([6]);
  const list = protos as number[] | null;
  if (list !== null && list.length === 0) return NEVER;
  const out: string[] = [];
  if (r.proto === null && list !== null) out.push(list.length === 1 ? `meta l4proto ${list[0]}` : `meta l4proto ${protoSet(list)}`);
  for (const [field, t] of [["sport", r.sport], ["dport", r.dport]] as const) {
    if (!t) continue;
    const e = portExpr(field, t);
    if (e === NEVER) return NEVER;
    if (e) out.push(e);
  }
  // Raw loads: the first two bytes of an ICMP or ICMPv6 header are its type and code.
  if (r.icmpType !== null) out.push(`@th,0,8 ${r.icmpType}`);
  if (r.icmpCode !== null) out.push(`@th,8,8 ${r.icmpCode}`);
  if (r.flags) {
    // The parser keeps the six classic flag bits (byte 13 & 0x3f).
    const mask = r.flags.mask & 0x3f;
    if (r.flags.mode === "any") {
      if (mask === 0) return NEVER;
      out.push(`@th,104,8 & 0x${mask.toString(16)} != 0`);
    } else {
      if ((r.flags.value & r.flags.mask & ~0x3f) !== 0) return NEVER;
      if (mask !== 0) out.push(`@th,104,8 & 0x${mask.toString(16)} == 0x${(r.flags.value & mask).toString(16)}`);
      else out.push(`@th,104,8 & 0x0 == 0x0`); // no flag tested, but the packet must carry a TCP header
    }
  }
  return out;
}

/** The packet-mark bit the base chain sets on non-first fragments (see markLaterFragments). */
export const LATER_FRAGMENT_BIT = "0x20000000";

/** The statements that clear and set LATER_FRAGMENT_BIT; they must run before any translated rule. */
export function markLaterFragments(): string[] {
  return [
    `meta mark set meta mark & 0x${(~0x20000000 >>> 0).toString(16)}`,
    `ip frag-off & 0x1fff != 0 meta mark set meta mark | ${LATER_FRAGMENT_BIT}`,
    `frag frag-off != 0 meta mark set meta mark | ${LATER_FRAGMENT_BIT}`,
  ];
}

export function translateRule(r: Rule, ctx: MatchContext): Translation {
  const l3 = layer3(r, ctx);
  if (l3 === NEVER) return { main: null, later: null };
  const l4 = layer4(r, ctx);
  const main = l4 === NEVER ? null : [...l3, ...l4];
  if (!hasLayer4Tests(r)) return { main, later: main };
  return { main, later: r.action === "permit" ? l3 : null };
}

/** Does a ruleset need a separate chain for non-first fragments (some rule reads layer 4)? */
export function needsLaterChain(rules: Rule[]): boolean {
  return rules.some(hasLayer4Tests);
}
