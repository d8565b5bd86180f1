// Seeded structure-aware fuzzing of the PortMaster front end (issue 12):
// valid configurations mutated (cut, duplicate, swap, drop lines and tokens,
// extreme numbers, control characters, long tokens), each loaded as the CLI
// loads it. Every case ends in a result or in located diagnostics, never an
// exception; a loaded case prints its canonical form, and that form loads
// again to the same number of rules (the show/parse round trip).
// PORTCULLIS_FUZZ_CASES=N runs N cases (millions locally); PORTCULLIS_FUZZ_SEED=S replays;
// PORTCULLIS_FUZZ_LOG=FILE appends each case's description before running it
// (to find a case that ends the process itself).
import { describe, it, expect, afterAll } from "vitest";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rng, mutate, fuzzCases, fuzzSeed } from "./support/mutate.ts";
import { runCase } from "./support/fuzz-check.ts";
import { totalRules } from "../host/model/rule.ts";

const GOLDEN = join(import.meta.dirname, "golden", "portmaster");
const SEEDS: { name: string; text: string; appliance?: string }[] = [
  { name: "office.cfg", text: readFileSync(join(GOLDEN, "office.cfg"), "utf8"), appliance: join(GOLDEN, "office.appliance.json") },
  { name: "ports-ok.cfg", text: readFileSync(join(GOLDEN, "ports-ok.cfg"), "utf8"), appliance: join(GOLDEN, "ports-ok.appliance.json") },
  { name: "warnings.cfg", text: readFileSync(join(GOLDEN, "warnings.cfg"), "utf8") },
  { name: "examples/office.cfg", text: readFileSync(join(import.meta.dirname, "..", "examples", "portmaster", "office.cfg"), "utf8"),
    appliance: join(import.meta.dirname, "..", "examples", "portmaster", "office.appliance.json") },
];

const SEED = fuzzSeed();
const CASES = fuzzCases(2500);
const dir = mkdtempSync(join(tmpdir(), "pc-fuzz-pm-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("PortMaster fuzz", () => {
  it(`${CASES} mutated configurations end in a result or located diagnostics (seed ${SEED})`, () => {
    const r = rng(SEED);
    const path = join(dir, "fuzz.cfg");
    const again = join(dir, "shown.cfg");
    const failures: string[] = [];
    let loaded = 0;
    for (let c = 0; c < CASES && failures.length < 5; c++) {
      const seed = SEEDS[Math.floor(r() * SEEDS.length)];
      const { text, steps } = mutate(seed.text, r);
      if (process.env.PORTCULLIS_FUZZ_LOG) appendFileSync(`${process.env.PORTCULLIS_FUZZ_LOG}.pm`, `case ${c} seed ${SEED} from ${seed.name}: ${steps.join(" + ")} (${text.length} characters)\n`);
      const values: Record<string, unknown> = { dialect: "portmaster", ...(seed.appliance ? { appliance: seed.appliance } : {}) };
      const res = runCase(path, text, values);
      const problems = [...res.problems];
      if (res.ok) {
        loaded++;
        // The canonical form loads again, to as many rules.
        const second = runCase(again, res.shown!, values);
        if (!second.ok) problems.push(`show's output does not load: ${second.problems.join("; ")}`);
        else if (totalRules(second.loaded!.config.policy!) !== totalRules(res.loaded!.config.policy!)) problems.push("show's output loads to another number of rules");
        problems.push(...second.problems.map((p) => `show's output: ${p}`));
      }
      // Time bounded in proportion to the size: 2 s (a loaded machine), plus 1 s per megabyte.
      if (res.ms > 2000 + text.length / 1000) problems.push(`took ${res.ms.toFixed(0)} ms for ${text.length} characters`);
      if (problems.length) failures.push(`case ${c} (seed ${SEED}, from ${seed.name}, ${steps.join(" + ")}): ${problems.join("; ")}\n${JSON.stringify(text.slice(0, 400))}`);
    }
    expect(failures).toEqual([]);
    // The mutations must leave some cases loadable, or the round trip is never exercised.
    expect(loaded).toBeGreaterThan(CASES / 20);
  }, Math.max(120_000, CASES * 20));
});
