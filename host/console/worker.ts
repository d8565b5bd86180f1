// The console's worker thread: the HTTP server, /metrics, the JSON pages, the
// packet tester and the log's event streams all run here, off the thread
// that forwards frames. What it shows it asks the forwarding thread for
// (tap.ts answers with copies); log lines arrive in batches.
import { parentPort, workerData } from "node:worker_threads";
import { ConsoleState, type FigureSource } from "./snapshot.ts";
import { ConsoleHttp } from "./http.ts";
import type { Figures, FlowFigures, TapMessage, WorkerMessage, WorkerStart } from "./protocol.ts";

const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

/** Requests to the forwarding thread, answered in order by id. */
let nextId = 1;
const waiting = new Map<number, (m: TapMessage) => void>();
/** An answer the forwarding thread owes this long is given up (a page gets a 500, the next request asks again). */
const ASK_TIMEOUT_MS = 10_000;
function ask(m: { t: "figures?"; haveGeneration: number } | { t: "flows?" }): Promise<TapMessage> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(`no answer from the forwarding thread in ${ASK_TIMEOUT_MS / 1000} s`));
    }, ASK_TIMEOUT_MS);
    waiting.set(id, (a) => { clearTimeout(timer); resolve(a); });
    post({ ...m, id });
  });
}

const source: FigureSource = {
  async figures(haveGeneration: number): Promise<Figures> {
    const a = await ask({ t: "figures?", haveGeneration });
    if (a.t !== "figures") throw new Error(`the forwarding thread answered ${a.t} to figures?`);
    return a.figures;
  },
  async flows(): Promise<FlowFigures> {
    const a = await ask({ t: "flows?" });
    if (a.t !== "flows") throw new Error(`the forwarding thread answered ${a.t} to flows?`);
    return a.flows;
  },
};

const state = new ConsoleState(source);
let server: ConsoleHttp | null = null;

port.on("message", (m: TapMessage) => {
  switch (m.t) {
    case "figures":
    case "flows": {
      const f = waiting.get(m.id);
      waiting.delete(m.id);
      f?.(m);
      return;
    }
    case "log":
      state.feed.skip(m.dropped);
      for (const l of m.lines) state.feed.push(l.severity, l.text, l.atMs);
      return;
    case "close":
      void (server ? server.close() : Promise.resolve(state.close())).then(() => process.exit(0));
      return;
  }
});

const opts = workerData as WorkerStart;
ConsoleHttp.start(state, opts).then(
  (s) => {
    server = s;
    post({ t: "listening", ...s.address });
  },
  (e) => post({ t: "failed", message: (e as Error).message }),
);
