// A benchmark worker thread: its own WebAssembly instance, the same rule set
// and trace; classifies the trace `reps` times at batch 256 each time it is
// told to go.
import { parentPort, workerData } from "node:worker_threads";
import { classBenchRunner } from "../host/classbench/runner.ts";
import { CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { loadSet } from "./load-set.ts";

const { dir, set, trace, engine, reps } = workerData as { dir: string; set: string; trace: "own" | "uniform"; engine: string; reps: number };
const input = loadSet(dir, set, trace);
const runner = await classBenchRunner(engine, input.policy, input.headers, CLASSBENCH_META);
runner.classify(256);
runner.classify(256);
parentPort!.postMessage({ ready: true, packets: input.headers.length });
parentPort!.on("message", () => {
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) runner.classify(256);
  parentPort!.postMessage({ done: true, ms: performance.now() - t0 });
});
