// The WebAssembly matcher and the reference matcher must agree on every input:
// random policies using every rule feature, random packets, batch sizes from
// 1 to several hundred. Seeded, so a failure is reproducible; fast-check
// prints the seed and the shrunk counterexample.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { WasmEngine } from "../host/engine/wasm.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { policyArb, packetsArb, largePolicyArb, inputOnlyPolicyArb } from "./support/arbitrary.ts";
import { agree, forcedIndexEngine } from "./support/agree.ts";
import type { PacketHeader, PacketMeta } from "../host/engine/header.ts";

const SEED = Number(process.env.DIFF_SEED ?? 20261122);
const RUNS = Number(process.env.DIFF_RUNS ?? 700);

describe("WebAssembly vs reference", () => {
  let wasm: WasmEngine;
  let indexed: WasmEngine;
  beforeAll(async () => {
    wasm = await WasmEngine.create();
    indexed = await forcedIndexEngine();
  });

  it(`the indexed engine agrees on large random rulesets (hundreds of rules, every feature) and really indexes them`, () => {
    let packets = 0;
    let byRule = 0;
    let trees = 0;
    fc.assert(
      fc.property(largePolicyArb, packetsArb(400), (policy, batch) => {
        indexed.load(encodePolicy(policy));
        policy.rulesets.forEach((rs, i) => {
          const info = indexed.indexInfo(i);
          expect(info.kind).toBe("tree");
          if (rs.rules.length > 0) expect(info.bytes).toBeGreaterThan(0);
          trees++;
        });
        const got = agree(indexed, policy, batch);
        packets += batch.length;
        byRule += got.filter((g) => g.rule >= 0).length;
      }),
      { seed: SEED + 1, numRuns: Math.max(1, Math.round(RUNS / 10)) },
    );
    expect(trees).toBeGreaterThan(0);
    expect(byRule / packets).toBeGreaterThan(0.2);
  }, 600_000);

  it(`agree on verdict, deciding rule, reason, stages, marks and counters, linear and indexed (${RUNS} policies, >= 100,000 packets)`, () => {
    let packets = 0;
    let byRule = 0;
    let byFragmentRule = 0;
    const lanes0 = indexed.x.classifierLaneRuns();
    let withBitvec = 0;
    let withCombine = 0;
    fc.assert(
      fc.property(policyArb, packetsArb(400), (policy, batch) => {
        wasm.load(encodePolicy(policy));
        const got = agree(wasm, policy, batch);
        indexed.load(encodePolicy(policy));
        policy.rulesets.forEach((_, i) => expect(indexed.indexInfo(i).kind).toBe("tree"));
        if (indexed.x.treeStat(6) > 0) withBitvec++;
        if (indexed.x.treeStat(7) > 0) withCombine++;
        agree(indexed, policy, batch);
        packets += batch.length;
        byRule += got.filter((g) => g.rule >= 0).length;
        byFragmentRule += got.filter((g, i) => g.rule >= 0 && batch[i][0].frag === "later").length;
      }),
      { seed: SEED, numRuns: RUNS },
    );
    expect(packets).toBeGreaterThanOrEqual(RUNS === 700 ? 100_000 : 1);
    // The generators must make rules decide often, fragments included, or the
    // agreement above would mostly be about defaults.
    expect(byRule / packets).toBeGreaterThan(0.2);
    expect(byFragmentRule).toBeGreaterThan(100);
    // Stateless batches (ruleArb keeps no state) are looked up four packets
    // at a time where four in a row share an indexed input ruleset
    // (classifier/lanes.ts): the agreement above covers that path too.
    expect(indexed.x.classifierLaneRuns() - lanes0).toBeGreaterThan(1000);
    // Rules wide in both addresses are a bit-vector group (classifier/
    // build-bitvec.ts) in many of the policies: the agreement covers it.
    expect(withBitvec).toBeGreaterThan(RUNS / 2);
    // And most of those have combine tables (build-bitvec-combine.ts), whose
    // first candidate is the answer unless its need bits or its own test
    // fail, when the rows' AND goes on: the agreement covers both.
    expect(withCombine).toBeGreaterThan(RUNS / 2);
  }, 600_000);

  it(`agree on policies decided at the input stage alone, the pipeline's one-pass path (${Math.round(RUNS / 2)} policies, neighbour discovery mixed in)`, () => {
    let batches = 0;
    let byRule = 0;
    let packets = 0;
    const passes0 = wasm.x.pipelineInputOnlyPasses() + indexed.x.pipelineInputOnlyPasses();
    fc.assert(
      fc.property(inputOnlyPolicyArb, packetsArb(400), (policy, batch) => {
        // Every 7th IPv6 packet as neighbour discovery: passed unfiltered, never looked up.
        const mixed = batch.map(([h, m], i): [PacketHeader, PacketMeta] => [h.family === 6 && i % 7 === 3 ? { ...h, nd: true } : h, m]);
        for (const engine of [wasm, indexed]) {
          engine.load(encodePolicy(policy));
          const got = agree(engine, policy, mixed);
          byRule += got.filter((g) => g.rule >= 0).length;
          batches++;
        }
        packets += batch.length;
      }),
      { seed: SEED + 2, numRuns: Math.max(1, Math.round(RUNS / 2)) },
    );
    // Every batch went through the one-pass path (the engines are stateless
    // here: no flow, no keep-state), and rules decided many of its packets.
    expect(wasm.x.pipelineInputOnlyPasses() + indexed.x.pipelineInputOnlyPasses() - passes0).toBe(batches);
    expect(byRule / (2 * packets)).toBeGreaterThan(0.15);
  }, 600_000);
});
