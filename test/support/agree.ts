// The differential check shared by the property tests: one batch through
// the WebAssembly engine and through the reference, which must agree on
// every packet's verdict, deciding rule, reason, stages and marks, and on
// every rule's counters.
import { expect } from "vitest";
import { WasmEngine, type WasmFlavour } from "../../host/engine/wasm.ts";
import { ReferenceEngine } from "../../host/engine/reference.ts";
import type { Policy, Rule } from "../../host/model/rule.ts";
import type { PacketHeader, PacketMeta } from "../../host/engine/header.ts";
import * as L from "../../assembly/layout.ts";

/**
 * An engine that indexes every ruleset, however small, with a generous
 * budget: random rules overlap far more than real ones, and the point of
 * the differential tests is to exercise the trees, not the fallback.
 */
export async function forcedIndexEngine(flavour?: WasmFlavour): Promise<WasmEngine> {
  const e = await WasmEngine.create(flavour);
  e.setClassifier("index", 0, 100_000);
  return e;
}

/** The MARK_* bits of a rule, as the result reports them for its deciding rule. */
export function ruleMarks(r: Rule): number {
  return (r.log ? L.MARK_LOG : 0) | (r.notify ? L.MARK_NOTIFY : 0) | (r.keepState ? L.MARK_KEEP_STATE : 0)
    | (r.src?.negate ? L.MARK_SRC_NEG : 0) | (r.dst?.negate ? L.MARK_DST_NEG : 0);
}

/** Both engines on one batch: verdict, rule, reason, stages, marks and counters must agree. */
export function agree(wasm: WasmEngine, policy: Policy, batch: [PacketHeader, PacketMeta][]) {
  const ref = new ReferenceEngine(policy);
  const got = wasm.classifyHeaders(batch.map((b) => b[0]), batch.map((b) => b[1]));
  // Global rule index -> rule (rulesets are laid out one after another).
  const all = policy.rulesets.flatMap((rs) => rs.rules);
  batch.forEach(([h, m], i) => {
    const r = ref.classify(h, m);
    const w = got[i];
    expect({ v: w.verdict, rule: w.rule, reason: w.reason, stage: w.stage, in: w.inputRule, out: w.outputRule, mon: w.monitorRule })
      .toEqual({ v: r.verdict, rule: r.rule, reason: r.reason, stage: r.stage, in: r.inputRule, out: r.outputRule, mon: r.monitorRule });
    // The index hands the deciding rule's marks to the pipeline from its leaves.
    expect(w.marks).toBe(r.rule >= 0 ? ruleMarks(all[r.rule]) : 0);
  });
  const wc = wasm.counters();
  ref.counters.forEach((c, i) => {
    expect(Number(wc[i].packets)).toBe(c.packets);
    expect(Number(wc[i].bytes)).toBe(c.bytes);
  });
  return got;
}
