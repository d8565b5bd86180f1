// Capture file reading (classic pcap and pcapng) and writing (classic pcap).
//
// readCapture never throws on bad input: it returns the packets read before
// the problem and an `error` naming the byte offset where the problem starts.

import { readFileSync, writeFileSync } from "node:fs";

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;      // raw IPv4/IPv6, version from the first nibble
export const LINKTYPE_RAW_ALT12 = 12; // DLT_RAW on some BSDs, shows up in files
export const LINKTYPE_RAW_ALT14 = 14; // DLT_RAW on OpenBSD
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

/** True for the linktypes whose packets start directly with an IP header. */
export function isRawIpLinktype(linktype: number): boolean {
  return linktype === LINKTYPE_RAW || linktype === LINKTYPE_RAW_ALT12 || linktype === LINKTYPE_RAW_ALT14 ||
    linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6;
}

/** Captured lengths (and pcapng block lengths beyond their fixed part) above this are corrupt. */
export const MAX_RECORD_LEN = 256 * 1024;

export interface CapturedPacket {
  tsNs: bigint;      // nanoseconds since the Unix epoch (0n when the format has none, e.g. pcapng SPB)
  data: Uint8Array;  // captured bytes (a copy, independent of the input buffer)
  origLen: number;   // length on the wire
  linktype: number;
}

export interface Capture {
  format: "pcap" | "pcapng";
  linktype: number;  // file linktype (pcapng: first interface's; 0 if unknown)
  packets: CapturedPacket[];
  error: { offset: number; message: string } | null;
}

const PCAP_MAGIC_US = 0xa1b2c3d4;
const PCAP_MAGIC_NS = 0xa1b23c4d;
const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34; // "modified pcap": 8 extra bytes per record header
const PCAPNG_SHB = 0x0a0d0d0a;
const PCAPNG_BOM = 0x1a2b3c4d;

const hex32 = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/** Read a classic pcap or pcapng capture from memory. Never throws. */
export function readCapture(buf: Uint8Array): Capture {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (buf.length < 4) {
    return {
      format: "pcap", linktype: 0, packets: [],
      error: { offset: 0, message: `not a capture file: ${buf.length} bytes, too short for a magic number at byte 0` },
    };
  }
  const be = dv.getUint32(0, false);
  if (be === PCAPNG_SHB) return readPcapng(buf, dv);
  for (const little of [false, true]) {
    const m = dv.getUint32(0, little);
    if (m === PCAP_MAGIC_US || m === PCAP_MAGIC_NS || m === PCAP_MAGIC_KUZNETZOV) {
      return readPcap(buf, dv, little, m === PCAP_MAGIC_NS, m === PCAP_MAGIC_KUZNETZOV ? 24 : 16);
    }
  }
  return {
    format: "pcap", linktype: 0, packets: [],
    error: { offset: 0, message: `not a capture file: bad magic ${hex32(be)} at byte 0` },
  };
}

/** Read a capture file from disk (I/O errors do throw; content errors do not). */
export function readCaptureFile(path: string): Capture {
  return readCapture(new Uint8Array(readFileSync(path)));
}

function readPcap(buf: Uint8Array, dv: DataView, le: boolean, nanos: boolean, recHdr: number): Capture {
  const cap: Capture = { format: "pcap", linktype: 0, packets: [], error: null };
  if (buf.length < 24) {
    cap.error = { offset: 0, message: `truncated file header at byte 0: need 24 bytes, ${buf.length} present` };
    return cap;
  }
  // bits 28..31 of the network field may carry FCS information; the link type is the low 16 bits
  const linktype = dv.getUint32(20, le) & 0xffff;
  cap.linktype = linktype;
  const mult = nanos ? 1n : 1000n;
  let off = 24;
  while (off < buf.length) {
    const remain = buf.length - off;
    if (remain < recHdr) {
      cap.error = { offset: off, message: `truncated packet record header at byte ${off}: need ${recHdr} bytes, ${remain} remain` };
      return cap;
    }
    const sec = dv.getUint32(off, le);
    const frac = dv.getUint32(off + 4, le);
    const incl = dv.getUint32(off + 8, le);
    const orig = dv.getUint32(off + 12, le);
    if (incl > MAX_RECORD_LEN) {
      cap.error = { offset: off, message: `corrupt packet record at byte ${off}: captured length ${incl} exceeds ${MAX_RECORD_LEN}` };
      return cap;
    }
    if (remain - recHdr < incl) {
      cap.error = { offset: off, message: `truncated packet record at byte ${off}: header says ${incl} bytes, ${remain - recHdr} remain` };
      return cap;
    }
    const start = off + recHdr;
    cap.packets.push({
      tsNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * mult,
      data: buf.slice(start, start + incl),
      origLen: orig,
      linktype,
    });
    off = start + incl;
  }
  return cap;
}

interface Iface { linktype: number; snaplen: number; tsUnitNum: bigint; tsUnitDen: bigint; tsOffsetSec: bigint }

/**
 * Parse pcapng options in [start, end). Returns a map code -> first value;
 * null if the option list is malformed (an option running past the end).
 */
function parseOptions(dv: DataView, start: number, end: number, le: boolean): Map<number, Uint8Array> | null {
  const opts = new Map<number, Uint8Array>();
  let p = start;
  while (p + 4 <= end) {
    const code = dv.getUint16(p, le);
    const len = dv.getUint16(p + 2, le);
    if (code === 0) break; // opt_endofopt
    if (p + 4 + len > end) return null;
    if (!opts.has(code)) opts.set(code, new Uint8Array(dv.buffer, dv.byteOffset + p + 4, len));
    p += 4 + ((len + 3) & ~3);
  }
  return opts;
}

function readPcapng(buf: Uint8Array, dv: DataView): Capture {
  const cap: Capture = { format: "pcapng", linktype: 0, packets: [], error: null };
  let le = true;
  let ifaces: Iface[] = [];
  let sawLinktype = false;
  let off = 0;
  const fail = (offset: number, message: string): Capture => {
    cap.error = { offset, message };
    return cap;
  };
  while (off < buf.length) {
    const remain = buf.length - off;
    if (remain < 12) return fail(off, `truncated block at byte ${off}: need at least 12 bytes, ${remain} remain`);
    const typeBE = dv.getUint32(off, false);
    if (typeBE === PCAPNG_SHB) {
      // a new section: byte order comes from its byte-order magic
      if (remain < 28) return fail(off, `truncated section header block at byte ${off}: need 28 bytes, ${remain} remain`);
      const bom = dv.getUint32(off + 8, true);
      if (bom === PCAPNG_BOM) le = true;
      else if (dv.getUint32(off + 8, false) === PCAPNG_BOM) le = false;
      else return fail(off + 8, `corrupt section header block at byte ${off}: bad byte-order magic ${hex32(dv.getUint32(off + 8, false))} at byte ${off + 8}`);
      const major = dv.getUint16(off + 12, le);
      if (major !== 1) return fail(off, `unsupported pcapng version ${major} in section header block at byte ${off}`);
      ifaces = [];
    } else if (off === 0) {
      return fail(0, `not a capture file: bad magic ${hex32(typeBE)} at byte 0`);
    }
    const type = dv.getUint32(off, le);
    const len = dv.getUint32(off + 4, le);
    if (len < 12 || len % 4 !== 0) return fail(off, `corrupt block at byte ${off}: block length ${len} is ${len < 12 ? "below the minimum 12" : "not a multiple of 4"}`);
    if (len > MAX_RECORD_LEN + 4096) return fail(off, `corrupt block at byte ${off}: block length ${len} exceeds ${MAX_RECORD_LEN + 4096}`);
    if (len > remain) return fail(off, `truncated block at byte ${off}: header says ${len} bytes, ${remain} remain`);
    const trailer = dv.getUint32(off + len - 4, le);
    if (trailer !== len) return fail(off, `corrupt block at byte ${off}: trailing length ${trailer} does not match leading length ${len}`);
    const body = off + 8;
    const end = off + len - 4; // end of body (exclusive)
    const bodyLen = end - body;

    const packet = (ifId: number, tsHigh: number, tsLow: number, caplen: number, origLen: number, dataAt: number, kind: string): string | null => {
      const iface = ifaces[ifId];
      if (!iface) return `${kind} at byte ${off} refers to interface ${ifId}, but only ${ifaces.length} interface(s) are defined`;
      if (caplen > MAX_RECORD_LEN) return `corrupt ${kind} at byte ${off}: captured length ${caplen} exceeds ${MAX_RECORD_LEN}`;
      if (dataAt + caplen > end) return `corrupt ${kind} at byte ${off}: captured length ${caplen} exceeds the block's ${end - dataAt} data bytes`;
      const units = (BigInt(tsHigh) << 32n) | BigInt(tsLow);
      const tsNs = (units * iface.tsUnitNum) / iface.tsUnitDen + iface.tsOffsetSec * 1_000_000_000n;
      cap.packets.push({ tsNs, data: buf.slice(dataAt, dataAt + caplen), origLen, linktype: iface.linktype });
      return null;
    };

    switch (type) {
      case 1: { // Interface Description Block
        if (bodyLen < 8) return fail(off, `corrupt interface description block at byte ${off}: body is ${bodyLen} bytes, need 8`);
        const linktype = dv.getUint16(body, le);
        const snaplen = dv.getUint32(body + 4, le);
        const opts = parseOptions(dv, body + 8, end, le);
        if (!opts) return fail(off, `corrupt interface description block at byte ${off}: option runs past the end of the block`);
        let num = 1000n, den = 1n; // default resolution: microseconds -> ns multiply by 1000
        const res = opts.get(9);
        if (res && res.length >= 1) {
          const v = res[0];
          if (v & 0x80) { num = 1_000_000_000n; den = 1n << BigInt(v & 0x7f); }
          else if (v <= 9) { num = 10n ** BigInt(9 - v); den = 1n; }
          else { num = 1n; den = 10n ** BigInt(v - 9); }
        }
        let tsOffsetSec = 0n;
        const tso = opts.get(14);
        if (tso && tso.length >= 8) tsOffsetSec = new DataView(tso.buffer, tso.byteOffset, 8).getBigInt64(0, le);
        ifaces.push({ linktype, snaplen, tsUnitNum: num, tsUnitDen: den, tsOffsetSec });
        if (!sawLinktype) { cap.linktype = linktype; sawLinktype = true; }
        break;
      }
      case 6: { // Enhanced Packet Block
        if (bodyLen < 20) return fail(off, `corrupt enhanced packet block at byte ${off}: body is ${bodyLen} bytes, need 20`);
        const msg = packet(dv.getUint32(body, le), dv.getUint32(body + 4, le), dv.getUint32(body + 8, le),
          dv.getUint32(body + 12, le), dv.getUint32(body + 16, le), body + 20, "enhanced packet block");
        if (msg) return fail(off, msg);
        break;
      }
      case 2: { // Packet Block (obsolete)
        if (bodyLen < 20) return fail(off, `corrupt packet block at byte ${off}: body is ${bodyLen} bytes, need 20`);
        const msg = packet(dv.getUint16(body, le), dv.getUint32(body + 4, le), dv.getUint32(body + 8, le),
          dv.getUint32(body + 12, le), dv.getUint32(body + 16, le), body + 20, "packet block");
        if (msg) return fail(off, msg);
        break;
      }
      case 3: { // Simple Packet Block: no timestamp, interface 0, caplen = min(origLen, snaplen, room)
        if (bodyLen < 4) return fail(off, `corrupt simple packet block at byte ${off}: body is ${bodyLen} bytes, need 4`);
        const iface = ifaces[0];
        if (!iface) return fail(off, `simple packet block at byte ${off} appears before any interface description block`);
        const origLen = dv.getUint32(body, le);
        let caplen = Math.min(origLen, bodyLen - 4);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        if (caplen > MAX_RECORD_LEN) return fail(off, `corrupt simple packet block at byte ${off}: captured length ${caplen} exceeds ${MAX_RECORD_LEN}`);
        cap.packets.push({ tsNs: 0n, data: buf.slice(body + 4, body + 4 + caplen), origLen, linktype: iface.linktype });
        break;
      }
      default:
        break; // SHB (handled above), NRB, ISB, DSB, custom, unknown: skipped by length
    }
    off += len;
  }
  return cap;
}

export interface PcapWriterOptions {
  nanos?: boolean;   // nanosecond timestamps (magic a1b23c4d); default microseconds
  snaplen?: number;  // default 262144; longer packets are truncated to it
}

/** Builds a classic little-endian pcap file in memory. */
export class PcapWriter {
  readonly linktype: number;
  readonly nanos: boolean;
  readonly snaplen: number;
  private chunks: Uint8Array[] = [];
  private size = 24;
  private count = 0;

  constructor(linktype = LINKTYPE_ETHERNET, opts: PcapWriterOptions = {}) {
    this.linktype = linktype;
    this.nanos = opts.nanos ?? false;
    this.snaplen = opts.snaplen ?? MAX_RECORD_LEN;
    if (!Number.isInteger(this.snaplen) || this.snaplen <= 0) throw new RangeError(`bad snaplen ${this.snaplen}`);
  }

  /** Number of packets added so far. */
  get packetCount(): number {
    return this.count;
  }

  /**
   * Append a packet. `tsNs` is nanoseconds since the epoch (>= 0); with
   * microsecond files it is truncated to whole microseconds. `origLen`
   * defaults to data.length; data beyond snaplen is cut off.
   */
  add(tsNs: bigint, data: Uint8Array, origLen: number = data.length): this {
    if (tsNs < 0n) throw new RangeError(`negative timestamp ${tsNs}`);
    const sec = tsNs / 1_000_000_000n;
    if (sec > 0xffffffffn) throw new RangeError(`timestamp ${tsNs} does not fit a 32-bit seconds field`);
    const subNs = tsNs % 1_000_000_000n;
    const frac = this.nanos ? subNs : subNs / 1000n;
    const incl = Math.min(data.length, this.snaplen);
    const rec = new Uint8Array(16 + incl);
    const dv = new DataView(rec.buffer);
    dv.setUint32(0, Number(sec), true);
    dv.setUint32(4, Number(frac), true);
    dv.setUint32(8, incl, true);
    dv.setUint32(12, Math.max(origLen, incl), true);
    rec.set(data.subarray(0, incl), 16);
    this.chunks.push(rec);
    this.size += rec.length;
    this.count++;
    return this;
  }

  /** The whole file: global header plus all records added so far. */
  toBuffer(): Uint8Array {
    const out = new Uint8Array(this.size);
    const dv = new DataView(out.buffer);
    dv.setUint32(0, this.nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
    dv.setUint16(4, 2, true);  // version 2.4
    dv.setUint16(6, 4, true);
    dv.setInt32(8, 0, true);   // thiszone
    dv.setUint32(12, 0, true); // sigfigs
    dv.setUint32(16, this.snaplen, true);
    dv.setUint32(20, this.linktype, true);
    let off = 24;
    for (const c of this.chunks) { out.set(c, off); off += c.length; }
    return out;
  }
}

/** Write packets to a classic pcap file (microsecond, little-endian). */
export function writeCaptureFile(
  path: string,
  packets: { tsNs: bigint; data: Uint8Array; origLen?: number }[],
  linktype = LINKTYPE_ETHERNET,
): void {
  const w = new PcapWriter(linktype);
  for (const p of packets) w.add(p.tsNs, p.data, p.origLen);
  writeFileSync(path, w.toBuffer());
}
