// A ruleset's first match for one tuple, read-only (it counts nothing): the
// one call into the classifier (classifier/, which picks the decision trees
// or the linear scan per ruleset). The pipeline's stages, the monitor
// ruleset and AllowFutureConnect's rules check all come through here.
import { RS_FIRST_RULE, RS_RULE_COUNT } from "../layout";
import { classifierMatch } from "../classifier/classifier";
import { rulesOf, rulesetAt } from "./access";
import { hot } from "./store";

/** The global index of ruleset `rs`'s first rule matching tuple `t`, or -1. */
// @ts-ignore: decorator
@inline export function matchRuleset(p: usize, rs: u32, t: usize): i32 {
  let r = rulesetAt(p, rs);
  return classifierMatch(rs, rulesOf(p), hot.ptr, load<u32>(r, RS_FIRST_RULE), load<u32>(r, RS_RULE_COUNT), t);
}
