// The dialect's own rules behind a loaded Policy (disabled rules included),
// for show and export; the Policy itself carries only what decides packets.
import type { Policy } from "../../model/rule.ts";
import type { CeRule } from "./model.ts";

const store = new WeakMap<Policy, CeRule[]>();

export function rememberCeRules(p: Policy, rules: CeRule[]): void {
  store.set(p, rules);
}

export function ceRulesOf(p: Policy): CeRule[] | undefined {
  return store.get(p);
}
