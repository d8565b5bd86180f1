// The configuration a running appliance falls back to when the one it was
// given at start fails its check (`portcullis run --fail-closed`, as the
// firmware image runs it): one rule that denies every IP packet, on every
// interface. The appliance stays up, drops everything, says why in its log
// and in `status`, and takes a good configuration by a reload.
import { anyRule, type Policy } from "../model/rule.ts";
import type { Appliance } from "../model/appliance.ts";

export const FAIL_CLOSED_FILE = "(fail-closed)";

export function denyAllPolicy(appliance: Appliance): Policy {
  const names = appliance.interfaces.map((i) => i.name);
  const rule = anyRule("deny", {
    dialect: "fail-closed", file: FAIL_CLOSED_FILE, line: 1, column: 1,
    text: "deny everything: the configuration failed its check", label: "fail-closed",
  });
  return {
    dialect: "fail-closed", interfaces: names,
    rulesets: [{ name: "fail-closed", rules: [rule], defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful: false }],
    input: names.map(() => 0), output: names.map(() => null),
  };
}
