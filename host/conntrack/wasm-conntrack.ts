// The WebAssembly connection table seen from the host: configuration,
// counters, flows and AllowFutureConnect, read and written through the
// engine's exports and linear memory (assembly/conntrack-layout.ts). One per
// engine: conntrackOf(engine).
import * as C from "../../assembly/conntrack-layout.ts";
import type { WasmEngine } from "../engine/wasm.ts";
import type { Address } from "../model/addr.ts";
import type { SiteDenyList } from "./site-deny.ts";
import { type FlowHandle, type FlowInfo, readFlow } from "./flow.ts";
import { FutureConnect, type FutureConnectRequest, type FutureConnectResult, type Expectation } from "./future-connect.ts";

export type { FlowHandle, FlowInfo } from "./flow.ts";
export { STATE_NAMES } from "./flow.ts";
export type { FutureConnectRequest, FutureConnectResult, Expectation } from "./future-connect.ts";

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

export class WasmConntrack {
  private readonly pinholes: FutureConnect;

  constructor(private readonly engine: WasmEngine) {
    this.pinholes = new FutureConnect(engine, (h) => this.flow(h));
  }

  /** Capacity (empties the table) and idle timeouts (seconds). Throws on a bad value. */
  configure(cfg: ConntrackConfig): void {
    const x = this.engine.x;
    if (cfg.capacity !== undefined) {
      if (!Number.isInteger(cfg.capacity) || !x.ctConfigure(cfg.capacity)) {
        throw new RangeError(`conntrack capacity must be an integer from 1 to ${C.MAX_CAPACITY}, not ${cfg.capacity}`);
      }
    }
    for (const [name, secs] of Object.entries(cfg.timeouts ?? {})) {
      const cls = TIMEOUT_CLASSES[name as TimeoutClass];
      if (cls === undefined) throw new RangeError(`unknown conntrack timeout "${name}"`);
      if (!Number.isInteger(secs) || secs! < 1 || secs! > 0xffffffff || !x.ctSetTimeout(cls, secs!)) {
        throw new RangeError(`conntrack timeout ${name} must be a whole number of seconds >= 1, not ${secs}`);
      }
    }
  }

  timeouts(): Record<TimeoutClass, number> {
    const out = {} as Record<TimeoutClass, number>;
    for (const [name, cls] of Object.entries(TIMEOUT_CLASSES)) out[name as TimeoutClass] = this.engine.x.ctTimeout(cls);
    return out;
  }

  stats(): ConntrackStats {
    const dv = new DataView(this.engine.memory);
    const p = this.engine.x.ctStatsPtr();
    const g = (i: number) => Number(dv.getBigUint64(p + i * 8, true));
    return {
      flows: g(C.ST_FLOWS), capacity: g(C.ST_CAPACITY), created: g(C.ST_CREATED), evicted: g(C.ST_EVICTED),
      untracked: g(C.ST_UNTRACKED), expired: g(C.ST_EXPIRED), invalid: g(C.ST_INVALID), stateHits: g(C.ST_STATE_HITS),
      related: g(C.ST_RELATED), expectGranted: g(C.ST_EXPECT_GRANTED), expectUsed: g(C.ST_EXPECT_USED),
      expectExpired: g(C.ST_EXPECT_EXPIRED), expectLive: g(C.ST_EXPECT_LIVE), expectDropped: g(C.ST_EXPECT_DROPPED),
    };
  }

  /** Forget every flow and expectation. Loading a program never does this. */
  flush(): void {
    this.engine.x.ctFlush();
  }

  /** Remove expired flows and dead expectations as of `nowNs` (default: the latest packet's time). */
  sweep(nowNs?: bigint): void {
    this.engine.x.ctSweep(nowNs ?? 0n);
  }

  /** The flow a handle names, or null once it is gone. */
  flow(h: FlowHandle): FlowInfo | null {
    if (h.id < 0 || h.id >= this.engine.x.ctCapacity()) return null;
    const f = readFlow(new DataView(this.engine.memory), this.engine.x.ctFlowsPtr(), h.id);
    return f && f.handle.gen === h.gen ? f : null;
  }

  /** Every live flow (for tests and `show state`; O(capacity)). */
  flows(): FlowInfo[] {
    const out: FlowInfo[] = [];
    const cap = this.engine.x.ctCapacity();
    const base = this.engine.x.ctFlowsPtr();
    const bytes = new Uint8Array(this.engine.memory);
    const dv = new DataView(this.engine.memory);
    for (let i = 0; i < cap; i++) {
      if (bytes[base + i * C.FLOW_SIZE + C.F_STATE] === C.CT_FREE) continue; // most of a quiet table: skip without decoding
      const f = readFlow(dv, base, i);
      if (f) out.push(f);
    }
    return out;
  }

  /**
   * The occupied flow records, copied out of linear memory undecoded, for
   * reading in another thread (the web console's worker, decodeFlowRecords):
   * the thread that forwards pays a scan of the state bytes and a copy, not
   * an object per flow. A mostly full table is copied whole (`dense`).
   */
  flowRecords(): FlowRecords {
    const cap = this.engine.x.ctCapacity();
    const base = this.engine.x.ctFlowsPtr();
    const bytes = new Uint8Array(this.engine.memory);
    const ids: number[] = [];
    for (let i = 0; i < cap; i++) if (bytes[base + i * C.FLOW_SIZE + C.F_STATE] !== C.CT_FREE) ids.push(i);
    if (ids.length * 4 > cap) return { ids: Uint32Array.from(ids), records: bytes.slice(base, base + cap * C.FLOW_SIZE), dense: true };
    const records = new Uint8Array(ids.length * C.FLOW_SIZE);
    ids.forEach((id, k) => records.set(bytes.subarray(base + id * C.FLOW_SIZE, base + (id + 1) * C.FLOW_SIZE), k * C.FLOW_SIZE));
    return { ids: Uint32Array.from(ids), records, dense: false };
  }

  // ---- AllowFutureConnect (future-connect.ts) --------------------------------

  setSiteDenyList(list: SiteDenyList | null): void {
    this.pinholes.setSiteDenyList(list);
  }

  setExternalAddresses(list: { address: Address; ifIndex: number }[]): void {
    this.pinholes.setExternalAddresses(list);
  }

  allowFutureConnect(req: FutureConnectRequest): { result: FutureConnectResult; id: number | null } {
    return this.pinholes.allowFutureConnect(req);
  }

  expectations(): Expectation[] {
    return this.pinholes.expectations();
  }

  cancelExpectation(id: number): boolean {
    return this.pinholes.cancelExpectation(id);
  }
}

const tables = new WeakMap<WasmEngine, WasmConntrack>();

/** The connection table of `engine` (made on first use; the table itself lives in the engine's memory). */
export function conntrackOf(engine: WasmEngine): WasmConntrack {
  let t = tables.get(engine);
  if (!t) {
    t = new WasmConntrack(engine);
    tables.set(engine, t);
  }
  return t;
}

/** Flow records copied out of an engine's table (WasmConntrack.flowRecords). */
export interface FlowRecords {
  ids: Uint32Array; // each record's slot in the table
  records: Uint8Array; // FLOW_SIZE bytes per record: the k-th id's at k (or, dense, the whole table: id's at id)
  dense: boolean;
}

/** The flows of copied records, as WasmConntrack.flows() reads them in place. */
export function decodeFlowRecords(r: FlowRecords): FlowInfo[] {
  const dv = new DataView(r.records.buffer, r.records.byteOffset, r.records.byteLength);
  const out: FlowInfo[] = [];
  r.ids.forEach((id, k) => {
    // readFlow addresses record `slot` of a table at 0: the k-th copied record, or (dense) the id-th.
    const f = readFlow(dv, 0, r.dense ? id : k);
    if (f) out.push({ ...f, handle: { id, gen: f.handle.gen } });
  });
  return out;
}
