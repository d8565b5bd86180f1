// Decoder and disassembler of the byte layout: turns a compiled program back
// into structures and text (like nftables' delinearize), so what the matcher
// runs can be read and compared with what the dialect meant.
import * as L from "../../assembly/layout.ts";
import { formatIpv4, formatIpv6 } from "../model/addr.ts";

export interface DecodedRule {
  index: number;
  ruleset: number;
  tests: number;
  action: "permit" | "deny";
  marks: number;
  family: number;
  proto: number;
  src: { words: number[]; len: number; negate: boolean } | null;
  dst: { words: number[]; len: number; negate: boolean } | null;
  sport: { op: number; lo: number; hi: number } | null;
  dport: { op: number; lo: number; hi: number } | null;
  icmpType: number | null;
  icmpCode: number | null;
  flags: { mask: number; value: number; mode: number } | null;
  ifIn: number | null;
  ifOut: number | null;
  time: { minuteFrom: number; minuteTo: number; dow: number; days: number; months: number } | null;
}

export interface DecodedProgram {
  version: number;
  ruleCount: number;
  ifaceCount: number;
  checksum: number;
  monitor: number | null;
  rulesets: { first: number; count: number; defaults: [number, number, number]; stateful: boolean }[];
  bindings: { input: number | null; output: number | null }[];
  rules: DecodedRule[];
}

export class DecodeError extends Error {}

export function decodeProgram(buf: Uint8Array): DecodedProgram {
  if (buf.length < L.PROGRAM_HEADER_SIZE) throw new DecodeError("shorter than the header");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (dv.getUint32(L.HDR_MAGIC, true) !== L.PROGRAM_MAGIC) throw new DecodeError("bad magic");
  const total = dv.getUint32(L.HDR_TOTAL_LENGTH, true);
  if (total !== buf.length) throw new DecodeError(`length ${buf.length} but header says ${total} (trailing or missing bytes)`);
  const ruleCount = dv.getUint32(L.HDR_RULE_COUNT, true);
  const rsCount = dv.getUint32(L.HDR_RULESET_COUNT, true);
  const ifaceCount = dv.getUint16(L.HDR_IFACE_COUNT, true);
  const rsOff = dv.getUint32(L.HDR_RULESETS_OFFSET, true);
  const bOff = dv.getUint32(L.HDR_BINDINGS_OFFSET, true);
  const rOff = dv.getUint32(L.HDR_RULES_OFFSET, true);
  if (rOff + ruleCount * L.RULE_SIZE !== total) throw new DecodeError("rule table does not end at the end of the program");
  const opt = (v: number) => (v === L.NO_RULESET ? null : v);
  const mon = dv.getUint16(L.HDR_MONITOR_RULESET, true);
  const rulesets = Array.from({ length: rsCount }, (_, i) => {
    const o = rsOff + i * L.RULESET_SIZE;
    return {
      first: dv.getUint32(o + L.RS_FIRST_RULE, true),
      count: dv.getUint32(o + L.RS_RULE_COUNT, true),
      defaults: [dv.getUint8(o + L.RS_DEFAULT_INBOUND), dv.getUint8(o + L.RS_DEFAULT_OUTBOUND), dv.getUint8(o + L.RS_DEFAULT_OTHER)] as [number, number, number],
      stateful: (dv.getUint8(o + L.RS_FLAGS) & L.RS_STATEFUL) !== 0,
    };
  });
  const bindings = Array.from({ length: ifaceCount }, (_, i) => ({
    input: opt(dv.getUint16(bOff + i * L.BINDING_SIZE + L.BIND_INPUT, true)),
    output: opt(dv.getUint16(bOff + i * L.BINDING_SIZE + L.BIND_OUTPUT, true)),
  }));
  const rules = Array.from({ length: ruleCount }, (_, i) => decodeRule(dv, rOff + i * L.RULE_SIZE, i));
  return {
    version: dv.getUint16(L.HDR_VERSION, true), ruleCount, ifaceCount, checksum: dv.getUint32(L.HDR_CHECKSUM, true),
    monitor: opt(mon), rulesets, bindings, rules,
  };
}

function decodeRule(dv: DataView, o: number, index: number): DecodedRule {
  const tests = dv.getUint16(o + L.R_TESTS, true);
  const marks = dv.getUint8(o + L.R_MARKS);
  const family = dv.getUint8(o + L.R_FAMILY);
  const words = (a0: number, a1: number) => (family === 6 ? [dv.getUint32(o + a0, true), ...[0, 1, 2].map((k) => dv.getUint32(o + a1 + 4 * k, true))] : [dv.getUint32(o + a0, true)]);
  const has = (bit: number) => (tests & bit) !== 0;
  return {
    index, tests, marks, family,
    ruleset: dv.getUint32(o + L.R_RULESET, true),
    action: dv.getUint8(o + L.R_ACTION) === L.ACTION_DENY ? "deny" : "permit",
    proto: dv.getUint8(o + L.R_PROTO),
    src: has(L.TEST_SRC) ? { words: words(L.R_SRC0, L.R_SRC1), len: dv.getUint8(o + L.R_SRC_LEN), negate: (marks & L.MARK_SRC_NEG) !== 0 } : null,
    dst: has(L.TEST_DST) ? { words: words(L.R_DST0, L.R_DST1), len: dv.getUint8(o + L.R_DST_LEN), negate: (marks & L.MARK_DST_NEG) !== 0 } : null,
    sport: has(L.TEST_SPORT) ? { op: dv.getUint8(o + L.R_SPORT_OP), lo: dv.getUint16(o + L.R_SPORT_LO, true), hi: dv.getUint16(o + L.R_SPORT_HI, true) } : null,
    dport: has(L.TEST_DPORT) ? { op: dv.getUint8(o + L.R_DPORT_OP), lo: dv.getUint16(o + L.R_DPORT_LO, true), hi: dv.getUint16(o + L.R_DPORT_HI, true) } : null,
    icmpType: has(L.TEST_ICMP_TYPE) ? dv.getUint8(o + L.R_ICMP_TYPE) : null,
    icmpCode: has(L.TEST_ICMP_CODE) ? dv.getUint8(o + L.R_ICMP_CODE) : null,
    flags: has(L.TEST_FLAGS) ? { mask: dv.getUint8(o + L.R_FLAGS_MASK), value: dv.getUint8(o + L.R_FLAGS_VALUE), mode: dv.getUint8(o + L.R_FLAGS_MODE) } : null,
    ifIn: has(L.TEST_IFIN) ? dv.getUint8(o + L.R_IF_IN) : null,
    ifOut: has(L.TEST_IFOUT) ? dv.getUint8(o + L.R_IF_OUT) : null,
    time: has(L.TEST_TIME)
      ? { minuteFrom: dv.getUint16(o + L.R_MINUTE_FROM, true), minuteTo: dv.getUint16(o + L.R_MINUTE_TO, true), dow: dv.getUint8(o + L.R_DOW_MASK), days: dv.getUint32(o + L.R_DAY_MASK, true), months: dv.getUint16(o + L.R_MONTH_MASK, true) }
      : null,
  };
}

const OP_NAMES = ["any", "eq", "neq", "lt", "gt", "range"];
const FLAG_LETTERS = "FSRPAU";

function flagLetters(bits: number): string {
  let s = "";
  for (let i = 0; i < 6; i++) if (bits & (1 << i)) s += FLAG_LETTERS[i];
  return s || "-";
}

function port(p: { op: number; lo: number; hi: number }): string {
  const op = OP_NAMES[p.op] ?? `op${p.op}`;
  if (p.op === L.PORT_OP_RANGE) return `range ${p.lo}-${p.hi}`;
  if (p.op === L.PORT_OP_LT) return p.lo > p.hi ? "lt 0" : `lt ${p.hi + 1}`;
  if (p.op === L.PORT_OP_GT) return p.lo > p.hi ? "gt 65535" : `gt ${p.lo - 1}`;
  return `${op} ${p.lo}`;
}

function addr(a: { words: number[]; len: number; negate: boolean }, family: number): string {
  return `${a.negate ? "!" : ""}${family === 6 ? formatIpv6(a.words) : formatIpv4(a.words[0])}/${a.len}`;
}

export function formatDecodedRule(r: DecodedRule, ifaces: string[] = []): string {
  const parts = [`#${r.index}`, `rs${r.ruleset}`, r.action];
  if (r.tests & L.TEST_FAMILY) parts.push(`ip${r.family === 6 ? "6" : "4"}`);
  if (r.tests & L.TEST_PROTO) parts.push(`proto ${r.proto}`);
  parts.push(`from ${r.src ? addr(r.src, r.family) : "any"}`);
  parts.push(`to ${r.dst ? addr(r.dst, r.family) : "any"}`);
  if (r.sport) parts.push(`sport ${port(r.sport)}`);
  if (r.dport) parts.push(`dport ${port(r.dport)}`);
  if (r.icmpType !== null) parts.push(`icmp-type ${r.icmpType}`);
  if (r.icmpCode !== null) parts.push(`icmp-code ${r.icmpCode}`);
  if (r.flags) parts.push(r.flags.mode === L.FLAGS_ANY ? `flags any-of ${flagLetters(r.flags.mask)}` : `flags ${flagLetters(r.flags.value)}/${flagLetters(r.flags.mask)}`);
  if (r.ifIn !== null) parts.push(`in ${ifaces[r.ifIn] ?? r.ifIn}`);
  if (r.ifOut !== null) parts.push(`out ${ifaces[r.ifOut] ?? r.ifOut}`);
  if (r.time) {
    const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
    parts.push(`time ${hm(r.time.minuteFrom)}-${hm(r.time.minuteTo)} dow 0x${r.time.dow.toString(16)} days 0x${r.time.days.toString(16)} months 0x${r.time.months.toString(16)}`);
  }
  if (r.marks & L.MARK_LOG) parts.push("log");
  if (r.marks & L.MARK_NOTIFY) parts.push("notify");
  if (r.marks & L.MARK_KEEP_STATE) parts.push("keep-state");
  return parts.join(" ");
}

export function disassemble(buf: Uint8Array, ifaces: string[] = []): string {
  const p = decodeProgram(buf);
  const v = (x: number) => (x === L.VERDICT_DENY ? "deny" : "permit");
  const lines = [
    `program v${p.version}: ${p.ruleCount} rules, ${p.rulesets.length} rulesets, ${p.ifaceCount} interfaces, ${buf.length} bytes, checksum 0x${p.checksum.toString(16).padStart(8, "0")}`,
  ];
  p.rulesets.forEach((rs, i) => {
    lines.push(`ruleset ${i}: rules ${rs.first}..${rs.first + rs.count - 1} (${rs.count}) default inbound=${v(rs.defaults[0])} outbound=${v(rs.defaults[1])} other=${v(rs.defaults[2])}${rs.stateful ? " stateful" : ""}${p.monitor === i ? " monitor" : ""}`);
  });
  p.bindings.forEach((b, i) => {
    lines.push(`interface ${i}${ifaces[i] ? ` (${ifaces[i]})` : ""}: input ${b.input === null ? "none" : `ruleset ${b.input}`}, output ${b.output === null ? "none" : `ruleset ${b.output}`}`);
  });
  for (const r of p.rules) lines.push(formatDecodedRule(r, ifaces));
  return lines.join("\n") + "\n";
}
