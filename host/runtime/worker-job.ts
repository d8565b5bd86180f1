// One job in a fresh worker thread, with a time limit and a heap limit: the
// reload's check (check-in-worker.ts) and the dry run's diff
// (diff-in-worker.ts). A configuration that hangs a parser or exhausts its
// heap ends the worker, never the appliance, and the forwarding thread only
// waits for the answer's message.
import { Worker } from "node:worker_threads";

export interface WorkerJob<A> {
  answer: Promise<A>;
  /** End the worker now (the appliance is stopping); the answer rejects. */
  cancel(): void;
}

/**
 * Start `entry` (a module name beside this file, without extension: from the
 * TypeScript sources, tests, it runs through `ENTRY.mjs`, which registers tsx
 * first; from the compiled host, dist/ and the image, it is `ENTRY.js`).
 * `what` names the job in its error messages ("checking the configuration").
 */
export function runWorker<A>(entry: string, data: unknown, timeoutMs: number, heapMb: number, what: string): WorkerJob<A> {
  const file = import.meta.url.endsWith(".ts") ? `./${entry}.mjs` : `./${entry}.js`;
  const worker = new Worker(new URL(file, import.meta.url), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: heapMb },
    stdout: true, // a front end's stray console output stays out of the appliance's streams
    stderr: true,
  });
  worker.stdout.resume();
  worker.stderr.resume();
  let cancel = () => {};
  const answer = new Promise<A>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      f();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`${what} took longer than ${Math.round(timeoutMs / 1000)} s; stopped`))), timeoutMs);
    cancel = () => finish(() => reject(new Error("cancelled: the appliance is stopping")));
    worker.once("message", (a: A) => finish(() => resolve(a)));
    worker.once("error", (e) => finish(() => reject(new Error(`${what} failed: ${(e as Error).message}`))));
    worker.once("exit", (code) => finish(() => reject(new Error(`${what} failed: the worker exited (${code})`))));
  });
  return { answer, cancel: () => cancel() };
}
