// Run check-worker.ts for one reload: a fresh worker thread each time, so a
// configuration that hangs a parser or exhausts its heap ends the worker
// (timeout, heap limit), never the appliance.
import { Worker } from "node:worker_threads";
import type { CheckAnswer, CheckRequest } from "./check-worker.ts";

export type { CheckAnswer, CheckRequest } from "./check-worker.ts";

export interface CheckJob {
  answer: Promise<CheckAnswer>;
  /** End the worker now (the appliance is stopping); the answer rejects. */
  cancel(): void;
}

const extraImports: string[] = [];

/**
 * A module the worker must import before checking: a dialect registered in
 * the main thread from outside host/dialects (the tests' tiny dialects) must
 * be registered in the worker too.
 */
export function registerWorkerImport(url: string): void {
  if (!extraImports.includes(url)) extraImports.push(url);
}

export function checkInWorker(req: CheckRequest, timeoutMs: number, heapMb = 2048): CheckJob {
  // From the TypeScript sources (tests) the worker registers tsx first (check-worker.mjs);
  // from the compiled host (dist/, the image) it is plain JavaScript.
  const entry = import.meta.url.endsWith(".ts") ? "./check-worker.mjs" : "./check-worker.js";
  const worker = new Worker(new URL(entry, import.meta.url), {
    workerData: { ...req, imports: [...extraImports, ...req.imports] },
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
    stdout: true, // a front end's stray console output stays out of the appliance's streams
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  let cancel = () => {};
  const answer = new Promise<CheckAnswer>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`checking the configuration took longer than ${Math.round(timeoutMs / 1000)} s; stopped`))), timeoutMs);
    cancel = () => finish(() => reject(new Error("cancelled: the appliance is stopping")));
    worker.once("message", (a: CheckAnswer) => finish(() => resolve(a)));
    worker.once("error", (e) => finish(() => reject(new Error(`checking the configuration failed: ${(e as Error).message}`))));
    worker.once("exit", (code) => finish(() => reject(new Error(`checking the configuration failed: the worker exited (${code})`))));
  });
  return { answer, cancel: () => cancel() };
}
