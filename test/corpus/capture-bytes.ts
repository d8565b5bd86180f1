// Hand-built capture files, independent of host/pcap's writer: classic pcap
// records and pcapng blocks with every field under the caller's control, so
// tests can write what no well-behaved writer would.
import { tcpPacket, udpPacket } from "../../host/packet/build.ts";

export class Bytes {
  private out: number[] = [];
  constructor(readonly le = true) {}
  u8(v: number) { this.out.push(v & 0xff); return this; }
  u16(v: number) {
    const b = [(v >> 8) & 0xff, v & 0xff];
    this.out.push(...(this.le ? b.reverse() : b));
    return this;
  }
  u32(v: number) {
    const b = [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
    this.out.push(...(this.le ? b.reverse() : b));
    return this;
  }
  i64(v: bigint) {
    const u = BigInt.asUintN(64, v);
    const hi = Number(u >> 32n), lo = Number(u & 0xffffffffn);
    return this.le ? this.u32(lo).u32(hi) : this.u32(hi).u32(lo);
  }
  raw(b: Uint8Array | number[]) { for (const x of b) this.out.push(x); return this; }
  pad4() { while (this.out.length % 4) this.out.push(0); return this; }
  get length() { return this.out.length; }
  bytes() { return Uint8Array.from(this.out); }
}

/** Two ordinary frames the office example's rules judge (one permitted, one denied). */
export const FRAME_A = tcpPacket({ src: "192.168.1.10", dst: "198.51.100.80", sport: 40000, dport: 80, flags: "S" });
export const FRAME_B = udpPacket({ src: "203.0.113.9", dst: "192.168.1.10", sport: 53, dport: 5353, payload: Uint8Array.from([1, 2, 3]) });

export interface PcapRecord { sec: number; frac: number; data: Uint8Array; incl?: number; orig?: number }

/** A classic pcap file; `incl` overrides the captured length field. */
export function pcapFile(recs: PcapRecord[], o: { le?: boolean; nanos?: boolean; linktype?: number; major?: number } = {}): Uint8Array {
  const b = new Bytes(o.le ?? true);
  b.u32(o.nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(o.major ?? 2).u16(4).u32(0).u32(0).u32(65535).u32(o.linktype ?? 1);
  for (const r of recs) b.u32(r.sec).u32(r.frac).u32(r.incl ?? r.data.length).u32(r.orig ?? r.data.length).raw(r.data);
  return b.bytes();
}

export type Option = { code: number; value: Uint8Array };
export const opt = (code: number, value: number[] | Uint8Array): Option => ({ code, value: Uint8Array.from(value) });
export function int64Option(code: number, v: bigint, le = true): Option {
  return { code, value: new Bytes(le).i64(v).bytes() };
}

function options(b: Bytes, opts: Option[]) {
  for (const o of opts) b.u16(o.code).u16(o.value.length).raw(o.value).pad4();
  if (opts.length) b.u16(0).u16(0);
}

/** One pcapng block: type, length, body padded to 4, length (`len` overrides both length fields). */
export function block(type: number, body: Uint8Array, o: { le?: boolean; len?: number; trailer?: number } = {}): Uint8Array {
  const b = new Bytes(o.le ?? true);
  const padded = (body.length + 3) & ~3;
  b.u32(type).u32(o.len ?? 12 + padded).raw(body);
  for (let i = body.length; i < padded; i++) b.u8(0);
  b.u32(o.trailer ?? o.len ?? 12 + padded);
  return b.bytes();
}

export function shb(o: { le?: boolean; major?: number; bom?: number } = {}): Uint8Array {
  const le = o.le ?? true;
  return block(0x0a0d0d0a, new Bytes(le).u32(o.bom ?? 0x1a2b3c4d).u16(o.major ?? 1).u16(0).u32(0xffffffff).u32(0xffffffff).bytes(), { le });
}

export function idb(linktype = 1, opts: Option[] = [], o: { le?: boolean; snaplen?: number } = {}): Uint8Array {
  const b = new Bytes(o.le ?? true).u16(linktype).u16(0).u32(o.snaplen ?? 0);
  options(b, opts);
  return block(1, b.bytes(), { le: o.le });
}

export function epb(ifId: number, ts: bigint, data: Uint8Array, o: { le?: boolean; caplen?: number; orig?: number } = {}): Uint8Array {
  const b = new Bytes(o.le ?? true);
  b.u32(ifId).u32(Number((ts >> 32n) & 0xffffffffn)).u32(Number(ts & 0xffffffffn)).u32(o.caplen ?? data.length).u32(o.orig ?? data.length).raw(data).pad4();
  return block(6, b.bytes(), { le: o.le });
}

export function spb(data: Uint8Array, o: { le?: boolean; orig?: number } = {}): Uint8Array {
  return block(3, new Bytes(o.le ?? true).u32(o.orig ?? data.length).raw(data).pad4().bytes(), { le: o.le });
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) { out.set(p, off); off += p.length; }
  return out;
}

/** A valid pcapng of one section, one Ethernet interface (microseconds) and the two frames. */
export function goodPcapng(): Uint8Array {
  return concatBytes(shb(), idb(1), epb(0, 1_700_000_000_000_000n, FRAME_A), epb(0, 1_700_000_000_500_000n, FRAME_B));
}
