// One ClassBench rule set and trace, staged for the benchmark (shared by the
// main thread and the worker threads).
import { existsSync } from "node:fs";
import { readClassBenchRules, readClassBenchTrace, readExpected } from "../host/classbench/classbench.ts";
import type { Policy } from "../host/model/rule.ts";
import type { PacketHeader } from "../host/engine/header.ts";

export interface BenchInput {
  policy: Policy;
  rules: number;
  headers: PacketHeader[];
  /** The `.expected` answers, or null when the data set has none (1k and 100k sets on the uniform trace). */
  expected: number[] | null;
}

/** `trace` is "own" (the set's trace) or "uniform". */
export function loadSet(dir: string, set: string, trace: "own" | "uniform"): BenchInput {
  const { policy, diagnostics } = readClassBenchRules(`${dir}/${set}`);
  if (diagnostics.length) throw new Error(`${set}: ${diagnostics.length} diagnostics, first: ${diagnostics[0].message}`);
  const t = readClassBenchTrace(trace === "own" ? `${dir}/${set}_trace` : `${dir}/uniform_trace`);
  if (t.errors.length) throw new Error(t.errors[0]);
  const exp = trace === "own" ? `${dir}/${set}_trace.expected` : `${dir}/${set}_uniform_trace.expected`;
  const expected = existsSync(exp) ? readExpected(exp) : null;
  return { policy, rules: policy.rulesets[0].rules.length, headers: t.headers, expected };
}
