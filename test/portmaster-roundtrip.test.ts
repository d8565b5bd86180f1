// The canonical form round-trips: for every PortMaster fixture and example
// that loads, printing it (`show`) and parsing the print gives the same
// rules, defaults and bindings; and printing again gives the same commands.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { loadPortmaster, portmaster } from "../host/dialects/portmaster/index.ts";
import { loadAppliance, type Appliance } from "../host/model/appliance.ts";
import type { Policy } from "../host/model/rule.ts";

const DIRS = ["test/golden/portmaster", "examples/portmaster"];

function configs(): string[] {
  return DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith(".cfg")).map((f) => join(d, f))).sort();
}

function applianceFor(path: string): Appliance {
  const a = path.replace(/\.cfg$/, ".appliance.json");
  return loadAppliance(existsSync(a) ? a : undefined);
}

/** The policy without where each rule was written (the print is another file). */
function semantics(p: Policy) {
  return {
    ...p,
    rulesets: p.rulesets.map((rs) => ({
      ...rs,
      rules: rs.rules.map((r) => ({ ...r, origin: { dialect: r.origin.dialect, label: r.origin.label } })),
    })),
  };
}

/** The printed commands without their provenance comments. */
function commands(text: string): string[] {
  return text.split("\n").map((l) => l.replace(/#.*$/, "").trim()).filter(Boolean);
}

describe("show, then parse, gives the same rules", () => {
  const list = configs();
  it("has fixtures that load", () => {
    const loading = list.filter((f) => loadPortmaster([{ path: f, text: readFileSync(f, "utf8") }], { appliance: applianceFor(f), strict: false, options: {} }).policy);
    expect(loading.length).toBeGreaterThanOrEqual(4);
  });
  for (const f of list) {
    it(f, () => {
      const opts = { appliance: applianceFor(f), strict: false, options: {} };
      const first = loadPortmaster([{ path: f, text: readFileSync(f, "utf8") }], opts);
      if (!first.policy) {
        expect(first.diagnostics.some((d) => d.severity === "error")).toBe(true);
        return;
      }
      const printed = portmaster.show(first, opts);
      const second = loadPortmaster([{ path: "printed.cfg", text: printed }], opts);
      expect(second.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      // The print is normalised: no host bits, nothing replaced or removed.
      expect(second.diagnostics.map((d) => d.code).filter((c) => ["PM003", "PM023", "PM024", "PM025", "PM026"].includes(c))).toEqual([]);
      expect(semantics(second.policy!)).toEqual(semantics(first.policy!));
      expect(commands(portmaster.show(second, opts))).toEqual(commands(printed));
    });
  }
});
