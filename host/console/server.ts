// The appliance's web console and /metrics (`portcullis run --http HOST:PORT`).
// The server itself runs in a worker thread (worker.ts, http.ts): rendering
// /metrics, the JSON pages, sorting, filtering, the packet tester and the
// event streams never take the event loop that forwards frames. On the
// forwarding thread the console is only its tap (tap.ts), which answers the
// worker's requests with copies. A worker that dies (a bug, its heap limit)
// is logged and started again; the appliance forwards on regardless.
import { Worker } from "node:worker_threads";
import type { LiveAppliance } from "../runtime/live.ts";
import { checkBind } from "./access.ts";
import { ApplianceTap } from "./tap.ts";
import type { TapMessage, WorkerMessage, WorkerStart } from "./protocol.ts";

export interface ConsoleOptions {
  host: string;
  port: number;
  token: string | null;
}

/** The worker's heap: the policy's texts, one snapshot's rows and /metrics (2.5 MB at 10,000 rules) fit many times over. */
const WORKER_HEAP_MB = 1024;
/** A worker that died is started again after this long, doubling up to RESTART_MAX_MS while it keeps dying. */
const RESTART_MS = 1000;
const RESTART_MAX_MS = 60_000;
/** A worker that ran this long resets the delay. */
const STABLE_MS = 60_000;

export class ConsoleServer {
  private worker: Worker | null = null;
  private closed = false;
  private restartDelay = RESTART_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private bound: { host: string; port: number };
  /** Workers started so far (the first, and each restart). */
  starts = 0;

  private constructor(readonly live: LiveAppliance, readonly opts: ConsoleOptions, private tap: ApplianceTap) {
    this.bound = { host: opts.host, port: opts.port };
  }

  /** Start serving; refuses a non-loopback address without a token. */
  static async start(live: LiveAppliance, opts: ConsoleOptions): Promise<ConsoleServer> {
    checkBind(opts.host, opts.token);
    const c = new ConsoleServer(live, opts, new ApplianceTap(live));
    try {
      await c.spawn(opts.port);
    } catch (e) {
      c.tap.close();
      throw e;
    }
    return c;
  }

  get address(): { host: string; port: number } {
    return { ...this.bound };
  }

  /** The worker thread's id (tests end it to see it come back). */
  get threadId(): number | null {
    return this.worker?.threadId ?? null;
  }

  /**
   * One worker, listening on `port`; resolves once it listens. A restart
   * listens on the port the first one got (with port 0, the one the system
   * chose), so bookmarks and scrape targets keep working.
   */
  private spawn(port: number): Promise<void> {
    // From the TypeScript sources the worker registers tsx first (worker.mjs); from dist/ it is plain JavaScript.
    const entry = import.meta.url.endsWith(".ts") ? "./worker.mjs" : "./worker.js";
    const start: WorkerStart = { host: this.opts.host, port, token: this.opts.token };
    const worker = new Worker(new URL(entry, import.meta.url), {
      workerData: start,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      stdout: true, // a stray console.log in the worker stays out of the appliance's streams
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    this.worker = worker;
    this.starts++;
    const startedMs = Date.now();
    this.tap.attach((m: TapMessage, transfer?: ArrayBuffer[]) => worker.postMessage(m, transfer));
    return new Promise<void>((resolve, reject) => {
      let listening = false;
      worker.on("message", (m: WorkerMessage) => {
        if (m.t === "listening") {
          listening = true;
          this.bound = { host: m.host, port: m.port };
          resolve();
        } else if (m.t === "failed") {
          reject(new Error(m.message));
          void worker.terminate();
        } else if (this.worker === worker) {
          // A request the tap cannot answer costs the console that answer (the worker times out), never the appliance.
          try {
            this.tap.answer(m);
          } catch (e) {
            this.live.log(3, `console: answering the console's worker failed (${(e as Error).message})`);
          }
        }
      });
      worker.on("error", (e) => {
        if (!listening) reject(e);
        else this.live.log(3, `console: the web console's worker failed (${e.message})`);
      });
      worker.on("exit", (code) => {
        if (this.worker !== worker) return;
        this.worker = null;
        this.tap.detach();
        if (!listening) {
          reject(new Error(`the console's worker exited (${code}) before it listened`));
          return;
        }
        if (this.closed) return;
        if (Date.now() - startedMs > STABLE_MS) this.restartDelay = RESTART_MS;
        this.live.log(3, `console: the web console's worker stopped (exit ${code}); starting it again in ${this.restartDelay / 1000} s (forwarding is not affected)`);
        this.restartLater();
      });
    });
  }

  /** Start a worker again after the current delay; while starting fails, try again, the delay doubling. */
  private restartLater(): void {
    const delay = this.restartDelay;
    this.restartDelay = Math.min(RESTART_MAX_MS, this.restartDelay * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.closed) return;
      this.spawn(this.bound.port).then(
        () => this.live.log(5, `console: the web console is back on http://${this.bound.host}:${this.bound.port}/`),
        (e) => {
          if (this.closed) return;
          this.live.log(3, `console: could not start the web console again (${(e as Error).message}); trying again in ${this.restartDelay / 1000} s`);
          this.restartLater();
        },
      );
    }, delay);
    this.restartTimer.unref();
  }

  /** Stop serving: the worker closes its listener and streams, then ends. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.tap.close();
    const w = this.worker;
    if (!w) return;
    const exited = new Promise<void>((r) => w.once("exit", () => r()));
    w.postMessage({ t: "close" } satisfies TapMessage);
    const timer = setTimeout(() => void w.terminate(), 5000);
    await exited;
    clearTimeout(timer);
  }
}
