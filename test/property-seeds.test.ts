// Issue 12, item 22: property and fuzz tests are seeded, the seed printed in
// the test's name, so that a failure can be replayed. Every fc.assert of
// these files passes a seed (the files this branch owns; the other property
// tests are checked by their own owners' tests).
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";

const FILES = ["winfw-property.test.ts", "fuzz-portmaster.test.ts", "fuzz-winfw.test.ts"];

describe("seeded property tests", () => {
  for (const f of FILES) {
    it(`${f}: every fc.assert has a seed, and the seed is in a test name`, () => {
      const text = readFileSync(join(import.meta.dirname, f), "utf8");
      // One `{ seed: ... }` options object per fc.assert call.
      const asserts = text.split("fc.assert(").length - 1;
      const seeded = text.split(/\{\s*seed:/).length - 1;
      expect(seeded, `${f}: ${asserts} fc.assert calls, ${seeded} seeded`).toBe(asserts);
      expect(text).toMatch(/it\(`[^`]*\(seed \$\{/);
    });
  }
});
