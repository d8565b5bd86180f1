// Run check-worker.ts for one reload: a fresh worker thread each time, so a
// configuration that hangs a parser or exhausts its heap ends the worker
// (timeout, heap limit), never the appliance.
import type { CheckAnswer, CheckRequest } from "./check-worker.ts";
import { runWorker, type WorkerJob } from "./worker-job.ts";

export type { CheckAnswer, CheckRequest } from "./check-worker.ts";

export type CheckJob = WorkerJob<CheckAnswer>;

const extraImports: string[] = [];

/**
 * A module the worker must import before checking: a dialect registered in
 * the main thread from outside host/dialects (the tests' tiny dialects) must
 * be registered in the worker too (and in the dry run's diff worker).
 */
export function registerWorkerImport(url: string): void {
  if (!extraImports.includes(url)) extraImports.push(url);
}

/** The modules registered with registerWorkerImport, for another worker that loads configurations. */
export function workerImports(): string[] {
  return [...extraImports];
}

export function checkInWorker(req: CheckRequest, timeoutMs: number, heapMb = 2048): CheckJob {
  return runWorker<CheckAnswer>("check-worker", { ...req, imports: [...extraImports, ...req.imports] }, timeoutMs, heapMb, "checking the configuration");
}
