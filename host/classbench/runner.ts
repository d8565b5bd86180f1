// Runs a ClassBench trace through one engine, in batches, the way both the
// `classify` command and the benchmark time it: the trace is staged once
// (header tuples in linear memory for WebAssembly), then classified whole.
import * as L from "../../assembly/layout.ts";
import type { Policy } from "../model/rule.ts";
import type { PacketHeader, PacketMeta } from "../engine/header.ts";
import { writeTuple } from "../engine/header.ts";
import { encodePolicy } from "../engine/encode.ts";
import { WasmEngine } from "../engine/wasm.ts";
import { ReferenceEngine } from "../engine/reference.ts";

export interface Runner {
  name: string;
  /** Encode + load + index build, in ms. */
  buildMs: number;
  /** (program + index bytes) / rules. */
  bytesPerRule: number;
  /** Index bytes / rules (0 for the scan and the reference). */
  indexBytesPerRule: number;
  /**
   * Classify the whole trace in batches of `batch`; the deciding rule per
   * packet, in an array the runner keeps and refills on the next call (no
   * allocation per pass: the benchmark's two threads must not be timing
   * each other's garbage collection).
   */
  classify(batch: number): Int32Array;
}

/**
 * Classify with `runner` pass after pass until `minMs` have gone by (at
 * least one pass), so what is timed next is the machine's steady speed:
 * measured here, a trace classified right after the process or the core
 * was busy elsewhere runs 15-20% slower for its first 40-50 ms of
 * back-to-back passes (acl1_10k uniform: 46-53 ns a packet for passes 2-5,
 * 38-40 from about the tenth), and a 20 ms pause between passes keeps every
 * pass at the slow speed; V8's tiering is not it (the same with
 * --no-liftoff). Returns the answers (the last pass's; every pass gives the same).
 */
export function warmUp(runner: Runner, batch: number, minMs: number): Int32Array {
  const t0 = performance.now();
  let answers = runner.classify(batch);
  while (performance.now() - t0 < minMs) answers = runner.classify(batch);
  return answers;
}

export async function classBenchRunner(engine: string, policy: Policy, headers: PacketHeader[], meta: PacketMeta, wasm?: WasmEngine): Promise<Runner> {
  const nRules = policy.rulesets.reduce((n, rs) => n + rs.rules.length, 0) || 1;
  if (engine === "reference") {
    const t0 = performance.now();
    const ref = new ReferenceEngine(policy);
    const buildMs = performance.now() - t0;
    return {
      name: "reference", buildMs, bytesPerRule: 0, indexBytesPerRule: 0,
      classify() {
        const out = new Int32Array(headers.length);
        for (let i = 0; i < headers.length; i++) out[i] = ref.firstMatch(0, headers[i], meta);
        return out;
      },
    };
  }
  const w = wasm ?? (await WasmEngine.create());
  // "wasm" lets the engine index the ruleset; "linear" forces the scan.
  w.setClassifier(engine === "linear" ? "linear" : "auto");
  const t0 = performance.now();
  const program = encodePolicy(policy);
  w.load(program);
  const buildMs = performance.now() - t0;
  const base = w.tupleRegion(headers.length);
  const dv = new DataView(w.memory);
  for (let i = 0; i < headers.length; i++) writeTuple(dv, base + i * L.TUPLE_SIZE, headers[i], meta);
  const out = new Int32Array(headers.length);
  return {
    name: engine === "linear" ? "linear" : "wasm", buildMs,
    bytesPerRule: (program.length + w.indexBytes()) / nRules, indexBytesPerRule: w.indexBytes() / nRules,
    classify(batch: number) {
      for (let i = 0; i < headers.length; i += batch) w.classifyTupleRange(i, Math.min(batch, headers.length - i));
      return w.resultRules(headers.length, out);
    },
  };
}
