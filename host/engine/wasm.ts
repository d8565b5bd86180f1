// The host side of the WebAssembly matcher: loads the module through the
// compiler's generated bindings, stages and loads rule programs, and moves
// packet batches and results through linear memory.
import { readFileSync, existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { packagePath } from "../package-root.ts";
import * as L from "../../assembly/layout.ts";
import * as C from "../../assembly/conntrack-layout.ts";
import { type Address, parseAddress } from "../model/addr.ts";
import { LOAD_ERRORS } from "./reasons.ts";
import { type PacketHeader, type PacketMeta, writeTuple, readTuple } from "./header.ts";

export interface WasmResult {
  verdict: "permit" | "deny";
  rule: number;
  reason: number;
  stage: "input" | "output" | "none";
  marks: number;
  inputRule: number;
  outputRule: number;
  monitorRule: number;
  flow: number; // connection-table entry of the packet's flow, -1 if none
  flowGen: number; // with `flow`, names the session (FlowHandle)
  ctFlags: number; // CTR_* bits
}

/** A session: a tracked flow, valid while its generation is current. */
export interface FlowHandle {
  id: number;
  gen: number;
}

export const STATE_NAMES: Record<number, string> = {
  [C.CT_NONE]: "none", [C.CT_SYN_SENT]: "syn-sent", [C.CT_SYN_RECV]: "syn-recv",
  [C.CT_ESTABLISHED]: "established", [C.CT_FIN_WAIT]: "fin-wait", [C.CT_CLOSING]: "closing", [C.CT_CLOSED]: "closed",
};

export interface FlowInfo {
  handle: FlowHandle;
  family: 4 | 6;
  proto: number;
  state: string; // STATE_NAMES
  flags: number; // CTF_*
  src: Address;
  dst: Address;
  sport: number;
  dport: number;
  lastSeenNs: bigint;
  createdNs: bigint;
  packets: bigint;
  bytes: bigint;
  rule: number;
  ifIn: number;
  ifOut: number;
  dir: number;
}

export const TIMEOUT_CLASSES = {
  tcpOpening: C.TO_TCP_OPENING, tcpEstablished: C.TO_TCP_ESTABLISHED, tcpClosing: C.TO_TCP_CLOSING,
  tcpClosed: C.TO_TCP_CLOSED, udp: C.TO_UDP, icmp: C.TO_ICMP, other: C.TO_OTHER, expectation: C.TO_EXPECT,
} as const;
export type TimeoutClass = keyof typeof TIMEOUT_CLASSES;

export interface ConntrackConfig {
  capacity?: number; // flows (default 65536)
  timeouts?: Partial<Record<TimeoutClass, number>>; // seconds
}

export interface ConntrackStats {
  flows: number; capacity: number; created: number; evicted: number; untracked: number; expired: number;
  invalid: number; stateHits: number; related: number;
  expectGranted: number; expectUsed: number; expectExpired: number; expectLive: number; expectDropped: number;
}

export type FutureConnectResult = "granted" | "conflicts-protocol-rules" | "conflicts-site-content" | "invalid-args";
const AFC_RESULTS: Record<number, FutureConnectResult> = {
  [C.AFC_GRANTED]: "granted", [C.AFC_CONFLICT_PROTOCOL_RULES]: "conflicts-protocol-rules",
  [C.AFC_CONFLICT_SITE_CONTENT]: "conflicts-site-content", [C.AFC_INVALID_ARGS]: "invalid-args",
};

/** AllowFutureConnect's arguments (seed 002), for a filter without NAT. */
export interface FutureConnectRequest {
  /** The session (master flow); required unless flags has AFC_ADDRESS_BASED. */
  session?: FlowHandle | null;
  /** Source address of the expected connection; default: the session's originator (its client). */
  client?: string;
  destination: { address: string; port: number };
  /** ProxyExternalAddress: must be one of the appliance's own addresses (setExternalAddresses); port 0 = any. */
  external?: { address: string; port?: number } | null;
  protocol: "tcp" | "udp";
  flags: number; // AFC_* bits
  /** Where the connection's packets pass, when no session tells it: ingress, egress, DIR_*. */
  via?: { ifIn: number; ifOut: number; dir: number };
  /** Time of the call (ns); default: the table's clock (the latest packet). */
  timeNs?: bigint;
}

export interface Expectation {
  id: number; family: 4 | 6; proto: number; flags: number; client: Address; dst: Address; dport: number;
  sport: number; ifOut: number; createdNs: bigint; expiresNs: bigint; session: FlowHandle | null; uses: number;
}

/** A flow of the host's slow path (FWX_FLAG_NO_KERNEL_MODE): return a verdict to override the fast path's. */
export type SlowPathHandler = (frame: FrameInput, result: WasmResult, index: number) => "permit" | "deny" | void;

export interface FrameInput {
  data: Uint8Array;
  meta: PacketMeta;
  linkType?: number; // LINK_ETHERNET (default) or LINK_RAW_IP
}

type Exports = {
  memory: WebAssembly.Memory;
  stagingBuffer(len: number): number;
  loadProgram(len: number): number;
  badRuleIndex(): number;
  hasProgram(): boolean;
  countersPtr(): number;
  defaultCountersPtr(): number;
  batchBuffer(count: number, dataBytes: number): number;
  batchDataPtr(): number;
  resultsPtr(): number;
  tuplesPtr(): number;
  tupleBuffer(count: number): number;
  parseBatch(count: number): number;
  classifyBatch(count: number): number;
  classifyTuples(count: number): number;
  classifyTupleRange(first: number, count: number): number;
  layoutValue(id: number): number;
  ctConfigure(cap: number): boolean;
  ctSetTimeout(cls: number, seconds: number): boolean;
  ctTimeout(cls: number): number;
  ctFlush(): void;
  ctFlowsPtr(): number;
  ctCapacity(): number;
  ctStatsPtr(): number;
  ctExpectPtr(): number;
  ctExpectCount(): number;
  ctExpectStaging(): number;
  ctExpectCancel(id: number): boolean;
  ctSweep(nowNs: bigint): void;
  ctClock(): bigint;
  ctAllowFutureConnect(nowNs: bigint): number;
  ctLastExpectId(): number;
  setClassifierOptions(mode: number, minRules: number, budget: number, leafSize: number): void;
  indexKind(rs: number): number;
  indexBytes(rs: number): number;
  indexReason(rs: number): number;
  treeStat(which: number): number;
};

/** How the matcher looks up a ruleset: chosen per ruleset when a program loads. */
export type ClassifierMode = "auto" | "linear" | "index";

export interface IndexInfo {
  kind: "linear" | "tree";
  /** Bytes of the index (tree nodes and leaf lists); 0 for the linear scan. */
  bytes: number;
  reason: "indexed" | "small ruleset: the linear scan is faster" | "linear scan requested" | "index over its memory budget";
}

const INDEX_REASONS: IndexInfo["reason"][] = ["indexed", "small ruleset: the linear scan is faster", "linear scan requested", "index over its memory budget"];
const MODES: Record<ClassifierMode, number> = { auto: 0, linear: 1, index: 2 };

export class ProgramError extends Error {
  constructor(readonly code: number, readonly badRule: number, message: string) {
    super(message);
  }
}

const STAGES = ["input", "output"] as const;

/** The builds of the matcher (asconfig.json): release, release without SIMD (for runtimes that lack it), debug. */
export type WasmFlavour = "release" | "release-nosimd" | "debug";

export function wasmPath(flavour: WasmFlavour = "release"): string {
  return packagePath("build", `${flavour}.wasm`);
}

// The smallest module that uses v128: (func (result v128) v128.const i32x4 0 0 0 0).
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11]);
let simd: boolean | undefined;

/** Can this machine's WebAssembly run 128-bit SIMD? (V8 refuses it on CPUs without SSE4.1.) */
export function simdSupported(): boolean {
  if (simd === undefined) {
    try { simd = WebAssembly.validate(SIMD_PROBE) && new WebAssembly.Module(SIMD_PROBE) !== null; } catch { simd = false; }
  }
  return simd;
}

/** What the engine asks of AllowFutureConnect's site deny list (conntrack/site-deny.ts builds one). */
export interface SiteDenyCheck {
  denies(dst: Address, proto: number, port: number): boolean;
}

export class WasmEngine {
  private ruleCount = 0;
  private rulesetCount = 0;
  private siteDeny: SiteDenyCheck | null = null;
  private externalAddresses: { address: Address; ifIndex: number }[] = [];
  private slowPath: SlowPathHandler | null = null;

  private constructor(readonly x: Exports) {}

  static async create(flavour: WasmFlavour = "release"): Promise<WasmEngine> {
    // A machine whose WebAssembly has no 128-bit SIMD (an older CPU, an emulated one) runs the no-SIMD build.
    if (flavour === "release" && !simdSupported()) flavour = "release-nosimd";
    const path = wasmPath(flavour);
    if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run asbuild" first`);
    const bindings = await import(pathToFileURL(packagePath("build", `${flavour}.js`)).href);
    const module = await WebAssembly.compile(readFileSync(path));
    const x = (await bindings.instantiate(module, {})) as Exports;
    return new WasmEngine(x);
  }

  get memory(): ArrayBuffer {
    return this.x.memory.buffer;
  }

  /** Validate and swap in a program. On failure the running program stays and this throws. */
  load(program: Uint8Array): void {
    const ptr = this.x.stagingBuffer(program.length);
    if (ptr === 0) throw new ProgramError(L.LOAD_TOO_LARGE, -1, LOAD_ERRORS[L.LOAD_TOO_LARGE]);
    new Uint8Array(this.memory, ptr, program.length).set(program);
    const code = this.x.loadProgram(program.length);
    if (code !== L.LOAD_OK) {
      const bad = this.x.badRuleIndex();
      throw new ProgramError(code, bad, `program refused: ${LOAD_ERRORS[code] ?? `code ${code}`}${bad >= 0 ? ` (rule ${bad})` : ""}`);
    }
    const dv = new DataView(program.buffer, program.byteOffset, program.byteLength);
    this.ruleCount = dv.getUint32(L.HDR_RULE_COUNT, true);
    this.rulesetCount = dv.getUint32(L.HDR_RULESET_COUNT, true);
  }

  hasProgram(): boolean {
    return this.x.hasProgram();
  }

  /**
   * Index choice for the programs loaded from now on: "auto" indexes
   * rulesets of at least `minRules` rules, "linear" never indexes, "index"
   * indexes every ruleset. `budget` (leaf entries per rule, 0 = keep) bounds
   * the index's memory; over it a ruleset falls back to the scan. `leafSize`
   * (0 = keep) is where the trees stop splitting.
   */
  setClassifier(mode: ClassifierMode, minRules = 32, budget = 0, leafSize = 0): void {
    this.x.setClassifierOptions(MODES[mode], minRules, budget, leafSize);
  }

  /** The index of ruleset `rs` of the active program. */
  indexInfo(rs: number): IndexInfo {
    const kind = this.x.indexKind(rs);
    if (kind < 0) throw new RangeError(`no ruleset ${rs}`);
    return { kind: kind === 1 ? "tree" : "linear", bytes: this.x.indexBytes(rs) >>> 0, reason: INDEX_REASONS[this.x.indexReason(rs)] };
  }

  /** Index bytes of every ruleset of the active program. */
  indexBytes(): number {
    let n = 0;
    for (let i = 0; i < this.rulesetCount; i++) n += this.x.indexBytes(i) >>> 0;
    return n;
  }

  /** Parse and classify whole frames (one batch call). */
  classifyFrames(frames: FrameInput[]): WasmResult[] {
    this.stageFrames(frames);
    this.x.classifyBatch(frames.length);
    const results = this.readResults(frames.length);
    if (this.slowPath) {
      results.forEach((r, i) => {
        if (!(r.ctFlags & L.CTR_SLOW_PATH)) return;
        const v = this.slowPath!(frames[i], r, i);
        if (v) r.verdict = v;
      });
    }
    return results;
  }

  /** The headers the last classifyFrames/parseFrames call parsed (the FTP helper reads l4Offset and seq). */
  lastHeaders(count: number): PacketHeader[] {
    const dv = new DataView(this.memory);
    const base = this.x.tuplesPtr();
    const out: PacketHeader[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = readTuple(dv, base + i * L.TUPLE_SIZE);
    return out;
  }

  /** Parse frames with the WebAssembly parser only (tests compare it with the reference parser). */
  parseFrames(frames: FrameInput[]): PacketHeader[] {
    this.stageFrames(frames);
    this.x.parseBatch(frames.length);
    const dv = new DataView(this.memory);
    const base = this.x.tuplesPtr();
    return frames.map((_, i) => readTuple(dv, base + i * L.TUPLE_SIZE));
  }

  private stageFrames(frames: FrameInput[]): void {
    let dataBytes = 0;
    for (let i = 0; i < frames.length; i++) dataBytes += frames[i].data.length;
    const base = this.x.batchBuffer(frames.length, dataBytes);
    const dataPtr = this.x.batchDataPtr();
    const mem = this.memory;
    const dv = new DataView(mem);
    const bytes = new Uint8Array(mem);
    let off = 0;
    // A plain loop (the live path stages every frame here): no closure per batch.
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      const d = base + i * L.DESC_SIZE;
      bytes.fill(0, d, d + L.DESC_SIZE);
      dv.setUint32(d + L.D_OFFSET, off, true);
      dv.setUint32(d + L.D_LENGTH, f.data.length, true);
      dv.setUint8(d + L.D_IF_IN, f.meta.ifIn);
      dv.setUint8(d + L.D_IF_OUT, f.meta.ifOut);
      dv.setUint8(d + L.D_DIR, f.meta.dir);
      dv.setUint8(d + L.D_LINK, f.linkType ?? L.LINK_ETHERNET);
      dv.setUint16(d + L.D_MINUTE, f.meta.minuteOfDay, true);
      dv.setUint8(d + L.D_DOW, f.meta.dayOfWeek);
      dv.setUint8(d + L.D_DAY, f.meta.day);
      dv.setUint8(d + L.D_MONTH, f.meta.month);
      dv.setBigUint64(d + L.D_TIME_NS, f.meta.timeNs, true);
      bytes.set(f.data, dataPtr + off);
      off += f.data.length;
    }
  }

  /** Classify parsed headers (ClassBench traces, property tests). */
  classifyHeaders(headers: PacketHeader[], metas: PacketMeta[]): WasmResult[] {
    const base = this.x.tupleBuffer(headers.length);
    const dv = new DataView(this.memory);
    headers.forEach((h, i) => writeTuple(dv, base + i * L.TUPLE_SIZE, h, metas[i]));
    this.x.classifyTuples(headers.length);
    return this.readResults(headers.length);
  }

  /** Room for `count` tuples; the caller writes them at the returned offset, then calls classifyStagedTuples. */
  tupleRegion(count: number): number {
    return this.x.tupleBuffer(count);
  }

  classifyStagedTuples(count: number): void {
    this.x.classifyTuples(count);
  }

  /** Classify staged tuples [first, first + count) into the same result slots. */
  classifyTupleRange(first: number, count: number): void {
    this.x.classifyTupleRange(first, count);
  }

  /** The deciding rule of result slot `i` (the hot path of classify and the benchmark). */
  resultRules(count: number): Int32Array {
    // A strided Int32Array view (the region is 16-byte aligned, the records
    // 32 bytes; little-endian, as WebAssembly memory): cheaper per packet
    // than DataView reads.
    const stride = L.RESULT_SIZE >> 2;
    const v = new Int32Array(this.memory, this.x.resultsPtr() + L.RES_RULE, count * stride);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = v[i * stride];
    return out;
  }

  resultsOffset(): number {
    return this.x.resultsPtr();
  }

  readResults(count: number): WasmResult[] {
    const dv = new DataView(this.memory);
    const base = this.x.resultsPtr();
    const out: WasmResult[] = [];
    for (let i = 0; i < count; i++) {
      const o = base + i * L.RESULT_SIZE;
      const stage = dv.getUint8(o + L.RES_STAGE);
      out.push({
        rule: dv.getInt32(o + L.RES_RULE, true),
        verdict: dv.getUint8(o + L.RES_VERDICT) === L.VERDICT_DENY ? "deny" : "permit",
        reason: dv.getUint8(o + L.RES_REASON),
        stage: STAGES[stage] ?? "none",
        marks: dv.getUint8(o + L.RES_MARKS),
        inputRule: dv.getInt32(o + L.RES_INPUT_RULE, true),
        outputRule: dv.getInt32(o + L.RES_OUTPUT_RULE, true),
        monitorRule: dv.getInt32(o + L.RES_MONITOR_RULE, true),
        flow: dv.getInt32(o + L.RES_FLOW, true),
        flowGen: dv.getUint32(o + L.RES_FLOW_GEN, true),
        ctFlags: dv.getUint8(o + L.RES_CT_FLAGS),
      });
    }
    return out;
  }

  /** Per-rule counters of the active program (packets and bytes). */
  counters(): { packets: bigint; bytes: bigint }[] {
    return this.counterPairs(this.x.countersPtr(), this.ruleCount);
  }

  /**
   * The per-rule counters as one view of linear memory, without copying:
   * element 2i is rule i's packets, 2i+1 its bytes. Valid until the memory
   * grows or another program loads; take a fresh one for each read.
   */
  counterView(): BigUint64Array {
    return new BigUint64Array(this.memory, this.x.countersPtr(), this.ruleCount * 2);
  }

  /** Per-ruleset counters of packets that took the ruleset's default. */
  defaultCounters(): { packets: bigint; bytes: bigint }[] {
    return this.counterPairs(this.x.defaultCountersPtr(), this.rulesetCount);
  }

  /** `count` (packets, bytes) pairs of little-endian u64 from `base` in linear memory. */
  private counterPairs(base: number, count: number): { packets: bigint; bytes: bigint }[] {
    const dv = new DataView(this.memory);
    return Array.from({ length: count }, (_, i) => ({
      packets: dv.getBigUint64(base + i * 16, true),
      bytes: dv.getBigUint64(base + i * 16 + 8, true),
    }));
  }

  /** Set one rule's counters (to carry them over a reload). */
  setCounter(rule: number, packets: bigint, bytes: bigint): void {
    if (rule < 0 || rule >= this.ruleCount) throw new RangeError(`no rule ${rule}`);
    const dv = new DataView(this.memory);
    const base = this.x.countersPtr();
    dv.setBigUint64(base + rule * 16, packets, true);
    dv.setBigUint64(base + rule * 16 + 8, bytes, true);
  }

  /** Set one ruleset's default counters (to carry them over a reload). */
  setDefaultCounter(ruleset: number, packets: bigint, bytes: bigint): void {
    if (ruleset < 0 || ruleset >= this.rulesetCount) throw new RangeError(`no ruleset ${ruleset}`);
    const dv = new DataView(this.memory);
    const base = this.x.defaultCountersPtr();
    dv.setBigUint64(base + ruleset * 16, packets, true);
    dv.setBigUint64(base + ruleset * 16 + 8, bytes, true);
  }

  resetCounters(): void {
    for (let i = 0; i < this.ruleCount; i++) this.setCounter(i, 0n, 0n);
  }

  /** How each ruleset of the active program is matched (the index, when one is built, says so here). */
  rulesetInfo(): string[] {
    return Array.from({ length: this.rulesetCount }, (_, i) => {
      const info = this.indexInfo(i);
      return info.kind === "tree" ? `indexed (decision trees, ${info.bytes} bytes)` : `linear scan (${info.reason})`;
    });
  }

  layoutValue(id: number): number {
    return this.x.layoutValue(id);
  }

  // ---- connection tracking -------------------------------------------------

  /** Capacity (empties the table) and idle timeouts (seconds). Throws on a bad value. */
  configureConntrack(cfg: ConntrackConfig): void {
    if (cfg.capacity !== undefined) {
      if (!Number.isInteger(cfg.capacity) || !this.x.ctConfigure(cfg.capacity)) {
        throw new RangeError(`conntrack capacity must be an integer from 1 to ${C.MAX_CAPACITY}, not ${cfg.capacity}`);
      }
    }
    for (const [name, secs] of Object.entries(cfg.timeouts ?? {})) {
      const cls = TIMEOUT_CLASSES[name as TimeoutClass];
      if (cls === undefined) throw new RangeError(`unknown conntrack timeout "${name}"`);
      if (!Number.isInteger(secs) || secs! < 1 || secs! > 0xffffffff || !this.x.ctSetTimeout(cls, secs!)) {
        throw new RangeError(`conntrack timeout ${name} must be a whole number of seconds >= 1, not ${secs}`);
      }
    }
  }

  conntrackTimeouts(): Record<TimeoutClass, number> {
    const out = {} as Record<TimeoutClass, number>;
    for (const [name, cls] of Object.entries(TIMEOUT_CLASSES)) out[name as TimeoutClass] = this.x.ctTimeout(cls);
    return out;
  }

  conntrackStats(): ConntrackStats {
    const dv = new DataView(this.memory);
    const p = this.x.ctStatsPtr();
    const g = (i: number) => Number(dv.getBigUint64(p + i * 8, true));
    return {
      flows: g(C.ST_FLOWS), capacity: g(C.ST_CAPACITY), created: g(C.ST_CREATED), evicted: g(C.ST_EVICTED),
      untracked: g(C.ST_UNTRACKED), expired: g(C.ST_EXPIRED), invalid: g(C.ST_INVALID), stateHits: g(C.ST_STATE_HITS),
      related: g(C.ST_RELATED), expectGranted: g(C.ST_EXPECT_GRANTED), expectUsed: g(C.ST_EXPECT_USED),
      expectExpired: g(C.ST_EXPECT_EXPIRED), expectLive: g(C.ST_EXPECT_LIVE), expectDropped: g(C.ST_EXPECT_DROPPED),
    };
  }

  /** Forget every flow and expectation. Loading a program never does this. */
  flushConntrack(): void {
    this.x.ctFlush();
  }

  /** Remove expired flows and dead expectations as of `nowNs` (default: the latest packet's time). */
  sweepConntrack(nowNs?: bigint): void {
    this.x.ctSweep(nowNs ?? 0n);
  }

  /** The flow a handle names, or null once it is gone. */
  flow(h: FlowHandle): FlowInfo | null {
    if (h.id < 0 || h.id >= this.x.ctCapacity()) return null;
    const f = this.readFlow(h.id);
    return f && f.handle.gen === h.gen ? f : null;
  }

  /** Every live flow (for tests and `show state`; O(capacity)). */
  flows(): FlowInfo[] {
    const out: FlowInfo[] = [];
    const cap = this.x.ctCapacity();
    const base = this.x.ctFlowsPtr();
    const bytes = new Uint8Array(this.memory);
    const dv = new DataView(this.memory);
    for (let i = 0; i < cap; i++) {
      if (bytes[base + i * C.FLOW_SIZE + C.F_STATE] === C.CT_FREE) continue; // most of a quiet table: skip without decoding
      const f = this.readFlow(i, dv);
      if (f) out.push(f);
    }
    return out;
  }

  private readFlow(id: number, dv = new DataView(this.memory)): FlowInfo | null {
    const o = this.x.ctFlowsPtr() + id * C.FLOW_SIZE;
    const state = dv.getUint8(o + C.F_STATE);
    if (state === C.CT_FREE) return null;
    const family = dv.getUint8(o + C.F_FAMILY) === 6 ? 6 : 4;
    const words = (base: number): Address => ({ family, words: Array.from({ length: family === 6 ? 4 : 1 }, (_, i) => dv.getUint32(o + base + 4 * i, true)) });
    return {
      handle: { id, gen: dv.getUint32(o + C.F_GEN, true) }, family, proto: dv.getUint8(o + C.F_PROTO),
      state: STATE_NAMES[state] ?? `state ${state}`, flags: dv.getUint8(o + C.F_FLAGS),
      src: words(C.F_SRC), dst: words(C.F_DST), sport: dv.getUint16(o + C.F_SPORT, true), dport: dv.getUint16(o + C.F_DPORT, true),
      lastSeenNs: dv.getBigUint64(o + C.F_LAST_SEEN, true), createdNs: dv.getBigUint64(o + C.F_CREATED, true),
      packets: dv.getBigUint64(o + C.F_PACKETS, true), bytes: dv.getBigUint64(o + C.F_BYTES, true),
      rule: dv.getInt32(o + C.F_RULE, true), ifIn: dv.getUint8(o + C.F_IF_IN), ifOut: dv.getUint8(o + C.F_IF_OUT), dir: dv.getUint8(o + C.F_DIR),
    };
  }

  /** The site-and-content deny list AllowFutureConnect checks first (null: none). */
  setSiteDenyList(list: SiteDenyCheck | null): void {
    this.siteDeny = list;
  }

  /** The appliance's own addresses, with their interfaces: what ProxyExternalAddress may name. */
  setExternalAddresses(list: { address: Address; ifIndex: number }[]): void {
    this.externalAddresses = list;
  }

  /** Route NO_KERNEL_MODE flows' packets through `handler` (null: the fast path's verdict stands). */
  onSlowPath(handler: SlowPathHandler | null): void {
    this.slowPath = handler;
  }

  /** IFWXSession::AllowFutureConnect (seed 002, dialects.md section 4). */
  allowFutureConnect(req: FutureConnectRequest): { result: FutureConnectResult; id: number | null } {
    const out = (code: number, id: number | null = null) => ({ result: AFC_RESULTS[code], id });
    const dst = parseAddress(req.destination.address);
    const proto = req.protocol === "tcp" ? 6 : req.protocol === "udp" ? 17 : -1;
    const port = req.destination.port;
    if (!dst || proto < 0 || !Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(req.flags) || req.flags < 0 || req.flags > 0xff) return out(C.AFC_INVALID_ARGS);
    // Site-and-content rules come first and nothing overrides them.
    if (this.siteDeny?.denies(dst, proto, port)) return out(C.AFC_CONFLICT_SITE_CONTENT);
    const session = req.session ? this.flow(req.session) : null;
    if (req.session && !session && !(req.flags & C.AFC_ADDRESS_BASED)) return out(C.AFC_INVALID_ARGS);
    const client = req.client !== undefined ? parseAddress(req.client) : session?.src ?? null;
    if (!client || client.family !== dst.family) return out(C.AFC_INVALID_ARGS);
    let via = req.via ?? null;
    if (!via && session) {
      const same = (a: Address, b: Address) => a.words.every((w, i) => w === b.words[i]);
      // The session's responder connecting back (active FTP) crosses the other way.
      via = same(client, session.dst) && !same(client, session.src)
        ? { ifIn: session.ifOut, ifOut: session.ifIn, dir: session.dir === L.DIR_INBOUND ? L.DIR_OUTBOUND : session.dir === L.DIR_OUTBOUND ? L.DIR_INBOUND : session.dir }
        : { ifIn: session.ifIn, ifOut: session.ifOut, dir: session.dir };
    }
    if (!via) return out(C.AFC_INVALID_ARGS);
    let ifOut = C.ANY_IFACE;
    let sport = 0;
    if (req.external) {
      const ext = parseAddress(req.external.address);
      const owner = ext && this.externalAddresses.find((x) => x.address.family === ext.family && x.address.words.every((w, i) => w === ext.words[i]));
      const p = req.external.port ?? 0;
      if (!owner || !Number.isInteger(p) || p < 0 || p > 65535) return out(C.AFC_INVALID_ARGS);
      ifOut = owner.ifIndex;
      sport = p;
      via = { ...via, ifOut };
    }
    const dv = new DataView(this.memory);
    const e = this.x.ctExpectStaging();
    new Uint8Array(this.memory, e, C.EXP_SIZE).fill(0);
    dv.setUint8(e + C.E_FAMILY, dst.family);
    dv.setUint8(e + C.E_PROTO, proto);
    dv.setUint8(e + C.E_FLAGS, req.flags & 0xff);
    dv.setUint8(e + C.E_IF_OUT, ifOut);
    dv.setUint16(e + C.E_DPORT, port, true);
    dv.setUint16(e + C.E_SPORT, sport, true);
    client.words.forEach((w, i) => dv.setUint32(e + C.E_CLIENT + 4 * i, w >>> 0, true));
    dst.words.forEach((w, i) => dv.setUint32(e + C.E_DST + 4 * i, w >>> 0, true));
    dv.setUint32(e + C.E_MASTER, req.session ? req.session.id : C.NO_FLOW, true);
    dv.setUint32(e + C.E_MASTER_GEN, req.session ? req.session.gen : 0, true);
    dv.setUint8(e + C.E_IF_IN, via.ifIn);
    dv.setUint8(e + C.E_VIA_OUT, via.ifOut);
    dv.setUint8(e + C.E_DIR, via.dir);
    const code = this.x.ctAllowFutureConnect(req.timeNs ?? 0n);
    return out(code, code === C.AFC_GRANTED ? this.x.ctLastExpectId() : null);
  }

  /** The live expectations (some may have lapsed since the last packet; sweepConntrack removes those). */
  expectations(): Expectation[] {
    const dv = new DataView(this.memory);
    const base = this.x.ctExpectPtr();
    return Array.from({ length: this.x.ctExpectCount() }, (_, i) => {
      const o = base + i * C.EXP_SIZE;
      const family = dv.getUint8(o + C.E_FAMILY) === 6 ? 6 : 4;
      const words = (b: number): Address => ({ family, words: Array.from({ length: family === 6 ? 4 : 1 }, (_, k) => dv.getUint32(o + b + 4 * k, true)) });
      const master = dv.getUint32(o + C.E_MASTER, true);
      return {
        id: dv.getUint32(o + C.E_ID, true), family, proto: dv.getUint8(o + C.E_PROTO), flags: dv.getUint8(o + C.E_FLAGS),
        client: words(C.E_CLIENT), dst: words(C.E_DST), dport: dv.getUint16(o + C.E_DPORT, true), sport: dv.getUint16(o + C.E_SPORT, true),
        ifOut: dv.getUint8(o + C.E_IF_OUT), createdNs: dv.getBigUint64(o + C.E_CREATED, true), expiresNs: dv.getBigUint64(o + C.E_EXPIRES, true),
        session: master === C.NO_FLOW ? null : { id: master, gen: dv.getUint32(o + C.E_MASTER_GEN, true) }, uses: dv.getUint32(o + C.E_USES, true),
      };
    });
  }

  cancelExpectation(id: number): boolean {
    return this.x.ctExpectCancel(id);
  }
}
