// The host side of the WebAssembly matcher: loads the module through the
// compiler's generated bindings, stages and loads rule programs, and moves
// packet batches and results through linear memory.
import { readFileSync, existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import * as L from "../../assembly/layout.ts";
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
}

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
};

export class ProgramError extends Error {
  constructor(readonly code: number, readonly badRule: number, message: string) {
    super(message);
  }
}

const STAGES = ["input", "output"] as const;

export function wasmPath(flavour: "release" | "debug" = "release"): string {
  return fileURLToPath(new URL(`../../build/${flavour}.wasm`, import.meta.url));
}

export class WasmEngine {
  private ruleCount = 0;
  private rulesetCount = 0;

  private constructor(readonly x: Exports) {}

  static async create(flavour: "release" | "debug" = "release"): Promise<WasmEngine> {
    const path = wasmPath(flavour);
    if (!existsSync(path)) throw new Error(`${path} is missing: run "npm run asbuild" first`);
    const bindings = await import(new URL(`../../build/${flavour}.js`, import.meta.url).href);
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

  /** Parse and classify whole frames (one batch call). */
  classifyFrames(frames: FrameInput[]): WasmResult[] {
    this.stageFrames(frames);
    this.x.classifyBatch(frames.length);
    return this.readResults(frames.length);
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
    const dataBytes = frames.reduce((n, f) => n + f.data.length, 0);
    const base = this.x.batchBuffer(frames.length, dataBytes);
    const dataPtr = this.x.batchDataPtr();
    const mem = this.memory;
    const dv = new DataView(mem);
    const bytes = new Uint8Array(mem);
    let off = 0;
    frames.forEach((f, i) => {
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
    });
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
    const base = this.x.resultsPtr();
    const dv = new DataView(this.memory);
    const out = new Int32Array(count);
    for (let i = 0; i < count; i++) out[i] = dv.getInt32(base + i * L.RESULT_SIZE + L.RES_RULE, true);
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
      });
    }
    return out;
  }

  /** Per-rule counters of the active program (packets and bytes). */
  counters(): { packets: bigint; bytes: bigint }[] {
    const dv = new DataView(this.memory);
    const base = this.x.countersPtr();
    return Array.from({ length: this.ruleCount }, (_, i) => ({
      packets: dv.getBigUint64(base + i * 16, true),
      bytes: dv.getBigUint64(base + i * 16 + 8, true),
    }));
  }

  /** Per-ruleset counters of packets that took the ruleset's default. */
  defaultCounters(): { packets: bigint; bytes: bigint }[] {
    const dv = new DataView(this.memory);
    const base = this.x.defaultCountersPtr();
    return Array.from({ length: this.rulesetCount }, (_, i) => ({
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
    return Array.from({ length: this.rulesetCount }, () => "linear scan");
  }

  layoutValue(id: number): number {
    return this.x.layoutValue(id);
  }
}
