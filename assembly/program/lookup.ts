// A ruleset's first match for one tuple, read-only (it counts nothing): the
// one call into the classifier (classifier/, which picks the decision trees
// or the linear scan per ruleset). The pipeline's stages, the monitor
// ruleset and AllowFutureConnect's rules check all come through here.
import { RS_FIRST_RULE, RS_RULE_COUNT } from "../layout";
import { classifierMatch, classifierMatchLanes, matchRule } from "../classifier/classifier";

// The parts of a match word, for the stages that decide by it.
export { matchRule, matchAction, matchMarks, LANES } from "../classifier/classifier";
import { rulesOf, rulesetAt } from "./access";
import { hot } from "./store";

/**
 * Ruleset `rs`'s first match for tuple `t` as the classifier's match word
 * (classifier/lookup.ts: the rule's global index with its action and marks,
 * negative for none), so a deciding stage need not read the rule's record.
 */
// @ts-ignore: decorator
@inline export function matchRulesetWord(p: usize, rs: u32, t: usize): i32 {
  let r = rulesetAt(p, rs);
  return classifierMatch(rs, rulesOf(p), hot.ptr, load<u32>(r, RS_FIRST_RULE), load<u32>(r, RS_RULE_COUNT), t);
}

/** The global index of ruleset `rs`'s first rule matching tuple `t`, or -1. */
// @ts-ignore: decorator
@inline export function matchRuleset(p: usize, rs: u32, t: usize): i32 {
  return matchRule(matchRulesetWord(p, rs, t));
}

/**
 * matchRulesetWord of ruleset `rs` for the `n` <= LANES tuples from `t`
 * (TUPLE_SIZE apart), looked up together, stored as i32 from `out`,
 * `outStride` bytes apart.
 */
export function matchRulesetWords(p: usize, rs: u32, t: usize, n: u32, out: usize, outStride: usize): void {
  let r = rulesetAt(p, rs);
  classifierMatchLanes(rs, rulesOf(p), hot.ptr, load<u32>(r, RS_FIRST_RULE), load<u32>(r, RS_RULE_COUNT), t, n, out, outStride);
}
