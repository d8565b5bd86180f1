// What the console and /metrics show, taken from the running appliance:
// a snapshot of its counters (cached for a moment, so a page polled by many
// viewers and a scraper cost one read), the figures the engine does not keep
// (defaults per direction, drops by reason, each rule's last hit), the port
// history behind the overview's chart, and the log feed.
import * as L from "../../assembly/layout.ts";
import { describeReason } from "../engine/reasons.ts";
import type { RuleBook } from "../runtime/rule-book.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import type { LiveAppliance, BatchOutcome } from "../runtime/live.ts";
import { LogFeed } from "./log-feed.ts";
import { buildInfo, type BuildInfo } from "../build-info.ts";

/**
 * One rule as the operator wrote it. A dialect may lower one vendor rule into
 * several program rules (a Windows Firewall exception becomes one rule per
 * family and destination); the console counts them together under the
 * vendor's rule, identified by its ruleset, file, line and text.
 */
export interface RuleRow {
  index: number; // the first program rule lowered from it
  indices: number[];
  ruleset: string;
  name: string; // the dialect's own name or number for the rule
  file: string;
  line: number;
  text: string;
  action: string;
  packets: number;
  bytes: number;
  lastHitMs: number | null; // null: never hit since the appliance started
}

export interface Snapshot {
  build: BuildInfo;
  atMs: number;
  uptimeS: number;
  generation: number;
  loadedAtMs: number;
  configs: string[];
  dialect: string | null;
  warnings: string[];
  lastReload: { atMs: number; ok: boolean; message: string } | null;
  reloads: { applied: number; refused: number };
  rules: RuleRow[];
  defaults: { ruleset: string; direction: string; packets: number }[];
  ports: { name: string; rxPackets: number; rxBytes: number; txPackets: number; txBytes: number; txErrors: number }[];
  drops: { reason: string; count: number }[];
  conntrack: { flows: number; capacity: number; evicted: number; untracked: number; created: number } | null;
}

export interface PortSample {
  atMs: number;
  ports: { name: string; rxPackets: number; rxBytes: number; txPackets: number; txBytes: number }[];
}

const DIRECTION_NAMES = ["inbound", "outbound", "other"];
/** How long one snapshot serves every request (ms). */
const SNAPSHOT_TTL_MS = 500;
/** Port history: one sample every SAMPLE_MS, the last HISTORY_SAMPLES of them (10 minutes). */
export const SAMPLE_MS = 5000;
const HISTORY_SAMPLES = 120;

/**
 * The rows of one generation of rules: built once per loaded program (the
 * grouping of program rules under vendor rules, their identities and metric
 * labels), then only their counters change.
 */
interface RuleLayout {
  generation: number;
  rows: RuleRow[];
  keys: string[]; // per row: its identity (hitKey)
  rowOf: Int32Array; // per program rule: its row
}

export class ConsoleState {
  readonly build = buildInfo();
  readonly feed = new LogFeed();
  readonly history: PortSample[] = [];
  /** Packets per ruleset default and direction ("ruleset\0direction"), counted from the live batches. */
  private defaultsByDir = new Map<string, number>();
  /** Denied frames by reason name (rules, defaults, malformed packets, bridge drops). */
  private dropsByReason = new Map<string, number>();
  /** A vendor rule's last hit, keyed by its identity so it survives a reload that keeps the rule. */
  private lastHit = new Map<string, number>();
  private lastPackets = new Float64Array(0); // per row, at the last look
  private layout: RuleLayout | null = null;
  private cached: Snapshot | null = null;
  private timer: NodeJS.Timeout;
  private unhook: () => void;

  constructor(readonly live: LiveAppliance) {
    const onBatch = (outcomes: BatchOutcome[]) => this.countBatch(outcomes);
    const onLog = (severity: string, text: string) => this.feed.push(severity, text);
    live.batchListeners.add(onBatch);
    live.logListeners.add(onLog);
    this.unhook = () => { live.batchListeners.delete(onBatch); live.logListeners.delete(onLog); };
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.unhook();
    this.feed.close();
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

  /** Every SAMPLE_MS: the ports' totals for the chart, and which rules were hit since the last look. */
  private sample(): void {
    const now = Date.now();
    this.history.push({ atMs: now, ports: this.live.ports.map((p) => ({ name: p.spec.name, ...p.counters })) });
    if (this.history.length > HISTORY_SAMPLES) this.history.shift();
    this.refreshCounters(now);
  }

  private ruleLayout(): RuleLayout {
    const generation = this.live.generation;
    if (this.layout?.generation === generation) return this.layout;
    const book = this.live.fw.book;
    const rows: RuleRow[] = [], keys: string[] = [];
    const rowOf = new Int32Array(book.count);
    const byKey = new Map<string, number>();
    for (let i = 0; i < book.count; i++) {
      const key = hitKey(book, i);
      let row = byKey.get(key);
      if (row === undefined) {
        row = rows.length;
        byKey.set(key, row);
        keys.push(key);
        rows.push({
          index: i, indices: [], ruleset: book.rulesetName(i), name: book.label(i) ?? `#${i}`, file: book.file(i), line: book.line(i),
          text: book.text(i), action: book.action(i), packets: 0, bytes: 0, lastHitMs: this.lastHit.get(key) ?? null,
        });
      }
      rows[row].indices.push(i);
      rowOf[i] = row;
    }
    this.layout = { generation, rows, keys, rowOf };
    return this.layout;
  }

  /**
   * Read every rule's counters (one view of WebAssembly memory, no copy),
   * sum them per vendor rule, and note which rules were hit since the last
   * look. A new generation's rules start from the counters they carried over:
   * a carried count is not a new hit.
   */
  private refreshCounters(now: number): RuleLayout {
    const fresh = this.layout?.generation !== this.live.generation;
    const layout = this.ruleLayout();
    const view = this.live.fw.engine.counterView();
    for (const row of layout.rows) { row.packets = 0; row.bytes = 0; }
    for (let i = 0; i < layout.rowOf.length; i++) {
      const row = layout.rows[layout.rowOf[i]];
      row.packets += Number(view[2 * i]);
      row.bytes += Number(view[2 * i + 1]);
    }
    if (fresh || this.lastPackets.length !== layout.rows.length) this.lastPackets = Float64Array.from(layout.rows, (r) => r.packets);
    layout.rows.forEach((row, k) => {
      if (row.packets > this.lastPackets[k]) {
        row.lastHitMs = now;
        this.lastHit.set(layout.keys[k], now);
      }
      this.lastPackets[k] = row.packets;
    });
    return layout;
  }

  snapshot(): Snapshot {
    const now = Date.now();
    if (this.cached && now - this.cached.atMs < SNAPSHOT_TTL_MS && this.cached.generation === this.live.generation) return this.cached;
    const { rows } = this.refreshCounters(now);
    const live = this.live;
    const defaults = [...this.defaultsByDir].map(([k, packets]) => {
      const [ruleset, direction] = k.split("\0");
      return { ruleset, direction, packets };
    });
    const b = live.bridge.counters;
    const drops = [...this.dropsByReason].map(([reason, count]) => ({ reason, count }));
    if (b.droppedRunt) drops.push({ reason: "runt frame", count: b.droppedRunt });
    if (b.droppedOther) drops.push({ reason: "other ethertype", count: b.droppedOther });
    this.cached = {
      build: this.build,
      atMs: now,
      uptimeS: Math.round((now - live.startedMs) / 1000),
      generation: live.generation,
      loadedAtMs: live.loadedAtMs,
      configs: live.opts.configs,
      dialect: live.dialectName,
      warnings: live.warnings.map(formatDiagnostic),
      lastReload: live.lastReload,
      reloads: { ...live.reloadCounts },
      rules: rows,
      defaults,
      ports: live.ports.map((p) => ({ name: p.spec.name, ...p.counters })),
      drops,
      conntrack: conntrackOf(live),
    };
    return this.cached;
  }
}

/** A vendor rule's identity: its ruleset, where it was written and what it says (stable across a reload that keeps it). */
function hitKey(book: RuleBook, i: number): string {
  return `${book.rulesetName(i)}\0${book.file(i)}\0${book.line(i)}\0${book.text(i)}`;
}

function conntrackOf(live: LiveAppliance): Snapshot["conntrack"] {
  const s = live.fw.engine.conntrackStats();
  return { flows: Number(s.flows), capacity: Number(s.capacity), evicted: Number(s.evicted), untracked: Number(s.untracked), created: Number(s.created) };
}
