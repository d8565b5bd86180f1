// `check`'s exact rule-order lint over a whole policy: every ruleset that
// decides (not the log-only monitor ruleset), judged by host/analysis/lint.ts.
import type { Policy } from "../model/rule.ts";
import type { OrderReport } from "../model/lint.ts";
import type { Layout } from "./frame.ts";
import { lintRuleset } from "./lint.ts";

export function orderReports(p: Policy, layout: Layout): OrderReport[] {
  const out: OrderReport[] = [];
  p.rulesets.forEach((_, k) => {
    if (k === (p.monitor ?? null)) return;
    const l = lintRuleset(p, k, layout);
    if (l.dead.length || l.redundant.length) out.push({ ruleset: k, dead: l.dead, redundant: l.redundant });
  });
  return out;
}
