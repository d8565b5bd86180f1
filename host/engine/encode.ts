// Lowers a Policy to the byte layout of assembly/layout.ts (the one documented
// layout), and computes the checksum the WebAssembly side verifies.
import * as L from "../../assembly/layout.ts";
import { maskWord } from "../model/addr.ts";
import { type Policy, type Rule, type PortTest, portRange, ruleFamily } from "../model/rule.ts";

const PORT_OPS = { eq: L.PORT_OP_EQ, neq: L.PORT_OP_NEQ, lt: L.PORT_OP_LT, gt: L.PORT_OP_GT, range: L.PORT_OP_RANGE } as const;
const VERDICTS = { permit: L.VERDICT_PERMIT, deny: L.VERDICT_DENY } as const;

export function fnv1a(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h >>> 0;
}

export class EncodeError extends Error {}

export function encodePolicy(p: Policy): Uint8Array {
  const ruleCount = p.rulesets.reduce((n, rs) => n + rs.rules.length, 0);
  const rsOff = L.PROGRAM_HEADER_SIZE;
  const bOff = rsOff + p.rulesets.length * L.RULESET_SIZE;
  const rOff = bOff + p.interfaces.length * L.BINDING_SIZE;
  const total = rOff + ruleCount * L.RULE_SIZE;
  if (ruleCount > L.MAX_RULES) throw new EncodeError(`too many rules: ${ruleCount} (at most ${L.MAX_RULES})`);
  if (p.interfaces.length > L.MAX_IFACES) throw new EncodeError(`too many interfaces: ${p.interfaces.length}`);
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  dv.setUint32(L.HDR_MAGIC, L.PROGRAM_MAGIC, true);
  dv.setUint16(L.HDR_VERSION, L.PROGRAM_VERSION, true);
  dv.setUint16(L.HDR_HEADER_SIZE, L.PROGRAM_HEADER_SIZE, true);
  dv.setUint32(L.HDR_RULE_COUNT, ruleCount, true);
  dv.setUint32(L.HDR_RULESET_COUNT, p.rulesets.length, true);
  dv.setUint32(L.HDR_RULE_SIZE, L.RULE_SIZE, true);
  dv.setUint32(L.HDR_RULESETS_OFFSET, rsOff, true);
  dv.setUint32(L.HDR_BINDINGS_OFFSET, bOff, true);
  dv.setUint32(L.HDR_RULES_OFFSET, rOff, true);
  dv.setUint32(L.HDR_TOTAL_LENGTH, total, true);
  dv.setUint16(L.HDR_IFACE_COUNT, p.interfaces.length, true);
  dv.setUint16(L.HDR_MONITOR_RULESET, p.monitor ?? L.NO_RULESET, true);

  let first = 0;
  p.rulesets.forEach((rs, i) => {
    const o = rsOff + i * L.RULESET_SIZE;
    dv.setUint32(o + L.RS_FIRST_RULE, first, true);
    dv.setUint32(o + L.RS_RULE_COUNT, rs.rules.length, true);
    dv.setUint8(o + L.RS_DEFAULT_INBOUND, VERDICTS[rs.defaults.inbound]);
    dv.setUint8(o + L.RS_DEFAULT_OUTBOUND, VERDICTS[rs.defaults.outbound]);
    dv.setUint8(o + L.RS_DEFAULT_OTHER, VERDICTS[rs.defaults.other]);
    dv.setUint8(o + L.RS_FLAGS, rs.stateful ? L.RS_STATEFUL : 0);
    rs.rules.forEach((r, k) => encodeRule(dv, rOff + (first + k) * L.RULE_SIZE, r, i, p.interfaces));
    first += rs.rules.length;
  });
  for (let i = 0; i < p.interfaces.length; i++) {
    const o = bOff + i * L.BINDING_SIZE;
    dv.setUint16(o + L.BIND_INPUT, p.input[i] ?? L.NO_RULESET, true);
    dv.setUint16(o + L.BIND_OUTPUT, p.output[i] ?? L.NO_RULESET, true);
  }
  dv.setUint32(L.HDR_CHECKSUM, fnv1a(buf, L.PROGRAM_HEADER_SIZE), true);
  return buf;
}

function encodePort(dv: DataView, o: number, t: PortTest | null, opOff: number, loOff: number, hiOff: number): boolean {
  if (!t) return false;
  const { lo, hi } = portRange(t);
  dv.setUint8(o + opOff, PORT_OPS[t.op]);
  // lt 0 and gt 65535 can never match: keep them as an empty range (lo > hi).
  dv.setUint16(o + loOff, Math.max(0, Math.min(65535, lo)), true);
  dv.setUint16(o + hiOff, Math.max(0, Math.min(65535, hi)), true);
  if (lo > hi) { dv.setUint16(o + loOff, 1, true); dv.setUint16(o + hiOff, 0, true); }
  return true;
}

function interfaceId(name: string, interfaces: string[]): number {
  const i = interfaces.indexOf(name);
  if (i < 0) throw new EncodeError(`rule names interface "${name}", which the appliance does not have`);
  return i;
}

export function encodeRule(dv: DataView, o: number, r: Rule, ruleset: number, interfaces: string[]): void {
  let tests = 0;
  let marks = (r.log ? L.MARK_LOG : 0) | (r.notify ? L.MARK_NOTIFY : 0) | (r.keepState ? L.MARK_KEEP_STATE : 0);
  const fam = ruleFamily(r);
  if (fam !== null) { tests |= L.TEST_FAMILY; dv.setUint8(o + L.R_FAMILY, fam); }
  if (r.proto !== null) { tests |= L.TEST_PROTO; dv.setUint8(o + L.R_PROTO, r.proto); }
  if (r.src) {
    tests |= L.TEST_SRC;
    if (r.src.negate) marks |= L.MARK_SRC_NEG;
    dv.setUint8(o + L.R_SRC_LEN, r.src.prefix.len);
    writePrefix(dv, o, r.src.prefix.words, r.src.prefix.len, L.R_SRC0, L.R_SRC_MASK0, L.R_SRC1, L.R_SRC_MASK1);
  }
  if (r.dst) {
    tests |= L.TEST_DST;
    if (r.dst.negate) marks |= L.MARK_DST_NEG;
    dv.setUint8(o + L.R_DST_LEN, r.dst.prefix.len);
    writePrefix(dv, o, r.dst.prefix.words, r.dst.prefix.len, L.R_DST0, L.R_DST_MASK0, L.R_DST1, L.R_DST_MASK1);
  }
  if (encodePort(dv, o, r.sport, L.R_SPORT_OP, L.R_SPORT_LO, L.R_SPORT_HI)) tests |= L.TEST_SPORT;
  if (encodePort(dv, o, r.dport, L.R_DPORT_OP, L.R_DPORT_LO, L.R_DPORT_HI)) tests |= L.TEST_DPORT;
  if (r.icmpType !== null) { tests |= L.TEST_ICMP_TYPE; dv.setUint8(o + L.R_ICMP_TYPE, r.icmpType); }
  if (r.icmpCode !== null) { tests |= L.TEST_ICMP_CODE; dv.setUint8(o + L.R_ICMP_CODE, r.icmpCode); }
  if (r.flags) {
    tests |= L.TEST_FLAGS;
    dv.setUint8(o + L.R_FLAGS_MASK, r.flags.mask);
    dv.setUint8(o + L.R_FLAGS_VALUE, r.flags.value & r.flags.mask);
    dv.setUint8(o + L.R_FLAGS_MODE, r.flags.mode === "any" ? L.FLAGS_ANY : L.FLAGS_ALL);
  }
  if (r.ifIn !== null) { tests |= L.TEST_IFIN; dv.setUint8(o + L.R_IF_IN, interfaceId(r.ifIn, interfaces)); }
  if (r.ifOut !== null) { tests |= L.TEST_IFOUT; dv.setUint8(o + L.R_IF_OUT, interfaceId(r.ifOut, interfaces)); }
  if (r.time) {
    tests |= L.TEST_TIME;
    dv.setUint16(o + L.R_MINUTE_FROM, r.time.minuteFrom, true);
    dv.setUint16(o + L.R_MINUTE_TO, r.time.minuteTo, true);
    dv.setUint16(o + L.R_MONTH_MASK, r.time.months & 0xfff, true);
    dv.setUint32(o + L.R_DAY_MASK, r.time.days & 0x7fffffff, true);
    dv.setUint8(o + L.R_DOW_MASK, r.time.daysOfWeek & 0x7f);
  }
  dv.setUint16(o + L.R_TESTS, tests, true);
  dv.setUint8(o + L.R_ACTION, r.action === "deny" ? L.ACTION_DENY : L.ACTION_PERMIT);
  dv.setUint8(o + L.R_MARKS, marks);
  dv.setUint32(o + L.R_RULESET, ruleset, true);
}

function writePrefix(dv: DataView, o: number, words: number[], len: number, a0: number, m0: number, a1: number, m1: number): void {
  dv.setUint32(o + a0, words[0] >>> 0, true);
  dv.setUint32(o + m0, maskWord(len, 0), true);
  for (let i = 1; i < words.length; i++) {
    dv.setUint32(o + a1 + 4 * (i - 1), words[i] >>> 0, true);
    dv.setUint32(o + m1 + 4 * (i - 1), maskWord(len, i), true);
  }
}
