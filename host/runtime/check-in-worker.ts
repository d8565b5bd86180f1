// Run check-worker.ts for one load or reload: a fresh child process each
// time, so a configuration that hangs a parser or exhausts its heap ends the
// checker (timeout, heap limit), never the appliance. A process rather than
// a worker thread: when it exits, everything it took goes back to the
// system. A worker thread's malloc arenas stay in the appliance's process
// (glibc keeps an exited thread's freed memory for the next thread), which
// left about 2 MB behind per reload of 10,000 rules, and its code pages
// stayed resident in the appliance's RSS (README "Memory").
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
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

/** The modules registered with registerWorkerImport, for another worker that loads configurations (the dry run's diff). */
export function workerImports(): string[] {
  return [...extraImports];
}

export function checkInWorker(req: CheckRequest, timeoutMs: number, heapMb = 2048): CheckJob {
  // From the TypeScript sources (tests) the checker registers tsx first (check-worker.mjs);
  // from the compiled host (dist/, the image) it is plain JavaScript.
  const entry = import.meta.url.endsWith(".ts") ? "./check-worker.mjs" : "./check-worker.js";
  // The request (file names and options, small) goes on the command line: it is there before any module loads.
  const worker = fork(fileURLToPath(new URL(entry, import.meta.url)), [JSON.stringify({ ...req, imports: [...extraImports, ...req.imports] })], {
    execArgv: [`--max-old-space-size=${heapMb}`],
    serialization: "advanced", // structured clone: typed arrays and the rule book cross as they are
    stdio: ["ignore", "ignore", "ignore", "ipc"], // a front end's stray console output stays out of the appliance's streams
  });
  let cancel = () => {};
  const answer = new Promise<CheckAnswer>((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (worker.exitCode === null && worker.signalCode === null) worker.kill("SIGKILL");
      f();
    };
    const timer = setTimeout(() => finish(() => reject(new Error(`checking the configuration took longer than ${Math.round(timeoutMs / 1000)} s; stopped`))), timeoutMs);
    cancel = () => finish(() => reject(new Error("cancelled: the appliance is stopping")));
    worker.once("message", (a) => finish(() => resolve(a as CheckAnswer)));
    worker.once("error", (e) => finish(() => reject(new Error(`checking the configuration failed: ${(e as Error).message}`))));
    worker.once("exit", (code, signal) => finish(() => reject(new Error(`checking the configuration failed: the checker exited (${signal ?? code}${code === 134 || signal === "SIGABRT" ? ", out of memory?" : ""})`))));
  });
  return { answer, cancel: () => cancel() };
}
