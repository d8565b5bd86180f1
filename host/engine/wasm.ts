// The host side of the WebAssembly matcher, a thin binding: loads the module
// through the compiler's generated bindings (build/*.js, typed by their
// generated .d.ts: asconfig.json's "bindings": "raw"), stages and loads rule
// programs, and moves packet batches, results and counters through linear
// memory. The connection table's views and AllowFutureConnect are in
// host/conntrack/wasm-conntrack.ts; text for people is the CLI's.
import { readFileSync, existsSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { packagePath } from "../package-root.ts";
import * as L from "../../assembly/layout.ts";
import type { instantiate } from "../../build/release.js";
import { LOAD_ERRORS } from "./reasons.ts";
import { type PacketHeader, type PacketMeta, writeTuple, writeTupleMeta, readTuple } from "./header.ts";

/** The module's exports, as the compiler's generated bindings type them (every build exports the same). */
export type WasmExports = Awaited<ReturnType<typeof instantiate>>;

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

/** A flow of the host's slow path (FWX_FLAG_NO_KERNEL_MODE): return a verdict to override the fast path's. */
export type SlowPathHandler = (frame: FrameInput, result: WasmResult, index: number) => "permit" | "deny" | void;

export interface FrameInput {
  data: Uint8Array;
  meta: PacketMeta;
  linkType?: number; // LINK_ETHERNET (default) or LINK_RAW_IP
}

/** How the matcher looks up a ruleset: chosen per ruleset when a program loads. */
export type ClassifierMode = "auto" | "linear" | "index";

export interface IndexInfo {
  kind: "linear" | "tree";
  /** Bytes of the index (tree nodes and leaf lists); 0 for the linear scan. */
  bytes: number;
  /** Why it has this index (the classifier's WHY_*; the CLI words it). */
  reason: IndexReason;
}

/** indexed; small: fewer rules than the threshold (the scan is faster); linear: the scan was asked for; over-budget: the index would exceed its memory budget. */
export type IndexReason = "indexed" | "small" | "linear" | "over-budget";
const INDEX_REASONS: IndexReason[] = ["indexed", "small", "linear", "over-budget"];
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

export class WasmEngine {
  private ruleCount = 0;
  private rulesetCount = 0;
  private slowPath: SlowPathHandler | null = null;

  /** The module's exports (host/conntrack reads the connection table through them). */
  private constructor(readonly x: WasmExports) {}

  static async create(flavour: WasmFlavour = "release"): Promise<WasmEngine> {
    // A machine whose WebAssembly has no 128-bit SIMD (an older CPU, an emulated one) runs the no-SIMD build.
    if (flavour === "release" && !simdSupported()) flavour = "release-nosimd";
    const path = wasmPath(flavour);
    if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run asbuild" first`);
    return WasmEngine.fromModule(await WebAssembly.compile(readFileSync(path)), flavour);
  }

  /**
   * An engine on a compiled module with the exports of build `flavour`,
   * bound by that build's generated bindings (bench/wasm-ab.ts runs two
   * builds of the matcher side by side this way).
   */
  static async fromModule(module: WebAssembly.Module, flavour: WasmFlavour = "release"): Promise<WasmEngine> {
    const bindings = await import(pathToFileURL(packagePath("build", `${flavour}.js`)).href);
    return new WasmEngine(await (bindings.instantiate as typeof instantiate)(module, { env: {} }));
  }

  get memory(): ArrayBuffer {
    return this.x.memory.buffer;
  }

  /** Validate and swap in a program. On failure the running program stays and this throws. */
  load(program: Uint8Array): void {
    const ptr = this.x.stagingBuffer(program.length);
    if (ptr === 0) throw new ProgramError(L.LOAD_TOO_LARGE, -1, LOAD_ERRORS[L.LOAD_TOO_LARGE]);
    new Uint8Array(this.memory, ptr, program.length).set(program);
    const answer = this.x.loadProgram(program.length);
    if (answer !== L.LOAD_OK) {
      // The LOAD_* code, and for LOAD_BAD_RULE the rule's index + 1 above it (layout.ts).
      const code = answer & L.LOAD_CODE_MASK;
      const bad = (answer >>> L.LOAD_RULE_SHIFT) - 1;
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
    return this.slowPathed(frames, this.readResults(frames.length), 0);
  }

  /**
   * Classify frames [first, first + count) of the batch parseFrames staged
   * and parsed, from their tuples: the frames are not parsed again. Between
   * the two, setTupleMeta may give a frame the path its parsed header told
   * (a replay infers interfaces from addresses).
   */
  classifyParsed(frames: FrameInput[], first = 0, count = frames.length - first): WasmResult[] {
    this.x.classifyTupleRange(first, count);
    return this.slowPathed(frames, this.readResults(count, first), first);
  }

  /** Set the path and time fields of parsed tuple `i` (see classifyParsed). */
  setTupleMeta(i: number, meta: PacketMeta): void {
    writeTupleMeta(new DataView(this.memory), this.x.tuplesPtr() + i * L.TUPLE_SIZE, meta);
  }

  /** Results of frames first.. with the slow path's word (AllowFutureConnect hooks) applied. */
  private slowPathed(frames: FrameInput[], results: WasmResult[], first: number): WasmResult[] {
    if (this.slowPath) {
      results.forEach((r, k) => {
        if (!(r.ctFlags & L.CTR_SLOW_PATH)) return;
        const v = this.slowPath!(frames[first + k], r, first + k);
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

  /**
   * The deciding rule of result slots [0, count) (the hot path of classify
   * and the benchmark), into `into` if it has room for exactly that many.
   * One copy of the answers region (layout.ts, "Answers"), which
   * classifyTupleRange packs while its results are in cache: a strided read
   * of the 32-byte records here took 2 ns a packet, a fresh array a packet's
   * share of a garbage collection besides.
   */
  resultRules(count: number, into?: Int32Array): Int32Array {
    const ptr = this.x.answersPtr();
    const out = into && into.length === count ? into : new Int32Array(count);
    out.set(new Int32Array(this.memory, ptr, count));
    return out;
  }

  resultsOffset(): number {
    return this.x.resultsPtr();
  }

  readResults(count: number, first = 0): WasmResult[] {
    const dv = new DataView(this.memory);
    const base = this.x.resultsPtr() + first * L.RESULT_SIZE;
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
   * element 2i is rule i's packets, 2i+1 its bytes (layout.ts, COUNTER_SIZE). Valid until the memory
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
      packets: dv.getBigUint64(base + i * L.COUNTER_SIZE + L.COUNTER_PACKETS, true),
      bytes: dv.getBigUint64(base + i * L.COUNTER_SIZE + L.COUNTER_BYTES, true),
    }));
  }

  /** Set one rule's counters (to carry them over a reload). */
  setCounter(rule: number, packets: bigint, bytes: bigint): void {
    if (rule < 0 || rule >= this.ruleCount) throw new RangeError(`no rule ${rule}`);
    const dv = new DataView(this.memory);
    const c = this.x.countersPtr() + rule * L.COUNTER_SIZE;
    dv.setBigUint64(c + L.COUNTER_PACKETS, packets, true);
    dv.setBigUint64(c + L.COUNTER_BYTES, bytes, true);
  }

  /** Set one ruleset's default counters (to carry them over a reload). */
  setDefaultCounter(ruleset: number, packets: bigint, bytes: bigint): void {
    if (ruleset < 0 || ruleset >= this.rulesetCount) throw new RangeError(`no ruleset ${ruleset}`);
    const dv = new DataView(this.memory);
    const c = this.x.defaultCountersPtr() + ruleset * L.COUNTER_SIZE;
    dv.setBigUint64(c + L.COUNTER_PACKETS, packets, true);
    dv.setBigUint64(c + L.COUNTER_BYTES, bytes, true);
  }

  resetCounters(): void {
    for (let i = 0; i < this.ruleCount; i++) this.setCounter(i, 0n, 0n);
  }

  layoutValue(id: number): number {
    return this.x.layoutValue(id);
  }

  /** Route NO_KERNEL_MODE flows' packets through `handler` (null: the fast path's verdict stands). */
  onSlowPath(handler: SlowPathHandler | null): void {
    this.slowPath = handler;
  }
}
