// bench/trace-variants.ts: the traces docs/benchmarks.md takes a lookup's
// time apart with (a set's own trace without its repeats, a seeded sample).
import { describe, expect, it } from "vitest";
import { heads, sample, cacheHitShare } from "../bench/trace-variants.ts";

describe("trace variants", () => {
  it("keeps a packet only if its five header fields differ from the packet's before it", () => {
    const trace = [
      "1 2 3 4 6 0 -1",
      "1 2 3 4 6 0 -1", // a repeat
      "1 2 3 4 6 9 7", // a repeat: the same five fields, other trailing columns
      "1 2 3 5 6 0 -1",
      "1 2 3 4 6 0 -1", // the same as the first, but not as the one before
      "1 2 3 4 6 0 -1",
    ];
    expect(heads(trace)).toEqual(["1 2 3 4 6 0 -1", "1 2 3 5 6 0 -1", "1 2 3 4 6 0 -1"]);
    expect(heads([])).toEqual([]);
  });

  it("samples without replacement, the same way for the same seed", () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const a = sample(items, 100, 7);
    expect(a).toHaveLength(100);
    expect(new Set(a).size).toBe(100);
    expect(sample(items, 100, 7)).toEqual(a);
    expect(sample(items, 100, 8)).not.toEqual(a);
    expect(items).toEqual(Array.from({ length: 1000 }, (_, i) => i)); // the input is left alone
    expect(sample(items, 5000, 1).sort((x, y) => x - y)).toEqual(items); // more than there are: all of them
  });

  it("counts a cache of earlier answers' hits: only a key seen before and still in its slot", () => {
    expect(cacheHitShare(["a", "b", "a", "b", "c"], 1024)).toBeCloseTo(2 / 5); // no collisions among so few
    expect(cacheHitShare(["a", "b", "a", "b"], 1)).toBe(0); // one slot: each key evicts the other
    expect(cacheHitShare(["a", "a", "a"], 1)).toBeCloseTo(2 / 3);
    expect(cacheHitShare([], 16)).toBe(0);
  });
});
