// The parsed packet header, as the reference matcher sees it: the same
// fields as the tuple of assembly/layout.ts, as a plain object.
import { localTime } from "../model/localtime.ts";
import * as L from "../../assembly/layout.ts";

export type FragState = "none" | "first" | "later";

export interface PacketHeader {
  reason: number; // REASON_OK, or why the packet is malformed
  family: 4 | 6;
  proto: number;
  frag: FragState;
  src: number[]; // host-order words (1 for IPv4, 4 for IPv6)
  dst: number[];
  sport: number | null; // null: the packet carries no ports
  dport: number | null;
  icmpType: number | null;
  icmpCode: number | null;
  tcpFlags: number | null;
  length: number;
  l4Offset: number;
  /** An IPv6 neighbour discovery message (layout.ts HAS_ND): passes unfiltered. Absent: not one. */
  nd?: true;
  /** What the connection table reads (absent: all zero). */
  conn?: ConnFields;
}

/** The tuple's connection-tracking fields (layout.ts, T_TCP_SEQ onwards). */
export interface ConnFields {
  seq: number;
  ack: number;
  window: number;
  payload: number; // TCP data bytes
  icmpId: number | null; // echo identifier
  /** ICMP error: the embedded packet's header. */
  inner: { family: 4 | 6; proto: number; src: number[]; dst: number[]; sport: number; dport: number } | null;
}

export function emptyConn(): ConnFields {
  return { seq: 0, ack: 0, window: 0, payload: 0, icmpId: null, inner: null };
}

/** Where and when a packet is seen: the batch descriptor's fields. */
export interface PacketMeta {
  ifIn: number;
  ifOut: number;
  dir: number; // DIR_*
  minuteOfDay: number;
  dayOfWeek: number;
  day: number;
  month: number;
  timeNs: bigint;
}

export const DEFAULT_META: PacketMeta = {
  ifIn: 0, ifOut: 1, dir: L.DIR_OUTBOUND, minuteOfDay: 0, dayOfWeek: 0, day: 1, month: 1, timeNs: 0n,
};

export function emptyHeader(length: number): PacketHeader {
  return {
    reason: L.REASON_OK, family: 4, proto: 0, frag: "none", src: [0], dst: [0], sport: null, dport: null,
    icmpType: null, icmpCode: null, tcpFlags: null, length, l4Offset: 0,
  };
}

/** Write a header and its metadata as a tuple record (for classifyTuples). */
export function writeTuple(dv: DataView, o: number, h: PacketHeader, m: PacketMeta): void {
  new Uint8Array(dv.buffer, dv.byteOffset + o, L.TUPLE_SIZE).fill(0);
  dv.setUint8(o + L.T_FAMILY, h.family);
  dv.setUint8(o + L.T_PROTO, h.proto);
  dv.setUint8(o + L.T_FRAG, h.frag === "none" ? L.FRAG_NONE : h.frag === "first" ? L.FRAG_FIRST : L.FRAG_LATER);
  let has = 0;
  if (h.sport !== null && h.dport !== null) {
    has |= L.HAS_PORTS;
    dv.setUint16(o + L.T_SPORT, h.sport, true);
    dv.setUint16(o + L.T_DPORT, h.dport, true);
  }
  if (h.icmpType !== null && h.icmpCode !== null) {
    has |= L.HAS_ICMP;
    dv.setUint8(o + L.T_ICMP_TYPE, h.icmpType);
    dv.setUint8(o + L.T_ICMP_CODE, h.icmpCode);
  }
  if (h.tcpFlags !== null) {
    has |= L.HAS_TCP_FLAGS;
    dv.setUint8(o + L.T_TCP_FLAGS, h.tcpFlags);
  }
  const c = h.conn;
  if (c) {
    dv.setUint32(o + L.T_TCP_SEQ, c.seq >>> 0, true);
    dv.setUint32(o + L.T_TCP_ACK, c.ack >>> 0, true);
    dv.setUint16(o + L.T_TCP_WINDOW, c.window, true);
    dv.setUint16(o + L.T_L4_PAYLOAD, c.payload, true);
    if (c.icmpId !== null) {
      has |= L.HAS_ICMP_ID;
      dv.setUint16(o + L.T_ICMP_ID, c.icmpId, true);
    }
    if (c.inner) {
      has |= L.HAS_INNER;
      dv.setUint8(o + L.T_INNER_PROTO, c.inner.proto);
      dv.setUint8(o + L.T_INNER_FAMILY, c.inner.family);
      dv.setUint16(o + L.T_INNER_SPORT, c.inner.sport, true);
      dv.setUint16(o + L.T_INNER_DPORT, c.inner.dport, true);
      c.inner.src.forEach((w, i) => dv.setUint32(o + L.T_INNER_SRC + 4 * i, w >>> 0, true));
      c.inner.dst.forEach((w, i) => dv.setUint32(o + L.T_INNER_DST + 4 * i, w >>> 0, true));
    }
  }
  if (h.nd) has |= L.HAS_ND;
  dv.setUint8(o + L.T_HAS, has);
  dv.setUint8(o + L.T_REASON, h.reason);
  h.src.forEach((w, i) => dv.setUint32(o + L.T_SRC + 4 * i, w, true));
  h.dst.forEach((w, i) => dv.setUint32(o + L.T_DST + 4 * i, w, true));
  dv.setUint32(o + L.T_LENGTH, h.length, true);
  dv.setUint32(o + L.T_L4_OFFSET, h.l4Offset, true);
  writeTupleMeta(dv, o, m);
}

/** The descriptor fields (path and time) of the tuple at `o`. */
export function writeTupleMeta(dv: DataView, o: number, m: PacketMeta): void {
  dv.setUint8(o + L.T_DIR, m.dir);
  dv.setUint8(o + L.T_IF_IN, m.ifIn);
  dv.setUint8(o + L.T_IF_OUT, m.ifOut);
  dv.setUint16(o + L.T_MINUTE, m.minuteOfDay, true);
  dv.setUint8(o + L.T_DOW, m.dayOfWeek);
  dv.setUint8(o + L.T_DAY, m.day);
  dv.setUint8(o + L.T_MONTH, m.month);
  dv.setBigUint64(o + L.T_TIME_NS, m.timeNs, true);
}

/** Read a tuple record back (to compare the WebAssembly parser with ours). */
export function readTuple(dv: DataView, o: number): PacketHeader {
  const family = dv.getUint8(o + L.T_FAMILY) === 6 ? 6 : 4;
  const has = dv.getUint8(o + L.T_HAS);
  const frag = dv.getUint8(o + L.T_FRAG);
  // Built as one literal with the optional field last (the live path reads a header per frame).
  const h: PacketHeader = {
    reason: dv.getUint8(o + L.T_REASON),
    family,
    proto: dv.getUint8(o + L.T_PROTO),
    frag: frag === L.FRAG_FIRST ? "first" : frag === L.FRAG_LATER ? "later" : "none",
    src: readWords(dv, o + L.T_SRC, family),
    dst: readWords(dv, o + L.T_DST, family),
    sport: has & L.HAS_PORTS ? dv.getUint16(o + L.T_SPORT, true) : null,
    dport: has & L.HAS_PORTS ? dv.getUint16(o + L.T_DPORT, true) : null,
    icmpType: has & L.HAS_ICMP ? dv.getUint8(o + L.T_ICMP_TYPE) : null,
    icmpCode: has & L.HAS_ICMP ? dv.getUint8(o + L.T_ICMP_CODE) : null,
    tcpFlags: has & L.HAS_TCP_FLAGS ? dv.getUint8(o + L.T_TCP_FLAGS) : null,
    length: dv.getUint32(o + L.T_LENGTH, true),
    l4Offset: dv.getUint32(o + L.T_L4_OFFSET, true),
    conn: readConn(dv, o, has),
  };
  if (has & L.HAS_ND) h.nd = true;
  return h;
}

/** An address's host-order words (1 for IPv4, 4 for IPv6) from a tuple. */
function readWords(dv: DataView, at: number, family: 4 | 6): number[] {
  if (family === 4) return [dv.getUint32(at, true)];
  return [dv.getUint32(at, true), dv.getUint32(at + 4, true), dv.getUint32(at + 8, true), dv.getUint32(at + 12, true)];
}

function readConn(dv: DataView, o: number, has: number): ConnFields {
  let inner: ConnFields["inner"] = null;
  if (has & L.HAS_INNER) {
    const family = dv.getUint8(o + L.T_INNER_FAMILY) === 6 ? 6 : 4;
    const n = family === 6 ? 4 : 1;
    const words = (base: number) => Array.from({ length: n }, (_, i) => dv.getUint32(o + base + 4 * i, true));
    inner = {
      family, proto: dv.getUint8(o + L.T_INNER_PROTO), src: words(L.T_INNER_SRC), dst: words(L.T_INNER_DST),
      sport: dv.getUint16(o + L.T_INNER_SPORT, true), dport: dv.getUint16(o + L.T_INNER_DPORT, true),
    };
  }
  return {
    seq: dv.getUint32(o + L.T_TCP_SEQ, true),
    ack: dv.getUint32(o + L.T_TCP_ACK, true),
    window: dv.getUint16(o + L.T_TCP_WINDOW, true),
    payload: dv.getUint16(o + L.T_L4_PAYLOAD, true),
    icmpId: has & L.HAS_ICMP_ID ? dv.getUint16(o + L.T_ICMP_ID, true) : null,
    inner,
  };
}

/** The descriptor fields of a packet seen at `timeNs` on interfaces ifIn -> ifOut. */
export function packetMeta(timeNs: bigint, timeZone: string, ifIn: number, ifOut: number, dir: number): PacketMeta {
  const lt = localTime(Number(timeNs / 1000000n), timeZone);
  return { ifIn, ifOut, dir, minuteOfDay: lt.minuteOfDay, dayOfWeek: lt.dayOfWeek, day: lt.day, month: lt.month, timeNs };
}
