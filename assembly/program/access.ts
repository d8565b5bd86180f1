// The one set of accessors over a validated program's bytes (layout.ts,
// "Program"): where its rule records and rulesets are, and which ruleset an
// interface's packets pass in each stage. Everything that walks a program
// (the pipeline, the connection table, AllowFutureConnect's rules check)
// asks here; all inline, so the hot path compiles as before.
import {
  HDR_RULES_OFFSET, HDR_RULESETS_OFFSET, HDR_BINDINGS_OFFSET, HDR_IFACE_COUNT, HDR_MONITOR_RULESET,
  HDR_RULE_COUNT, HDR_RULESET_COUNT, RULE_SIZE, RULESET_SIZE, BINDING_SIZE, BIND_INPUT, BIND_OUTPUT,
  NO_RULESET, RS_FLAGS, RS_STATEFUL, R_MARKS, MARK_KEEP_STATE,
} from "../layout";

/** The first rule record (rule index 0). */
// @ts-ignore: decorator
@inline export function rulesOf(p: usize): usize {
  return p + load<u32>(p, HDR_RULES_OFFSET);
}

/** Rule record `idx` (a global rule index). */
// @ts-ignore: decorator
@inline export function ruleAt(p: usize, idx: u32): usize {
  return rulesOf(p) + <usize>idx * RULE_SIZE;
}

/** Ruleset record `rs`. */
// @ts-ignore: decorator
@inline export function rulesetAt(p: usize, rs: u32): usize {
  return p + load<u32>(p, HDR_RULESETS_OFFSET) + <usize>rs * RULESET_SIZE;
}

// The ruleset bound to interface `iface` at binding offset `which`
// (BIND_INPUT / BIND_OUTPUT); NO_RULESET for an unbound or unknown one.
// @ts-ignore: decorator
@inline function boundRuleset(p: usize, iface: u32, which: usize): u32 {
  if (iface >= <u32>load<u16>(p, HDR_IFACE_COUNT)) return NO_RULESET;
  return <u32>load<u16>(p + load<u32>(p, HDR_BINDINGS_OFFSET) + <usize>iface * BINDING_SIZE + which);
}

/** The ruleset a packet arriving on `ifIn` passes (input stage), or NO_RULESET. */
// @ts-ignore: decorator
@inline export function inputRuleset(p: usize, ifIn: u32): u32 {
  return boundRuleset(p, ifIn, BIND_INPUT);
}

/** The ruleset a packet leaving by `ifOut` passes (output stage), or NO_RULESET. */
// @ts-ignore: decorator
@inline export function outputRuleset(p: usize, ifOut: u32): u32 {
  return boundRuleset(p, ifOut, BIND_OUTPUT);
}

/** The monitor ruleset (marks for logging, decides nothing), or NO_RULESET. */
// @ts-ignore: decorator
@inline export function monitorRuleset(p: usize): u32 {
  return <u32>load<u16>(p, HDR_MONITOR_RULESET);
}

/** Does ruleset `rs` (NO_RULESET: none) keep state for what it permits? */
// @ts-ignore: decorator
@inline export function rulesetStateful(p: usize, rs: u32): bool {
  return rs != NO_RULESET && (load<u8>(rulesetAt(p, rs), RS_FLAGS) & RS_STATEFUL) != 0;
}

/** Does rule `idx` (-1: none) carry keep-state? */
// @ts-ignore: decorator
@inline export function ruleKeepsState(p: usize, idx: i32): bool {
  return idx >= 0 && (load<u8>(ruleAt(p, <u32>idx), R_MARKS) & MARK_KEEP_STATE) != 0;
}

/** Can any permit of program `p` keep state (a stateful ruleset, or a keep-state rule)? */
export function anyKeepsState(p: usize): bool {
  let nSets = load<u32>(p, HDR_RULESET_COUNT);
  for (let i: u32 = 0; i < nSets; i++) {
    if (rulesetStateful(p, i)) return true;
  }
  let nRules = load<u32>(p, HDR_RULE_COUNT);
  for (let i: u32 = 0; i < nRules; i++) {
    if (ruleKeepsState(p, <i32>i)) return true;
  }
  return false;
}

/** Does program `p` decide at its input stage alone: no interface binds an output ruleset, and no monitor ruleset? */
export function decidesAtInputOnly(p: usize): bool {
  if (monitorRuleset(p) != NO_RULESET) return false;
  let ifaces = <u32>load<u16>(p, HDR_IFACE_COUNT);
  for (let i: u32 = 0; i < ifaces; i++) {
    if (outputRuleset(p, i) != NO_RULESET) return false;
  }
  return true;
}
