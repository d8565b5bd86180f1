// Regions of the header space for people and scripts: one box as the JSON
// region of `diff --json` (closed ranges, one interval per field), in plain
// words, and one example packet in `explain`'s syntax.
import { type ISet, type Value } from "./intervals.ts";
import {
  type Box, type Shape, D_IN, D_OUT, D_PROTO, D_SRC, D_DST, D_SPORT, D_DPORT, D_TYPE, D_CODE, D_FLAGS, D_TIME, D_DAY, D_MONTH,
  MINUTES_PER_WEEK, addressSpace,
} from "./space.ts";
import { formatAddress, type Address } from "../model/addr.ts";
import { TCP_FLAG_BITS } from "../model/rule.ts";

/** The fields the JSON gives as one range; flags, day and month are lists of values. */
const EXPANDED = [D_IN, D_OUT, D_PROTO, D_SRC, D_DST, D_SPORT, D_DPORT, D_TYPE, D_CODE, D_TIME];
export const LIST_FIELDS = [D_FLAGS, D_DAY, D_MONTH];

/** Split a box into boxes with one interval per field (flags stay a set). */
export function flatten(box: Box, nIfaces: number): Box[] {
  let out: Box[] = [box];
  for (const d of EXPANDED) {
    const s = box[d];
    const full = (d === D_IN || d === D_OUT) && s.length === 2 && s[0] === 0 && s[1] === nIfaces;
    let parts: ISet[];
    if (full) parts = [s];
    else if (d === D_IN || d === D_OUT) {
      parts = [];
      for (let i = 0; i < s.length; i += 2) for (let v = s[i] as number; v < (s[i + 1] as number); v++) parts.push([v, v + 1]);
    } else {
      if (s.length === 2) continue;
      parts = [];
      for (let i = 0; i < s.length; i += 2) parts.push([s[i], s[i + 1]]);
    }
    if (parts.length === 1) continue;
    out = out.flatMap((b) => parts.map((p) => {
      const c = [...b];
      c[d] = p;
      return c;
    }));
  }
  return out;
}

function addrText(v: Value, family: 4 | 6): string {
  const words: number[] = [];
  if (family === 4) words.push(Number(v));
  else for (let i = 3; i >= 0; i--) words.push(Number((BigInt(v) >> BigInt(32 * i)) & 0xffffffffn));
  return formatAddress({ family, words } as Address);
}

function last(v: Value): Value {
  return typeof v === "bigint" ? v - 1n : v - 1;
}

const lo = (s: ISet) => s[0];
const hiIncl = (s: ISet) => last(s[s.length - 1]);

function values(s: ISet): number[] {
  const out: number[] = [];
  for (let i = 0; i < s.length; i += 2) for (let v = s[i] as number; v < (s[i + 1] as number); v++) out.push(v);
  return out;
}

function hasTime(b: Box): boolean {
  return !(b[D_TIME][0] === 0 && b[D_TIME][1] === MINUTES_PER_WEEK && b[D_DAY][0] === 1 && b[D_DAY][1] === 32 && b[D_MONTH][0] === 1 && b[D_MONTH][1] === 13);
}

/** The JSON region of a flat box (fields in a fixed order; absent = any value). */
export function regionJson(b: Box, shape: Shape, interfaces: string[]): Record<string, unknown> {
  const r: Record<string, unknown> = {};
  const n = interfaces.length;
  const iface = (s: ISet) => (s[0] === 0 && s[1] === n ? undefined : interfaces[s[0] as number]);
  if (iface(b[D_IN]) !== undefined) r.in = iface(b[D_IN]);
  if (iface(b[D_OUT]) !== undefined) r.out = iface(b[D_OUT]);
  r.family = shape.family;
  r.frag = shape.name === "later" ? ["later"] : ["none", "first"];
  r.proto = [lo(b[D_PROTO]), hiIncl(b[D_PROTO])];
  r.src = [addrText(lo(b[D_SRC]), shape.family), addrText(hiIncl(b[D_SRC]), shape.family)];
  r.dst = [addrText(lo(b[D_DST]), shape.family), addrText(hiIncl(b[D_DST]), shape.family)];
  if (shape.name === "tcp" || shape.name === "ports") {
    r.sport = [lo(b[D_SPORT]), hiIncl(b[D_SPORT])];
    r.dport = [lo(b[D_DPORT]), hiIncl(b[D_DPORT])];
  }
  if (shape.name === "icmp") {
    r.icmp_type = [lo(b[D_TYPE]), hiIncl(b[D_TYPE])];
    r.icmp_code = [lo(b[D_CODE]), hiIncl(b[D_CODE])];
  }
  if (shape.name === "tcp") r.tcp_flags = values(b[D_FLAGS]);
  if (hasTime(b)) {
    r.time = [lo(b[D_TIME]), hiIncl(b[D_TIME])];
    r.day = values(b[D_DAY]);
    r.month = values(b[D_MONTH]);
  }
  return r;
}

// ---- plain words ----

const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "icmp6", 132: "sctp", 136: "udplite", 4: "ipip" };

function range(s: ISet, one: (v: Value) => string): string {
  const a = lo(s), z = hiIncl(s);
  return a === z ? one(a) : `${one(a)}-${one(z)}`;
}

/** "any", "192.168.1.0/24", "10.0.0.1" or "10.0.0.3-10.0.0.9". */
export function addrRangeText(s: ISet, family: 4 | 6): string {
  const space = addressSpace(family);
  if (s[0] === space[0] && s[1] === space[1]) return "any";
  const bits = family === 4 ? 32 : 128;
  const a = BigInt(s[0]), z = BigInt(s[1]);
  const size = z - a;
  if ((size & (size - 1n)) === 0n && a % size === 0n) {
    const len = bits - (size.toString(2).length - 1);
    return len === bits ? addrText(s[0], family) : `${addrText(s[0], family)}/${len}`;
  }
  return `${addrText(s[0], family)}-${addrText(last(s[1]), family)}`;
}

function flagsText(f: number): string {
  return Object.entries(TCP_FLAG_BITS).filter(([, bit]) => (f & bit) !== 0).map(([c]) => c).join("") || "none";
}

const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
function minuteText(m: number): string {
  const d = Math.floor(m / 1440), t = m % 1440;
  return `${DAYS[d]} ${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}`;
}

export function regionText(b: Box, shape: Shape, interfaces: string[]): string {
  const p = b[D_PROTO];
  const protoText = p[1] === (p[0] as number) + 1 ? (PROTO_NAMES[p[0] as number] ?? `proto ${p[0]}`) : `proto ${range(p, String)}`;
  const parts = [`IPv${shape.family} ${protoText}`];
  const ports = (s: ISet) => (s[0] === 0 && s[1] === 65536 ? "" : ` port ${range(s, String)}`);
  const has = shape.name === "tcp" || shape.name === "ports";
  parts.push(`from ${addrRangeText(b[D_SRC], shape.family)}${has ? ports(b[D_SPORT]) : ""}`);
  parts.push(`to ${addrRangeText(b[D_DST], shape.family)}${has ? ports(b[D_DPORT]) : ""}`);
  if (shape.name === "icmp") {
    if (!(b[D_TYPE][0] === 0 && b[D_TYPE][1] === 256)) parts.push(`type ${range(b[D_TYPE], String)}`);
    if (!(b[D_CODE][0] === 0 && b[D_CODE][1] === 256)) parts.push(`code ${range(b[D_CODE], String)}`);
  }
  if (shape.name === "tcp") {
    const fs = values(b[D_FLAGS]);
    if (fs.length < 64) parts.push(fs.length <= 8 ? `flags ${fs.map(flagsText).join(",")}` : `${fs.length} of the 64 flag combinations`);
  }
  if (shape.name === "later") parts.push("(non-first fragments)");
  if (hasTime(b)) {
    let t = `at ${minuteText(lo(b[D_TIME]) as number)}-${minuteText(hiIncl(b[D_TIME]) as number)}`;
    const list = (s: ISet) => values(s).join(",");
    if (!(b[D_DAY][0] === 1 && b[D_DAY][1] === 32)) t += `, day ${list(b[D_DAY])}`;
    if (!(b[D_MONTH][0] === 1 && b[D_MONTH][1] === 13)) t += `, month ${list(b[D_MONTH])}`;
    parts.push(t);
  }
  const n = interfaces.length;
  const iface = (s: ISet) => (s[0] === 0 && s[1] === n ? "any" : interfaces[s[0] as number]);
  return `${parts.join(" ")}, ${iface(b[D_IN])} -> ${iface(b[D_OUT])}`;
}

// ---- an example packet ----

const SPEC_PROTOS: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 58: "icmp6", 132: "sctp" };

function pick(s: ISet, prefer: Value[] = []): Value {
  for (const v of prefer) {
    for (let i = 0; i < s.length; i += 2) if (s[i] <= v && v < s[i + 1]) return v;
  }
  return s[0];
}

/** A value inside the first interval, a little past its start ("192.168.1.10" rather than the network address). */
function pickAddr(s: ISet): Value {
  const a = s[0], z = s[1];
  if (typeof a === "bigint") return (z as bigint) - a > 10n ? a + 10n : a;
  return (z as number) - a > 10 ? a + 10 : a;
}

/** A real date with the given weekday, day and month, for `time=`. */
function dateFor(dow: number, day: number, month: number): string | null {
  for (let y = 2026; y < 2026 + 56; y++) {
    const d = new Date(Date.UTC(y, month - 1, day));
    if (d.getUTCDate() === day && d.getUTCDay() === dow) return `${y}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  }
  return null;
}

/** One packet of the box, in the syntax of `explain --packet`. */
export function examplePacket(b: Box, shape: Shape, interfaces: string[]): string {
  const proto = pick(b[D_PROTO], [6, 17, 1, 58, 50]) as number;
  const fam = shape.family;
  const host = (v: Value) => (fam === 6 ? `[${addrText(v, fam)}]` : addrText(v, fam));
  const src = pickAddr(b[D_SRC]);
  const dst = pickAddr(b[D_DST]);
  const words: string[] = [SPEC_PROTOS[proto] ?? String(proto)];
  const withPorts = shape.name === "tcp" || shape.name === "ports";
  if (withPorts) {
    words.push(`${host(src)}:${pick(b[D_SPORT], [1024])}`, ">", `${host(dst)}:${pick(b[D_DPORT])}`);
  } else {
    words.push(addrText(src, fam), ">", addrText(dst, fam));
  }
  // A packet that crosses the appliance: leaving by another interface than it came in, when the region allows.
  const ifIn = b[D_IN][0] as number;
  const outs = b[D_OUT];
  const ifOut = outs[0] !== ifIn || (outs[1] as number) - (outs[0] as number) === 1 ? (outs[0] as number) : ifIn + 1;
  words.push(`in=${interfaces[ifIn]}`, `out=${interfaces[ifOut]}`);
  if (shape.name === "tcp") words.push(`flags=${flagsText(pick(b[D_FLAGS], [2, 18, 16]) as number).replace("none", "")}`);
  if (shape.name === "icmp") words.push(`type=${pick(b[D_TYPE], [8, 128])}`, `code=${pick(b[D_CODE], [0])}`);
  if (shape.name === "later") words.push("frag=later");
  if (hasTime(b)) {
    const m = pick(b[D_TIME]) as number;
    const date = dateFor(Math.floor(m / 1440), pick(b[D_DAY]) as number, pick(b[D_MONTH]) as number);
    const t = m % 1440;
    if (date) words.push(`time=${date}T${String(Math.floor(t / 60)).padStart(2, "0")}:${String(t % 60).padStart(2, "0")}:00`);
  }
  return words.join(" ");
}
