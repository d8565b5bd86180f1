// A SYN flood written straight into the tuple region (no frame building, so
// the figures are the table's, not the packet builder's). Shared by
// bench/conntrack.bench.ts and test/conntrack-flood.test.ts.
import * as L from "../assembly/layout.ts";
import type { WasmEngine } from "../host/engine/wasm.ts";

export const FLOOD_BATCH = 4096;

/** Write one outbound TCP tuple (lan -> wan) at offset `o`. */
export function writeTcpTuple(dv: DataView, o: number, src: number, dst: number, sport: number, dport: number, flags: number, seq: number, ack: number, timeNs: bigint, inbound = false): void {
  new Uint8Array(dv.buffer, o, L.TUPLE_SIZE).fill(0);
  dv.setUint8(o + L.T_FAMILY, 4);
  dv.setUint8(o + L.T_PROTO, 6);
  dv.setUint8(o + L.T_HAS, L.HAS_PORTS | L.HAS_TCP_FLAGS);
  dv.setUint16(o + L.T_SPORT, sport, true);
  dv.setUint16(o + L.T_DPORT, dport, true);
  dv.setUint8(o + L.T_TCP_FLAGS, flags);
  dv.setUint8(o + L.T_DIR, inbound ? L.DIR_INBOUND : L.DIR_OUTBOUND);
  dv.setUint8(o + L.T_IF_IN, inbound ? 1 : 0);
  dv.setUint8(o + L.T_IF_OUT, inbound ? 0 : 1);
  dv.setUint32(o + L.T_SRC, src >>> 0, true);
  dv.setUint32(o + L.T_DST, dst >>> 0, true);
  dv.setUint32(o + L.T_LENGTH, 60, true);
  dv.setUint8(o + L.T_DAY, 1);
  dv.setUint8(o + L.T_MONTH, 1);
  dv.setBigUint64(o + L.T_TIME_NS, timeNs, true);
  dv.setUint32(o + L.T_TCP_SEQ, seq >>> 0, true);
  dv.setUint32(o + L.T_TCP_ACK, ack >>> 0, true);
  dv.setUint16(o + L.T_TCP_WINDOW, 65535, true);
}

/**
 * `count` SYNs, each from a distinct (source address, source port), starting
 * at `t0` one microsecond apart. Returns the nanoseconds spent classifying.
 */
export function floodSyns(e: WasmEngine, count: number, t0: bigint, dst = 0x0a000014): number {
  let spent = 0;
  for (let done = 0; done < count; done += FLOOD_BATCH) {
    const n = Math.min(FLOOD_BATCH, count - done);
    const base = e.tupleRegion(n);
    const dv = new DataView(e.memory);
    for (let i = 0; i < n; i++) {
      const k = done + i;
      writeTcpTuple(dv, base + i * L.TUPLE_SIZE, 0xc0a80000 + 10 + Math.floor(k / 60000), dst, 1024 + (k % 60000), 80, L.TCP_SYN, k, 0, t0 + BigInt(k) * 1000n);
    }
    const t = process.hrtime.bigint();
    e.classifyStagedTuples(n);
    spent += Number(process.hrtime.bigint() - t);
  }
  return spent;
}
