// Capture file reading (classic pcap and pcapng), one packet at a time.
//
// A CaptureReader never throws on bad input, and never holds more than one
// record or block (at most MAX_BLOCK_LEN bytes) of the file: `next()` returns
// packets until the end or the first problem; `error` then names the byte
// offset where the problem starts. Every field is range-checked before use:
// lengths, interface ids, option lengths, timestamp resolution and offset,
// and the resulting timestamp (MAX_TS_NS).
import { closeSync, fstatSync, openSync, readFileSync, readSync } from "node:fs";
import {
  MAX_BLOCK_LEN, MAX_INTERFACES, MAX_RECORD_LEN, MAX_TS_NS, PCAPNG_BOM, PCAPNG_SHB, PCAP_MAGIC_KUZNETZOV,
  PCAP_MAGIC_NS, PCAP_MAGIC_US, type CaptureError, type CapturedPacket,
} from "./format.ts";

export interface Capture {
  format: "pcap" | "pcapng";
  linktype: number;  // file linktype (pcapng: first interface's; 0 if unknown)
  packets: CapturedPacket[];
  error: CaptureError | null;
}

const hex32 = (v: number) => "0x" + (v >>> 0).toString(16).padStart(8, "0");

/**
 * A capture's bytes: all in memory, or read from a file in pieces. The
 * reader only moves forward and loads a whole record or block before it
 * looks past it, so a window of one block suffices.
 */
abstract class Source {
  buf: Uint8Array = new Uint8Array(0);
  dv: DataView = new DataView(this.buf.buffer);
  base = 0; // file offset of buf[0]
  failure: string | null = null; // an I/O error code, once reading failed
  /** Make bytes [off, off + n) readable; returns how many of them exist (fewer at the end of the file). */
  abstract load(off: number, n: number): number;
  abstract size(): number | null;
  close(): void {}
  u16(off: number, le: boolean): number { return this.dv.getUint16(off - this.base, le); }
  u32(off: number, le: boolean): number { return this.dv.getUint32(off - this.base, le); }
  i64(off: number, le: boolean): bigint { return this.dv.getBigInt64(off - this.base, le); }
  u8(off: number): number { return this.buf[off - this.base]; }
  copy(off: number, n: number): Uint8Array { return this.buf.slice(off - this.base, off - this.base + n); }
}

class MemorySource extends Source {
  constructor(b: Uint8Array) {
    super();
    this.buf = b;
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  load(off: number, n: number): number {
    return Math.max(0, Math.min(n, this.buf.length - off));
  }
  size(): number { return this.buf.length; }
}

/** Sequential reads (a pipe works too) into a window that slides forward. */
class FileSource extends Source {
  private end = 0; // valid bytes in buf
  private eof = false;
  constructor(private fd: number, window = 1 << 20) {
    super();
    this.buf = new Uint8Array(Math.max(window, MAX_BLOCK_LEN + 64));
    this.dv = new DataView(this.buf.buffer);
  }
  load(off: number, n: number): number {
    if (off < this.base) throw new Error(`capture reader moved backwards (${off} < ${this.base})`); // a bug, not bad input
    if (off + n <= this.base + this.end) return n;
    if (!this.eof) {
      const keep = Math.max(0, this.base + this.end - off);
      if (keep > 0) this.buf.copyWithin(0, this.end - keep, this.end);
      this.base = off;
      this.end = keep;
      if (n > this.buf.length) {
        const bigger = new Uint8Array(n);
        bigger.set(this.buf.subarray(0, this.end));
        this.buf = bigger;
        this.dv = new DataView(bigger.buffer);
      }
      while (this.end < n && !this.eof) {
        let got = 0;
        try {
          got = readSync(this.fd, this.buf, this.end, this.buf.length - this.end, null);
        } catch (e) {
          this.failure = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
        }
        if (got === 0) this.eof = true;
        this.end += got;
      }
    }
    return Math.max(0, Math.min(n, this.base + this.end - off));
  }
  size(): number | null {
    try {
      const st = fstatSync(this.fd);
      return st.isFile() ? st.size : null;
    } catch {
      return null;
    }
  }
  close(): void { closeSync(this.fd); }
}

interface Iface { linktype: number; snaplen: number; tsUnitNum: bigint; tsUnitDen: bigint; tsOffsetSec: bigint }

export class CaptureReader {
  format: "pcap" | "pcapng" = "pcap";
  /** The file's link type (pcapng: the first interface's; 0 until one is described). */
  linktype = 0;
  error: CaptureError | null = null;
  /** Where the record or block of the packet `next()` last returned starts. */
  packetOffset = 0;
  private off = 0;
  private done = false;
  // classic pcap
  private le = true;
  private nanos = false;
  private recHdr = 16;
  // pcapng
  private ifaces: Iface[] = [];
  private sawLinktype = false;

  constructor(private src: Source) {
    this.start();
  }

  /** Bytes consumed so far, and the file's size when known (for progress). */
  get offset(): number { return this.off; }
  size(): number | null { return this.src.size(); }
  close(): void { this.src.close(); }

  /** The next packet, or null at the end of the file or at the first problem (then `error` is set). */
  next(): CapturedPacket | null {
    if (this.done) return null;
    return this.format === "pcap" ? this.nextPcap() : this.nextPcapng();
  }

  private fail(offset: number, message: string): null {
    if (this.src.failure) message = `cannot read the file (${this.src.failure}) at byte ${offset}`;
    this.error = { offset, message };
    this.done = true;
    return null;
  }

  private start(): void {
    const s = this.src;
    const n = s.load(0, 4);
    if (n < 4) {
      this.fail(0, `not a capture file: ${n} bytes, too short for a magic number at byte 0`);
      return;
    }
    const be = s.u32(0, false);
    if (be === PCAPNG_SHB) {
      this.format = "pcapng";
      return;
    }
    for (const little of [false, true]) {
      const m = s.u32(0, little);
      if (m !== PCAP_MAGIC_US && m !== PCAP_MAGIC_NS && m !== PCAP_MAGIC_KUZNETZOV) continue;
      this.le = little;
      this.nanos = m === PCAP_MAGIC_NS;
      this.recHdr = m === PCAP_MAGIC_KUZNETZOV ? 24 : 16;
      const got = s.load(0, 24);
      if (got < 24) {
        this.fail(0, `truncated file header at byte 0: need 24 bytes, ${got} present`);
        return;
      }
      const major = s.u16(4, little);
      if (major !== 2) {
        this.fail(4, `unsupported pcap version ${major}.${s.u16(6, little)} in the file header at byte 4 (2.x is read)`);
        return;
      }
      // bits 28..31 of the network field may carry FCS information; the link type is the low 16 bits
      this.linktype = s.u32(20, little) & 0xffff;
      this.off = 24;
      return;
    }
    this.fail(0, `not a capture file: bad magic ${hex32(be)} at byte 0`);
  }

  private nextPcap(): CapturedPacket | null {
    const s = this.src, le = this.le, off = this.off, recHdr = this.recHdr;
    const have = s.load(off, recHdr);
    if (have === 0 && !s.failure) {
      this.done = true;
      return null;
    }
    if (have < recHdr) return this.fail(off, `truncated packet record header at byte ${off}: need ${recHdr} bytes, ${have} remain`);
    const sec = s.u32(off, le);
    const frac = s.u32(off + 4, le);
    const incl = s.u32(off + 8, le);
    const orig = s.u32(off + 12, le);
    if (incl > MAX_RECORD_LEN) return this.fail(off, `corrupt packet record at byte ${off}: captured length ${incl} exceeds ${MAX_RECORD_LEN}`);
    const fracMax = this.nanos ? 1_000_000_000 : 1_000_000;
    if (frac >= fracMax) {
      return this.fail(off, `corrupt packet record at byte ${off}: ${this.nanos ? "nanoseconds" : "microseconds"} field ${frac} is not below ${fracMax}`);
    }
    const got = s.load(off, recHdr + incl);
    if (got < recHdr + incl) return this.fail(off, `truncated packet record at byte ${off}: header says ${incl} bytes, ${got - recHdr} remain`);
    this.off = off + recHdr + incl;
    this.packetOffset = off;
    // sec < 2^32 and frac < 1 s: always below MAX_TS_NS
    return {
      tsNs: BigInt(sec) * 1_000_000_000n + BigInt(frac) * (this.nanos ? 1n : 1000n),
      data: s.copy(off + recHdr, incl),
      origLen: orig,
      linktype: this.linktype,
    };
  }

  private nextPcapng(): CapturedPacket | null {
    const s = this.src;
    for (;;) {
      const off = this.off;
      const remain = s.load(off, 12);
      if (remain === 0 && !s.failure) {
        this.done = true;
        return null;
      }
      if (remain < 12) return this.fail(off, `truncated block at byte ${off}: need at least 12 bytes, ${remain} remain`);
      const typeBE = s.u32(off, false);
      if (typeBE === PCAPNG_SHB) {
        // a new section: byte order comes from its byte-order magic
        const got = s.load(off, 28);
        if (got < 28) return this.fail(off, `truncated section header block at byte ${off}: need 28 bytes, ${got} remain`);
        if (s.u32(off + 8, true) === PCAPNG_BOM) this.le = true;
        else if (s.u32(off + 8, false) === PCAPNG_BOM) this.le = false;
        else return this.fail(off + 8, `corrupt section header block at byte ${off}: bad byte-order magic ${hex32(s.u32(off + 8, false))} at byte ${off + 8}`);
        const major = s.u16(off + 12, this.le);
        if (major !== 1) return this.fail(off, `unsupported pcapng version ${major} in section header block at byte ${off}`);
        this.ifaces = [];
      } else if (off === 0) {
        return this.fail(0, `not a capture file: bad magic ${hex32(typeBE)} at byte 0`);
      }
      const le = this.le;
      const type = s.u32(off, le);
      const len = s.u32(off + 4, le);
      if (len < 12 || len % 4 !== 0) return this.fail(off, `corrupt block at byte ${off}: block length ${len} is ${len < 12 ? "below the minimum 12" : "not a multiple of 4"}`);
      if (len > MAX_BLOCK_LEN) return this.fail(off, `corrupt block at byte ${off}: block length ${len} exceeds ${MAX_BLOCK_LEN}`);
      const got = s.load(off, len);
      if (got < len) return this.fail(off, `truncated block at byte ${off}: header says ${len} bytes, ${got} remain`);
      const trailer = s.u32(off + len - 4, le);
      if (trailer !== len) return this.fail(off, `corrupt block at byte ${off}: trailing length ${trailer} does not match leading length ${len}`);
      const r = this.block(type, off, len);
      if (this.done) return null;
      this.off = off + len;
      if (r) {
        this.packetOffset = off;
        return r;
      }
    }
  }

  /** One loaded pcapng block: a packet, or null (a block that describes, or one skipped; `done` on error). */
  private block(type: number, off: number, len: number): CapturedPacket | null {
    const s = this.src, le = this.le;
    const body = off + 8;
    const end = off + len - 4; // end of body (exclusive)
    const bodyLen = end - body;
    switch (type) {
      case 1: { // Interface Description Block
        if (bodyLen < 8) return this.fail(off, `corrupt interface description block at byte ${off}: body is ${bodyLen} bytes, need 8`);
        if (this.ifaces.length >= MAX_INTERFACES) return this.fail(off, `interface description block at byte ${off}: more than ${MAX_INTERFACES} interfaces in one section`);
        const linktype = s.u16(body, le);
        const snaplen = s.u32(body + 4, le);
        const opts = this.options(body + 8, end);
        if (typeof opts === "string") return this.fail(off, `corrupt interface description block at byte ${off}: ${opts}`);
        let num = 1000n, den = 1n; // default resolution: microseconds -> ns multiply by 1000
        const res = opts.get(9);
        if (res) {
          if (res.len !== 1) return this.fail(off, `corrupt interface description block at byte ${off}: if_tsresol option is ${res.len} bytes, not 1`);
          const v = s.u8(res.at);
          if (v & 0x80) { num = 1_000_000_000n; den = 1n << BigInt(v & 0x7f); }
          else if (v <= 9) { num = 10n ** BigInt(9 - v); den = 1n; }
          else { num = 1n; den = 10n ** BigInt(v - 9); }
        }
        let tsOffsetSec = 0n;
        const tso = opts.get(14);
        if (tso) {
          if (tso.len !== 8) return this.fail(off, `corrupt interface description block at byte ${off}: if_tsoffset option is ${tso.len} bytes, not 8`);
          tsOffsetSec = s.i64(tso.at, le);
        }
        this.ifaces.push({ linktype, snaplen, tsUnitNum: num, tsUnitDen: den, tsOffsetSec });
        if (!this.sawLinktype) { this.linktype = linktype; this.sawLinktype = true; }
        return null;
      }
      case 6: // Enhanced Packet Block
        if (bodyLen < 20) return this.fail(off, `corrupt enhanced packet block at byte ${off}: body is ${bodyLen} bytes, need 20`);
        return this.packet(off, end, s.u32(body, le), s.u32(body + 4, le), s.u32(body + 8, le),
          s.u32(body + 12, le), s.u32(body + 16, le), body + 20, "enhanced packet block");
      case 2: // Packet Block (obsolete)
        if (bodyLen < 20) return this.fail(off, `corrupt packet block at byte ${off}: body is ${bodyLen} bytes, need 20`);
        return this.packet(off, end, s.u16(body, le), s.u32(body + 4, le), s.u32(body + 8, le),
          s.u32(body + 12, le), s.u32(body + 16, le), body + 20, "packet block");
      case 3: { // Simple Packet Block: no timestamp, interface 0, caplen = min(origLen, snaplen, room)
        if (bodyLen < 4) return this.fail(off, `corrupt simple packet block at byte ${off}: body is ${bodyLen} bytes, need 4`);
        const iface = this.ifaces[0];
        if (!iface) return this.fail(off, `simple packet block at byte ${off} appears before any interface description block`);
        const origLen = s.u32(body, le);
        let caplen = Math.min(origLen, bodyLen - 4);
        if (iface.snaplen > 0) caplen = Math.min(caplen, iface.snaplen);
        if (caplen > MAX_RECORD_LEN) return this.fail(off, `corrupt simple packet block at byte ${off}: captured length ${caplen} exceeds ${MAX_RECORD_LEN}`);
        return { tsNs: 0n, data: s.copy(body + 4, caplen), origLen, linktype: iface.linktype };
      }
      default:
        return null; // SHB (handled by the caller), NRB, ISB, DSB, custom, unknown: skipped by length
    }
  }

  private packet(off: number, end: number, ifId: number, tsHigh: number, tsLow: number, caplen: number, origLen: number, dataAt: number, kind: string): CapturedPacket | null {
    const iface = this.ifaces[ifId];
    if (!iface) return this.fail(off, `${kind} at byte ${off} refers to interface ${ifId}, but only ${this.ifaces.length} interface(s) are defined`);
    if (caplen > MAX_RECORD_LEN) return this.fail(off, `corrupt ${kind} at byte ${off}: captured length ${caplen} exceeds ${MAX_RECORD_LEN}`);
    if (dataAt + caplen > end) return this.fail(off, `corrupt ${kind} at byte ${off}: captured length ${caplen} exceeds the block's ${end - dataAt} data bytes`);
    const units = (BigInt(tsHigh) << 32n) | BigInt(tsLow);
    const tsNs = (units * iface.tsUnitNum) / iface.tsUnitDen + iface.tsOffsetSec * 1_000_000_000n;
    if (tsNs < 0n || tsNs >= MAX_TS_NS) {
      const sec = tsNs / 1_000_000_000n;
      return this.fail(off, `${kind} at byte ${off}: timestamp ${sec} s since 1970 is out of range ` +
        `(a capture holds 1970-01-01 to 2106-02-07; check the interface's if_tsresol and if_tsoffset)`);
    }
    return { tsNs, data: this.src.copy(dataAt, caplen), origLen, linktype: iface.linktype };
  }

  /**
   * pcapng options in [start, end): code -> where the first value is and its
   * length; a message if an option runs past the end.
   */
  private options(start: number, end: number): Map<number, { at: number; len: number }> | string {
    const s = this.src, le = this.le;
    const opts = new Map<number, { at: number; len: number }>();
    let p = start;
    while (p + 4 <= end) {
      const code = s.u16(p, le);
      const len = s.u16(p + 2, le);
      if (code === 0) break; // opt_endofopt
      if (p + 4 + len > end) return "option runs past the end of the block";
      if (!opts.has(code)) opts.set(code, { at: p + 4, len });
      p += 4 + ((len + 3) & ~3);
    }
    return opts;
  }
}

/** Read a classic pcap or pcapng capture from memory. Never throws. */
export function readCapture(buf: Uint8Array): Capture {
  const r = new CaptureReader(new MemorySource(buf));
  const packets: CapturedPacket[] = [];
  for (let p = r.next(); p; p = r.next()) packets.push(p);
  return { format: r.format, linktype: r.linktype, packets, error: r.error };
}

/** Read a capture file from disk (I/O errors do throw; content errors do not). */
export function readCaptureFile(path: string): Capture {
  return readCapture(new Uint8Array(readFileSync(path)));
}

/**
 * A reader over a file, read in pieces (memory: one block, whatever the
 * file's length). Opening throws (ENOENT, EACCES); later read errors become
 * the reader's `error`. Close it when done.
 */
export function openCaptureFile(path: string): CaptureReader {
  return new CaptureReader(new FileSource(openSync(path, "r")));
}

/** A reader over bytes in memory (tests, tools). */
export function captureReader(buf: Uint8Array): CaptureReader {
  return new CaptureReader(new MemorySource(buf));
}
