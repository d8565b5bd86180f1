// What the console and /metrics show, built in the console's worker thread
// from what the forwarding thread hands over (tap.ts): a snapshot of the
// counters (cached for a moment, so a page polled by many viewers and a
// scraper cost one copy), each vendor rule's rows and last hit, the port
// history behind the overview's chart, and the log feed.
import { allRules, ruleReference, type Policy } from "../model/rule.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import { LogFeed } from "./log-feed.ts";
import { buildInfo, type BuildInfo } from "../build-info.ts";
import type { Figures, FlowFigures, GenerationData, PortFigures } from "./protocol.ts";

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
  ports: PortFigures[];
  drops: { reason: string; count: number }[];
  conntrack: { flows: number; capacity: number; evicted: number; untracked: number; created: number } | null;
}

export interface PortSample {
  atMs: number;
  ports: Omit<PortFigures, "txErrors">[];
}

/** Where the figures come from: the forwarding thread, asked by message (worker.ts). */
export interface FigureSource {
  figures(haveGeneration: number): Promise<Figures>;
  flows(): Promise<FlowFigures>;
}

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
  warnings: string[];
}

export class ConsoleState {
  readonly build = buildInfo();
  readonly feed = new LogFeed();
  readonly history: PortSample[] = [];
  /** The running generation's policy, program and appliance (the tester's too). */
  current: GenerationData | null = null;
  /** A vendor rule's last hit, keyed by its identity so it survives a reload that keeps the rule. */
  private lastHit = new Map<string, number>();
  private lastPackets = new Float64Array(0); // per row, at the last look
  private layout: RuleLayout | null = null;
  private cached: Snapshot | null = null;
  private pending: Promise<Snapshot> | null = null;
  private timer: NodeJS.Timeout;

  constructor(private source: FigureSource) {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  close(): void {
    clearInterval(this.timer);
    this.feed.close();
  }

  /** Every SAMPLE_MS: the ports' totals for the chart, and which rules were hit since the last look. */
  private async sample(): Promise<void> {
    try {
      const s = await this.fresh();
      this.history.push({ atMs: s.atMs, ports: s.ports.map(({ txErrors: _, ...p }) => p) });
      if (this.history.length > HISTORY_SAMPLES) this.history.shift();
    } catch {
      // The forwarding thread is gone (shutting down): nothing to sample.
    }
  }

  /** The latest snapshot, at most SNAPSHOT_TTL_MS old; concurrent callers share one request. */
  snapshot(): Promise<Snapshot> {
    if (this.cached && Date.now() - this.cached.atMs < SNAPSHOT_TTL_MS) return Promise.resolve(this.cached);
    return this.fresh();
  }

  /** A snapshot taken now (the tester asks for one: it must judge with the running generation). */
  fresh(): Promise<Snapshot> {
    if (!this.pending) {
      this.pending = this.source.figures(this.current?.generation ?? -1)
        .then((f) => this.build_(f))
        .finally(() => { this.pending = null; });
    }
    return this.pending;
  }

  flows(): Promise<FlowFigures> {
    return this.source.flows();
  }

  private build_(f: Figures): Snapshot {
    if (f.generationData) this.current = f.generationData;
    const gen = this.current;
    if (!gen || gen.generation !== f.generation) throw new Error(`the console has no policy for generation ${f.generation}`);
    const layout = this.refreshCounters(f, gen);
    this.cached = {
      build: this.build,
      atMs: f.atMs,
      uptimeS: Math.round((f.atMs - f.startedMs) / 1000),
      generation: f.generation,
      loadedAtMs: gen.loadedAtMs,
      configs: gen.configs,
      dialect: gen.dialect,
      warnings: layout.warnings,
      lastReload: f.lastReload,
      reloads: f.reloads,
      rules: layout.rows,
      defaults: f.defaults,
      ports: f.ports,
      drops: f.drops,
      conntrack: f.conntrack,
    };
    return this.cached;
  }

  private ruleLayout(gen: GenerationData): RuleLayout {
    if (this.layout?.generation === gen.generation) return this.layout;
    const policy = gen.policy;
    const all = allRules(policy);
    const rows: RuleRow[] = [], keys: string[] = [];
    const rowOf = new Int32Array(all.length);
    const byKey = new Map<string, number>();
    const rulesetOf = rulesetNames(policy);
    all.forEach((r, i) => {
      const o = r.origin;
      const key = `${rulesetOf[i]}\0${o.file}\0${o.line}\0${o.text}`; // a vendor rule's identity, stable across a reload that keeps it
      let row = byKey.get(key);
      if (row === undefined) {
        row = rows.length;
        byKey.set(key, row);
        keys.push(key);
        rows.push({
          index: i, indices: [], ruleset: rulesetOf[i], name: o.label ?? `#${i}`, file: o.file, line: o.line,
          text: o.text, action: r.action, packets: 0, bytes: 0, lastHitMs: this.lastHit.get(key) ?? null,
        });
      }
      rows[row].indices.push(i);
      rowOf[i] = row;
    });
    this.layout = { generation: gen.generation, rows, keys, rowOf, warnings: gen.warnings.map(formatDiagnostic) };
    return this.layout;
  }

  /**
   * Sum the copied counters per vendor rule, and note which rules were hit
   * since the last look. A new generation's rules start from the counters
   * they carried over: a carried count is not a new hit. The rows are updated
   * in place (one array per generation: /metrics keeps its label text per
   * array); everything here runs in one thread, between two requests.
   */
  private refreshCounters(f: Figures, gen: GenerationData): RuleLayout {
    const fresh = this.layout?.generation !== gen.generation;
    const layout = this.ruleLayout(gen);
    const view = f.counters;
    for (const row of layout.rows) { row.packets = 0; row.bytes = 0; }
    for (let i = 0; i < layout.rowOf.length && 2 * i + 1 < view.length; i++) {
      const row = layout.rows[layout.rowOf[i]];
      row.packets += Number(view[2 * i]);
      row.bytes += Number(view[2 * i + 1]);
    }
    if (fresh || this.lastPackets.length !== layout.rows.length) this.lastPackets = Float64Array.from(layout.rows, (r) => r.packets);
    layout.rows.forEach((row, k) => {
      if (row.packets > this.lastPackets[k]) {
        row.lastHitMs = f.atMs;
        this.lastHit.set(layout.keys[k], f.atMs);
      }
      this.lastPackets[k] = row.packets;
    });
    return layout;
  }
}

/** The ruleset name of each program rule, in program order. */
function rulesetNames(policy: Policy): string[] {
  const out: string[] = [];
  for (const rs of policy.rulesets) for (let k = 0; k < rs.rules.length; k++) out.push(rs.name);
  return out;
}

/** The ruleset, name and provenance of one program rule (the tester's answer). */
export function ruleOf(policy: Policy, index: number): { index: number; ruleset: string; name: string; file: string; line: number; text: string } | null {
  const r = ruleReference(policy, index);
  return r && { index, ruleset: r.ruleset, name: r.label ?? `#${index}`, file: r.file, line: r.line, text: r.text };
}
