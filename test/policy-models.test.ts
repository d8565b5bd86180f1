// policyModels: a dialect's model found again from the Policy it loaded, and
// only from that one.
import { describe, it, expect } from "vitest";
import { policyModels } from "../host/dialects/models.ts";
import type { Policy } from "../host/model/rule.ts";
import type { LoadOptions } from "../host/dialects/dialect.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON } from "../host/model/appliance.ts";
import { portmaster } from "../host/dialects/portmaster/index.ts";
import { winfwDialect } from "../host/dialects/winfw/index.ts";
import { wince } from "../host/dialects/wince/index.ts";

const opts: LoadOptions = { appliance: parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in"), strict: false, options: {} };

describe("policyModels", () => {
  it("gives back the model remembered for the same Policy object, and nothing for another or none", () => {
    const models = policyModels<string[]>();
    const a = { rulesets: [] } as unknown as Policy;
    const b = { rulesets: [] } as unknown as Policy;
    models.remember(a, ["x"]);
    expect(models.of(a)).toEqual(["x"]);
    expect(models.of(b)).toBeUndefined();
    expect(models.of(null)).toBeUndefined();
    expect(models.of(undefined)).toBeUndefined();
    models.remember(a, ["y"]);
    expect(models.of(a)).toEqual(["y"]);
  });
  it("keeps each dialect's models apart", () => {
    const one = policyModels<number>();
    const two = policyModels<number>();
    const p = {} as Policy;
    one.remember(p, 1);
    expect(two.of(p)).toBeUndefined();
  });
  it("show prints the remembered model with the options, or answers `missing`", () => {
    const models = policyModels<string>();
    const p = {} as Policy;
    models.remember(p, "model");
    const show = models.show((m, o) => `${m} on ${o.appliance.source}`, () => "none");
    expect(show({ policy: p, diagnostics: [] }, opts)).toBe("model on built-in");
    expect(show({ policy: {} as Policy, diagnostics: [] }, opts)).toBe("none");
    expect(show({ policy: null, diagnostics: [] }, opts)).toBe("none");
  });
  it("each dialect's show of a Policy it did not load: portmaster throws, winfw says so, wince prints nothing", () => {
    const foreign = { policy: {} as Policy, diagnostics: [] };
    expect(() => portmaster.show(foreign, opts)).toThrow(/not a configuration this dialect loaded/);
    expect(winfwDialect.show(foreign, opts)).toBe("# not loaded\n");
    expect(wince.show(foreign, opts)).toBe("");
  });
});
