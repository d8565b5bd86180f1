// Validation of a staged rule program (program/store.ts swaps it in only if
// this passes): every header field, table entry and rule record is checked,
// so a bad program is refused with a LOAD_* reason and the running one stays.
import {
  PROGRAM_MAGIC, PROGRAM_VERSION, PROGRAM_HEADER_SIZE, HDR_MAGIC, HDR_VERSION, HDR_HEADER_SIZE,
  HDR_RULE_COUNT, HDR_RULESET_COUNT, HDR_RULE_SIZE, HDR_RULESETS_OFFSET, HDR_BINDINGS_OFFSET,
  HDR_RULES_OFFSET, HDR_TOTAL_LENGTH, HDR_IFACE_COUNT, HDR_FLAGS, HDR_CHECKSUM, HDR_MONITOR_RULESET,
  MAX_RULES, MAX_RULESETS, MAX_IFACES,
  RULESET_SIZE, RS_FIRST_RULE, RS_RULE_COUNT, RS_DEFAULT_INBOUND, RS_DEFAULT_OUTBOUND, RS_DEFAULT_OTHER,
  RS_FLAGS, RS_STATEFUL, BINDING_SIZE, BIND_INPUT, BIND_OUTPUT, NO_RULESET,
  RULE_SIZE, R_TESTS, R_ACTION, R_MARKS, R_FAMILY, R_SRC_LEN, R_DST_LEN, R_SPORT_LO, R_SPORT_HI,
  R_DPORT_LO, R_DPORT_HI, R_SPORT_OP, R_DPORT_OP, R_FLAGS_MODE, R_MINUTE_FROM, R_MINUTE_TO, R_RULESET,
  TEST_ALL, TEST_FAMILY, TEST_SRC, TEST_DST, TEST_IFIN, TEST_IFOUT, R_IF_IN, R_IF_OUT,
  MARK_ALL, PORT_OP_RANGE, PORT_OP_ANY, FLAGS_ANY,
  VERDICT_DENY,
  LOAD_OK, LOAD_TOO_SHORT, LOAD_BAD_MAGIC, LOAD_BAD_VERSION, LOAD_BAD_HEADER, LOAD_BAD_LENGTH,
  LOAD_BAD_CHECKSUM, LOAD_BAD_RULESET, LOAD_BAD_BINDING, LOAD_BAD_RULE,
  LOAD_RULE_SHIFT, ACTION_DENY, MAX_MINUTE,
} from "../layout";

export function fnv1a(p: usize, n: usize): u32 {
  let h: u32 = 0x811c9dc5;
  for (let i: usize = 0; i < n; i++) {
    h = (h ^ <u32>load<u8>(p + i)) * 0x01000193;
  }
  return h;
}

// LOAD_BAD_RULE naming rule record `i`, as loadProgram returns it (layout.ts).
// @ts-ignore: decorator
@inline function badRule(i: u32): u32 {
  return LOAD_BAD_RULE | ((i + 1) << LOAD_RULE_SHIFT);
}

/** LOAD_OK, a LOAD_* code, or badRule(i) for a refused rule record. */
export function validateProgram(p: usize, len: u32): u32 {
  if (len < <u32>PROGRAM_HEADER_SIZE) return LOAD_TOO_SHORT;
  if (load<u32>(p, HDR_MAGIC) != <u32>PROGRAM_MAGIC) return LOAD_BAD_MAGIC;
  if (<u32>load<u16>(p, HDR_VERSION) != <u32>PROGRAM_VERSION) return LOAD_BAD_VERSION;
  if (<u32>load<u16>(p, HDR_HEADER_SIZE) != <u32>PROGRAM_HEADER_SIZE) return LOAD_BAD_HEADER;
  if (load<u32>(p, HDR_RULE_SIZE) != <u32>RULE_SIZE) return LOAD_BAD_HEADER;
  if (load<u16>(p, HDR_FLAGS) != 0) return LOAD_BAD_HEADER;
  let ruleCount = load<u32>(p, HDR_RULE_COUNT);
  let rulesetCount = load<u32>(p, HDR_RULESET_COUNT);
  let ifaceCount = <u32>load<u16>(p, HDR_IFACE_COUNT);
  if (ruleCount > <u32>MAX_RULES || rulesetCount > <u32>MAX_RULESETS || ifaceCount > <u32>MAX_IFACES) return LOAD_BAD_HEADER;
  let total = load<u32>(p, HDR_TOTAL_LENGTH);
  if (total != len) return LOAD_BAD_LENGTH;
  // The three tables must lie, in order and without overlap, inside the program.
  let rsOff = load<u32>(p, HDR_RULESETS_OFFSET);
  let bOff = load<u32>(p, HDR_BINDINGS_OFFSET);
  let rOff = load<u32>(p, HDR_RULES_OFFSET);
  if (rsOff != <u32>PROGRAM_HEADER_SIZE) return LOAD_BAD_LENGTH;
  if (<u64>bOff != <u64>rsOff + <u64>rulesetCount * RULESET_SIZE) return LOAD_BAD_LENGTH;
  if (<u64>rOff != <u64>bOff + <u64>ifaceCount * BINDING_SIZE) return LOAD_BAD_LENGTH;
  if (<u64>total != <u64>rOff + <u64>ruleCount * RULE_SIZE) return LOAD_BAD_LENGTH;
  if (fnv1a(p + PROGRAM_HEADER_SIZE, total - PROGRAM_HEADER_SIZE) != load<u32>(p, HDR_CHECKSUM)) return LOAD_BAD_CHECKSUM;

  // Rulesets: contiguous, in order, covering every rule exactly once.
  let next: u32 = 0;
  for (let i: u32 = 0; i < rulesetCount; i++) {
    let rs = p + rsOff + i * RULESET_SIZE;
    if (load<u32>(rs, RS_FIRST_RULE) != next) return LOAD_BAD_RULESET;
    let n = load<u32>(rs, RS_RULE_COUNT);
    if (<u64>next + <u64>n > <u64>ruleCount) return LOAD_BAD_RULESET;
    next += n;
    if (<u32>load<u8>(rs, RS_DEFAULT_INBOUND) > <u32>VERDICT_DENY) return LOAD_BAD_RULESET;
    if (<u32>load<u8>(rs, RS_DEFAULT_OUTBOUND) > <u32>VERDICT_DENY) return LOAD_BAD_RULESET;
    if (<u32>load<u8>(rs, RS_DEFAULT_OTHER) > <u32>VERDICT_DENY) return LOAD_BAD_RULESET;
    if ((load<u8>(rs, RS_FLAGS) & ~RS_STATEFUL) != 0) return LOAD_BAD_RULESET;
  }
  if (next != ruleCount) return LOAD_BAD_RULESET;

  let mon = <u32>load<u16>(p, HDR_MONITOR_RULESET);
  if (mon != NO_RULESET && mon >= rulesetCount) return LOAD_BAD_BINDING;
  for (let i: u32 = 0; i < ifaceCount; i++) {
    let b = p + bOff + i * BINDING_SIZE;
    let inRs = <u32>load<u16>(b, BIND_INPUT);
    let outRs = <u32>load<u16>(b, BIND_OUTPUT);
    if (inRs != NO_RULESET && inRs >= rulesetCount) return LOAD_BAD_BINDING;
    if (outRs != NO_RULESET && outRs >= rulesetCount) return LOAD_BAD_BINDING;
  }

  for (let i: u32 = 0; i < ruleCount; i++) {
    let r = p + rOff + <usize>i * RULE_SIZE;
    if (!validRule(r, ifaceCount, rulesetCount)) return badRule(i);
  }
  // Each rule must name the ruleset whose slice holds it.
  for (let i: u32 = 0; i < rulesetCount; i++) {
    let rs = p + rsOff + i * RULESET_SIZE;
    let first = load<u32>(rs, RS_FIRST_RULE);
    let n = load<u32>(rs, RS_RULE_COUNT);
    for (let j = first; j < first + n; j++) {
      if (load<u32>(p + rOff + <usize>j * RULE_SIZE, R_RULESET) != i) return badRule(j);
    }
  }
  return LOAD_OK;
}

function validPort(r: usize, opOff: i32, loOff: i32, hiOff: i32): bool {
  let op = <u32>load<u8>(r + opOff);
  if (op > <u32>PORT_OP_RANGE) return false;
  if (op == PORT_OP_ANY) return true;
  // An empty range (lt 0, gt 65535) is allowed: the rule can never match.
  return load<u16>(r + loOff) <= load<u16>(r + hiOff) || op != PORT_OP_RANGE;
}

function validRule(r: usize, ifaceCount: u32, rulesetCount: u32): bool {
  let tests = <u32>load<u16>(r, R_TESTS);
  if ((tests & ~TEST_ALL) != 0) return false;
  if (<u32>load<u8>(r, R_ACTION) > <u32>ACTION_DENY) return false;
  if ((load<u8>(r, R_MARKS) & ~MARK_ALL) != 0) return false;
  let fam = <u32>load<u8>(r, R_FAMILY);
  if (tests & (TEST_SRC | TEST_DST)) {
    if ((tests & TEST_FAMILY) == 0) return false;
  }
  if (tests & TEST_FAMILY) {
    if (fam != 4 && fam != 6) return false;
    let maxLen: u32 = fam == 4 ? 32 : 128;
    if (<u32>load<u8>(r, R_SRC_LEN) > maxLen || <u32>load<u8>(r, R_DST_LEN) > maxLen) return false;
  }
  if (!validPort(r, R_SPORT_OP, R_SPORT_LO, R_SPORT_HI)) return false;
  if (!validPort(r, R_DPORT_OP, R_DPORT_LO, R_DPORT_HI)) return false;
  if (<u32>load<u8>(r, R_FLAGS_MODE) > <u32>FLAGS_ANY) return false;
  if (<u32>load<u16>(r, R_MINUTE_FROM) > <u32>MAX_MINUTE || <u32>load<u16>(r, R_MINUTE_TO) > <u32>MAX_MINUTE) return false;
  if ((tests & TEST_IFIN) && <u32>load<u8>(r, R_IF_IN) >= ifaceCount) return false;
  if ((tests & TEST_IFOUT) && <u32>load<u8>(r, R_IF_OUT) >= ifaceCount) return false;
  if (load<u32>(r, R_RULESET) >= rulesetCount) return false;
  return true;
}
