// The indexed classifier's life cycle: the choice per ruleset (indexInfo),
// rebuilding on reload, the fallback to the scan over budget, and the
// non-first-fragment and IPv6 paths, always against the reference.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { largePolicyArb, packetsArb } from "./support/arbitrary.ts";
import type { Policy } from "../host/model/rule.ts";
import type { PacketHeader, PacketMeta } from "../host/engine/header.ts";

const sample = <T>(a: fc.Arbitrary<T>, seed: number): T => fc.sample(a, { seed, numRuns: 1 })[0];

function rulesOf(w: WasmEngine, policy: Policy, batch: [PacketHeader, PacketMeta][]) {
  return w.classifyHeaders(batch.map((b) => b[0]), batch.map((b) => b[1])).map((r) => [r.rule, r.verdict, r.monitorRule]);
}

function refRules(policy: Policy, batch: [PacketHeader, PacketMeta][]) {
  const ref = new ReferenceEngine(policy);
  return batch.map(([h, m]) => { const r = ref.classify(h, m); return [r.rule, r.verdict, r.monitorRule]; });
}

describe("indexed classifier", () => {
  let w: WasmEngine;
  beforeAll(async () => {
    w = await WasmEngine.create();
  });

  it("indexes rulesets of at least the threshold in auto mode, and says why not otherwise", () => {
    const policy = sample(largePolicyArb, 7);
    const program = encodePolicy(policy);
    w.setClassifier("auto", 32);
    w.load(program);
    expect(w.indexInfo(0)).toMatchObject({ kind: "tree", reason: "indexed" });
    expect(w.indexInfo(0).bytes).toBeGreaterThan(0);
    w.setClassifier("auto", 100_000);
    w.load(program);
    expect(w.indexInfo(0)).toEqual({ kind: "linear", bytes: 0, reason: "small ruleset: the linear scan is faster" });
    w.setClassifier("linear");
    w.load(program);
    expect(w.indexInfo(0)).toEqual({ kind: "linear", bytes: 0, reason: "linear scan requested" });
    expect(() => w.indexInfo(policy.rulesets.length)).toThrow(RangeError);
    w.setClassifier("auto", 32);
  });

  it("rebuilds the index on every load: A, B, A again gives A's answers", () => {
    const a = sample(largePolicyArb, 11);
    const b = sample(largePolicyArb, 12);
    const batch = sample(packetsArb(400), 13);
    w.setClassifier("index");
    w.load(encodePolicy(a));
    const first = rulesOf(w, a, batch);
    expect(first).toEqual(refRules(a, batch));
    w.load(encodePolicy(b));
    expect(rulesOf(w, b, batch)).toEqual(refRules(b, batch));
    w.load(encodePolicy(a));
    expect(rulesOf(w, a, batch)).toEqual(first);
    w.setClassifier("auto", 32);
  });

  it("answers a packet alone, in reverse order and after a reload as it does in a batch (the next tuple's walk is only a cache)", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const a = sample(largePolicyArb, 300 + seed);
      const b = sample(largePolicyArb, 400 + seed);
      const packets = sample(packetsArb(150), 500 + seed);
      // Each packet twice in a row: the second is answered from the walk
      // made for it while the first was classified.
      const batch = packets.flatMap((p) => [p, p]);
      w.setClassifier("index");
      w.load(encodePolicy(a));
      expect(rulesOf(w, a, batch)).toEqual(refRules(a, batch));
      // Same tuples, other trees: a walk of a's trees must not be reused.
      w.load(encodePolicy(b));
      const reversed = [...batch].reverse();
      expect(rulesOf(w, b, reversed)).toEqual(refRules(b, reversed));
      for (const p of packets.slice(0, 40)) expect(rulesOf(w, b, [p])).toEqual(refRules(b, [p]));
    }
    w.setClassifier("auto", 32);
  });

  it("falls back to the scan with a reason when the index would exceed its budget, and still answers right", () => {
    let fellBack = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const policy = sample(largePolicyArb, 100 + seed);
      const batch = sample(packetsArb(300), 200 + seed);
      w.setClassifier("index", 0, 1); // one list entry per rule: too tight for most rulesets
      w.load(encodePolicy(policy));
      policy.rulesets.forEach((_, i) => {
        const info = w.indexInfo(i);
        if (info.kind === "linear") {
          expect(info).toEqual({ kind: "linear", bytes: 0, reason: "index over its memory budget" });
          fellBack++;
        }
      });
      expect(rulesOf(w, policy, batch)).toEqual(refRules(policy, batch));
    }
    expect(fellBack).toBeGreaterThan(0);
    w.setClassifier("auto", 32, 48);
  });
});
