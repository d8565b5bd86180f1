// The messages between the forwarding thread (tap.ts) and the console's
// worker thread (worker.ts). The forwarding thread sends only what is cheap
// to copy: typed-array copies of the counters and of the occupied flow
// records, a few dozen figures, log lines in batches; the policy (rule
// texts, the program, the appliance) once per configuration generation. All
// rendering, sorting, filtering and serving happens in the worker.
import type { Policy } from "../model/rule.ts";
import type { Appliance } from "../model/appliance.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { FlowRecords } from "../conntrack/wasm-conntrack.ts";

/** What the worker needs to start: where to listen and the token, if any. */
export interface WorkerStart {
  host: string;
  port: number;
  token: string | null;
}

export interface PortFigures {
  name: string;
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  txErrors: number;
}

/** One configuration generation: sent when the worker's generation differs from the running one. */
export interface GenerationData {
  generation: number;
  policy: Policy;
  program: Uint8Array;
  appliance: Appliance;
  configs: string[];
  dialect: string | null;
  warnings: Diagnostic[];
  loadedAtMs: number;
}

/** The appliance's figures at one moment. */
export interface Figures {
  atMs: number;
  startedMs: number;
  generation: number;
  /** Packets and bytes per program rule, interleaved (a copy of the engine's counters). */
  counters: BigUint64Array;
  defaults: { ruleset: string; direction: string; packets: number }[];
  drops: { reason: string; count: number }[];
  ports: PortFigures[];
  conntrack: { flows: number; capacity: number; evicted: number; untracked: number; created: number };
  lastReload: { atMs: number; ok: boolean; message: string } | null;
  reloads: { applied: number; refused: number };
  /** Present when the worker asked with another generation than the running one. */
  generationData?: GenerationData;
}

export interface FlowFigures {
  atMs: number;
  generation: number;
  records: FlowRecords;
  interfaces: string[];
}

export interface FeedLine {
  atMs: number;
  severity: string;
  text: string;
}

/** Worker -> forwarding thread. */
export type WorkerMessage =
  | { t: "listening"; host: string; port: number }
  | { t: "failed"; message: string }
  | { t: "figures?"; id: number; haveGeneration: number }
  | { t: "flows?"; id: number };

/** Forwarding thread -> worker. */
export type TapMessage =
  | { t: "figures"; id: number; figures: Figures }
  | { t: "flows"; id: number; flows: FlowFigures }
  | { t: "log"; lines: FeedLine[]; dropped: number }
  | { t: "close" };
