// Run diff-worker.ts for one dry run: a fresh worker thread, a time limit and
// a heap limit, like the reload's check.
import type { DiffAnswer, DiffRequest } from "./diff-worker.ts";
import { runWorker, type WorkerJob } from "./worker-job.ts";
import { workerImports } from "./check-in-worker.ts";

export type { DiffAnswer, DiffRequest } from "./diff-worker.ts";

export function diffInWorker(req: DiffRequest, timeoutMs: number, heapMb = 2048): WorkerJob<DiffAnswer> {
  return runWorker<DiffAnswer>("diff-worker", { ...req, imports: [...workerImports(), ...req.imports] }, timeoutMs, heapMb, "comparing the configurations");
}
