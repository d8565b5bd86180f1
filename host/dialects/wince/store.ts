// The dialect's own rules behind a loaded Policy (disabled rules included),
// for show and export; the Policy itself carries only what decides packets.
import type { Policy } from "../../model/rule.ts";
import type { CeRule } from "./model.ts";
import { policyModels } from "../models.ts";

const store = policyModels<CeRule[]>();

export function rememberCeRules(p: Policy, rules: CeRule[]): void {
  store.remember(p, rules);
}

export function ceRulesOf(p: Policy | null | undefined): CeRule[] | undefined {
  return store.of(p);
}
