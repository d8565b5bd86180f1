// The JSON behind each console page: the overview, a page of rules (sorted,
// filtered, never-hit marked) and a page of tracked connections. Paging and
// filtering happen here, so a browser never receives 10,000 rules or 65,536
// flows at once.
import { formatAddress } from "../model/addr.ts";
import { decodeFlowRecords } from "../conntrack/wasm-conntrack.ts";
import type { ConsoleState, Snapshot, RuleRow } from "./snapshot.ts";

const MAX_LIMIT = 500;
const MAX_FILTER = 200;

function paging(q: URLSearchParams, defLimit: number): { offset: number; limit: number; filter: string } {
  const int = (name: string, def: number, max: number) => {
    const v = Number(q.get(name) ?? def);
    return Number.isInteger(v) && v >= 0 ? Math.min(v, max) : def;
  };
  return { offset: int("offset", 0, 1e9), limit: int("limit", defLimit, MAX_LIMIT), filter: (q.get("filter") ?? "").slice(0, MAX_FILTER).toLowerCase() };
}

export async function overview(state: ConsoleState, sampleMs: number) {
  const s = await state.snapshot();
  const hit = s.rules.reduce((n, r) => n + (r.packets > 0 ? 1 : 0), 0);
  return {
    build: s.build, uptimeS: s.uptimeS, generation: s.generation, loadedAtMs: s.loadedAtMs,
    configs: s.configs, dialect: s.dialect, warnings: s.warnings.slice(0, 50), warningCount: s.warnings.length,
    lastReload: s.lastReload, reloads: s.reloads,
    rules: { total: s.rules.length, hit, neverHit: s.rules.length - hit },
    ports: s.ports, drops: s.drops, conntrack: s.conntrack,
    // The chart ends now: the samples so far and the ports' current totals.
    history: { sampleMs, samples: [...state.history, { atMs: s.atMs, ports: s.ports }] },
  };
}

const RULE_SORTS: Record<string, (a: RuleRow, b: RuleRow) => number> = {
  order: (a, b) => a.index - b.index,
  hits: (a, b) => b.packets - a.packets || a.index - b.index,
  bytes: (a, b) => b.bytes - a.bytes || a.index - b.index,
  last: (a, b) => (b.lastHitMs ?? -1) - (a.lastHitMs ?? -1) || a.index - b.index,
};

/** A snapshot's rules in one order, sorted once however many viewers ask (a snapshot lives half a second). */
const sortCache = new WeakMap<Snapshot, Map<string, RuleRow[]>>();

function sortedOnce(s: Snapshot, sort: string, rows: RuleRow[]): RuleRow[] {
  if (rows !== s.rules) return [...rows].sort(RULE_SORTS[sort]); // filtered: small, or particular to one viewer
  let bySort = sortCache.get(s);
  if (!bySort) sortCache.set(s, (bySort = new Map()));
  let sorted = bySort.get(sort);
  if (!sorted) bySort.set(sort, (sorted = [...rows].sort(RULE_SORTS[sort])));
  return sorted;
}

export function rulesPage(s: Snapshot, q: URLSearchParams) {
  const { offset, limit, filter } = paging(q, 200);
  const sort = RULE_SORTS[q.get("sort") ?? "order"] ? (q.get("sort") ?? "order") : "order";
  const only = q.get("only"); // "never" = rules never hit since load
  let rows = s.rules;
  if (filter) rows = rows.filter((r) => `${r.ruleset} ${r.name} ${r.file}:${r.line} ${r.text} ${r.action}`.toLowerCase().includes(filter));
  if (only === "never") rows = rows.filter((r) => r.packets === 0);
  if (sort !== "order") rows = sortedOnce(s, sort, rows);
  return {
    generation: s.generation, dialect: s.dialect, total: s.rules.length, matched: rows.length, offset, limit, sort,
    rows: rows.slice(offset, offset + limit),
    defaults: s.defaults,
  };
}

interface FlowRow {
  proto: number; src: string; dst: string; sport: number; dport: number; state: string;
  ageS: number; idleS: number; packets: number; bytes: number; in: string; out: string;
}

const flowCaches = new WeakMap<ConsoleState, { atMs: number; rows: Promise<FlowRow[]> }>();
const FLOW_TTL_MS = 500;

/**
 * The tracked flows, copied from the forwarding thread at most twice a
 * second whoever asks (a full table is 65,536 records) and decoded here.
 */
function flowRows(state: ConsoleState): Promise<FlowRow[]> {
  const now = Date.now();
  const cached = flowCaches.get(state);
  if (cached && now - cached.atMs < FLOW_TTL_MS) return cached.rows;
  const rows = state.flows().then((f) => {
    const nowNs = BigInt(f.atMs) * 1_000_000n;
    const iface = (i: number) => f.interfaces[i] ?? String(i);
    const secs = (ns: bigint) => Math.max(0, Math.round(Number(nowNs - ns) / 1e9));
    return decodeFlowRecords(f.records).map((f) => ({
      proto: f.proto, src: formatAddress(f.src), dst: formatAddress(f.dst), sport: f.sport, dport: f.dport, state: f.state,
      ageS: secs(f.createdNs), idleS: secs(f.lastSeenNs), packets: Number(f.packets), bytes: Number(f.bytes),
      in: iface(f.ifIn), out: iface(f.ifOut),
    }));
  });
  flowCaches.set(state, { atMs: now, rows });
  rows.catch(() => { if (flowCaches.get(state)?.rows === rows) flowCaches.delete(state); });
  return rows;
}

export async function connectionsPage(state: ConsoleState, q: URLSearchParams) {
  const { offset, limit, filter } = paging(q, 100);
  const sort = q.get("sort") === "newest" ? "newest" : "largest";
  const all = await flowRows(state);
  let rows = all;
  if (filter) rows = rows.filter((f) => `${f.src}:${f.sport} ${f.dst}:${f.dport}`.toLowerCase().includes(filter));
  rows = [...rows].sort(sort === "newest" ? (a, b) => a.ageS - b.ageS : (a, b) => b.bytes - a.bytes || b.packets - a.packets);
  return { total: all.length, matched: rows.length, offset, limit, sort, rows: rows.slice(offset, offset + limit) };
}
