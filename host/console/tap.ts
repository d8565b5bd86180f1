// The console's part on the forwarding thread, and all of it: count what the
// engine does not (defaults per direction, drops by reason) from each
// batch's outcomes, gather log lines into batches, and answer the worker's
// requests with copies (the counters as one typed-array copy, the occupied
// flow records undecoded, a few dozen figures; the policy once per
// generation). No rendering, sorting, filtering or serving happens here: that
// is the worker's (worker.ts), so a browser or a scraper never takes the
// event loop that forwards frames for more than these copies.
import { readPolicyImage } from "../runtime/policy-image.ts";
import { conntrackOf } from "../conntrack/wasm-conntrack.ts";
import * as L from "../../assembly/layout.ts";
import { describeReason } from "../engine/reasons.ts";
import type { LiveAppliance, BatchOutcome } from "../runtime/live.ts";
import type { Figures, FlowFigures, FeedLine, GenerationData, TapMessage, WorkerMessage } from "./protocol.ts";

const DIRECTION_NAMES = ["inbound", "outbound", "other"];
/** Log lines are sent to the worker at most this often, in one message. */
const LOG_FLUSH_MS = 100;
/** Lines kept for the next message; beyond it the oldest are dropped and counted (the worker's ring keeps 1,000). */
const LOG_PENDING_MAX = 1000;

export class ApplianceTap {
  /** Packets per ruleset default and direction ("ruleset\0direction"), counted from the live batches. */
  private defaultsByDir = new Map<string, number>();
  /** Denied frames by reason name (rules, defaults, malformed packets). */
  private dropsByReason = new Map<string, number>();
  private pending: FeedLine[] = [];
  private dropped = 0;
  private logTimer: NodeJS.Timeout | null = null;
  private unhook: () => void;
  /** Where messages to the worker go (null while no worker runs: log lines wait, bounded). */
  private post: ((m: TapMessage, transfer?: ArrayBuffer[]) => void) | null = null;

  constructor(readonly live: LiveAppliance) {
    const onBatch = (outcomes: BatchOutcome[]) => this.countBatch(outcomes);
    const onLog = (severity: string, text: string) => this.logLine(severity, text);
    live.batchListeners.add(onBatch);
    live.logListeners.add(onLog);
    this.unhook = () => { live.batchListeners.delete(onBatch); live.logListeners.delete(onLog); };
  }

  /** Send to this worker from now on (a restarted worker gets the lines that waited). */
  attach(post: (m: TapMessage, transfer?: ArrayBuffer[]) => void): void {
    this.post = post;
    if (this.pending.length || this.dropped) this.scheduleLog();
  }

  detach(): void {
    this.post = null;
  }

  close(): void {
    this.unhook();
    if (this.logTimer) clearTimeout(this.logTimer);
    this.logTimer = null;
    this.post = null;
  }

  /** Runs on the data path: a few map updates per denied or defaulted packet, nothing else. */
  private countBatch(outcomes: BatchOutcome[]): void {
    const policy = this.live.fw.book;
    for (const { outcome: o } of outcomes) {
      if (o.reason === L.REASON_DEFAULT) {
        const rs = o.stage === "input" ? policy.input[o.path.ifIn] : o.stage === "output" ? policy.output[o.path.ifOut] : null;
        if (rs !== null && rs !== undefined) {
          const key = `${policy.rulesets[rs]?.name ?? rs}\0${DIRECTION_NAMES[o.path.dir] ?? "other"}`;
          this.defaultsByDir.set(key, (this.defaultsByDir.get(key) ?? 0) + 1);
        }
      }
      if (o.verdict === "deny") {
        const reason = describeReason(o.reason);
        this.dropsByReason.set(reason, (this.dropsByReason.get(reason) ?? 0) + 1);
      }
    }
  }

  /** One array write per line; a flood of packet log events costs one message per LOG_FLUSH_MS. */
  private logLine(severity: string, text: string): void {
    this.pending.push({ atMs: Date.now(), severity, text });
    if (this.pending.length > LOG_PENDING_MAX) {
      const over = this.pending.length - LOG_PENDING_MAX;
      this.pending.splice(0, over);
      this.dropped += over;
    }
    this.scheduleLog();
  }

  private scheduleLog(): void {
    if (this.logTimer || !this.post) return;
    this.logTimer = setTimeout(() => {
      this.logTimer = null;
      if (!this.post) return;
      this.post({ t: "log", lines: this.pending, dropped: this.dropped });
      this.pending = [];
      this.dropped = 0;
    }, LOG_FLUSH_MS);
    this.logTimer.unref();
  }

  /** A request from the worker. */
  answer(m: WorkerMessage): void {
    if (!this.post) return;
    if (m.t === "figures?") {
      const figures = this.figures(m.haveGeneration);
      this.post({ t: "figures", id: m.id, figures }, [figures.counters.buffer as ArrayBuffer]);
    } else if (m.t === "flows?") {
      const flows = this.flows();
      this.post({ t: "flows", id: m.id, flows }, [flows.records.ids.buffer as ArrayBuffer, flows.records.records.buffer as ArrayBuffer]);
    }
  }

  /** The figures now: copies, nothing computed per rule. */
  figures(haveGeneration: number): Figures {
    const live = this.live;
    const b = live.bridge.counters;
    const drops = [...this.dropsByReason].map(([reason, count]) => ({ reason, count }));
    if (b.droppedRunt) drops.push({ reason: "runt frame", count: b.droppedRunt });
    if (b.droppedOther) drops.push({ reason: "other ethertype", count: b.droppedOther });
    const s = conntrackOf(live.fw.engine).stats();
    const figures: Figures = {
      atMs: Date.now(),
      startedMs: live.startedMs,
      generation: live.generation,
      counters: live.fw.engine.counterView().slice(),
      defaults: [...this.defaultsByDir].map(([k, packets]) => {
        const [ruleset, direction] = k.split("\0");
        return { ruleset, direction, packets };
      }),
      drops,
      ports: live.ports.map((p) => ({
        name: p.spec.name, rxPackets: p.counters.rxPackets, rxBytes: p.counters.rxBytes,
        txPackets: p.counters.txPackets, txBytes: p.counters.txBytes, txErrors: p.counters.txErrors,
      })),
      conntrack: { flows: s.flows, capacity: s.capacity, evicted: s.evicted, untracked: s.untracked, created: s.created },
      lastReload: live.lastReload && { ...live.lastReload },
      reloads: { ...live.reloadCounts },
    };
    if (haveGeneration !== live.generation) figures.generationData = this.generationData();
    return figures;
  }

  /** Once per generation: the policy with its rule texts, the program (for the tester), the appliance. */
  private generationData(): GenerationData {
    const live = this.live;
    return {
      // The full model is kept when the console runs (run --http: keepPolicy); else read back from the running image.
      generation: live.generation, policy: live.fw.policy ?? readPolicyImage(live.policyImage!), program: live.fw.program, appliance: live.appliance,
      configs: live.opts.configs, dialect: live.dialectName, warnings: live.warnings, loadedAtMs: live.loadedAtMs,
    };
  }

  flows(): FlowFigures {
    const live = this.live;
    return {
      atMs: Date.now(), generation: live.generation, records: conntrackOf(live.fw.engine).flowRecords(),
      interfaces: live.appliance.interfaces.map((i) => i.name),
    };
  }
}
