// A dialect's own model behind a Policy it loaded, for `show` (and export):
// the Policy carries only what decides packets, while the canonical form is
// printed from the dialect's model. Held weakly, so a dropped Policy frees it.
import type { Policy } from "../model/rule.ts";
import type { Dialect, LoadOptions } from "./dialect.ts";

export interface PolicyModels<T> {
  remember(policy: Policy, model: T): void;
  /** The model of a Policy this dialect loaded; undefined for any other (or none). */
  of(policy: Policy | null | undefined): T | undefined;
  /** A Dialect.show printing the model behind result.policy; `missing` answers for a Policy this dialect did not load. */
  show(print: (model: T, opts: LoadOptions) => string, missing: () => string): Dialect["show"];
}

export function policyModels<T>(): PolicyModels<T> {
  const models = new WeakMap<Policy, T>();
  return {
    remember: (policy, model) => void models.set(policy, model),
    of: (policy) => (policy ? models.get(policy) : undefined),
    show: (print, missing) => (result, opts) => {
      const model = result.policy ? models.get(result.policy) : undefined;
      return model === undefined ? missing() : print(model, opts);
    },
  };
}
