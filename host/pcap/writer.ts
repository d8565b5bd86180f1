// Classic pcap writing: in memory (PcapWriter) or straight to a file
// (PcapFileWriter, memory bounded by its buffer). Every field is
// range-checked: a value a pcap header cannot hold is a RangeError, never
// silently wrapped.
import { closeSync, openSync, writeSync } from "node:fs";
import { LINKTYPE_ETHERNET, MAX_RECORD_LEN, PCAP_MAGIC_NS, PCAP_MAGIC_US } from "./format.ts";

export interface PcapWriterOptions {
  nanos?: boolean;   // nanosecond timestamps (magic a1b23c4d); default microseconds
  snaplen?: number;  // default 262144; longer packets are truncated to it
}

const isU32 = (v: number) => Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

function checkHeader(linktype: number, snaplen: number): void {
  if (!Number.isInteger(linktype) || linktype < 0 || linktype > 0xffff) throw new RangeError(`bad linktype ${linktype}`);
  if (!isU32(snaplen) || snaplen === 0) throw new RangeError(`bad snaplen ${snaplen}`);
}

function fileHeader(linktype: number, nanos: boolean, snaplen: number): Uint8Array {
  const out = new Uint8Array(24);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, nanos ? PCAP_MAGIC_NS : PCAP_MAGIC_US, true);
  dv.setUint16(4, 2, true);  // version 2.4
  dv.setUint16(6, 4, true);
  dv.setInt32(8, 0, true);   // thiszone
  dv.setUint32(12, 0, true); // sigfigs
  dv.setUint32(16, snaplen, true);
  dv.setUint32(20, linktype, true);
  return out;
}

/** One record (16-byte header and data), little-endian. */
function record(tsNs: bigint, data: Uint8Array, origLen: number, nanos: boolean, snaplen: number): Uint8Array {
  if (tsNs < 0n) throw new RangeError(`negative timestamp ${tsNs}`);
  const sec = tsNs / 1_000_000_000n;
  if (sec > 0xffffffffn) throw new RangeError(`timestamp ${tsNs} does not fit a 32-bit seconds field`);
  if (!isU32(origLen)) throw new RangeError(`bad original length ${origLen}`);
  const subNs = tsNs % 1_000_000_000n;
  const frac = nanos ? subNs : subNs / 1000n;
  const incl = Math.min(data.length, snaplen);
  const rec = new Uint8Array(16 + incl);
  const dv = new DataView(rec.buffer);
  dv.setUint32(0, Number(sec), true);
  dv.setUint32(4, Number(frac), true);
  dv.setUint32(8, incl, true);
  dv.setUint32(12, Math.max(origLen, incl), true);
  rec.set(data.subarray(0, incl), 16);
  return rec;
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
    checkHeader(this.linktype, this.snaplen);
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
    const rec = record(tsNs, data, origLen, this.nanos, this.snaplen);
    this.chunks.push(rec);
    this.size += rec.length;
    this.count++;
    return this;
  }

  /** The whole file: global header plus all records added so far. */
  toBuffer(): Uint8Array {
    const out = new Uint8Array(this.size);
    out.set(fileHeader(this.linktype, this.nanos, this.snaplen), 0);
    let off = 24;
    for (const c of this.chunks) { out.set(c, off); off += c.length; }
    return out;
  }
}

/**
 * Writes a classic pcap file as packets come (replay --pass/--drop): the
 * file is created by the constructor (which throws on an I/O error), and
 * at most `bufferBytes` are held before they are written.
 */
export class PcapFileWriter {
  private fd: number;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private count = 0;

  constructor(path: string, readonly linktype = LINKTYPE_ETHERNET, private opts: PcapWriterOptions = {}, private bufferBytes = 1 << 20) {
    checkHeader(linktype, opts.snaplen ?? MAX_RECORD_LEN);
    this.fd = openSync(path, "w");
    this.pending.push(fileHeader(linktype, opts.nanos ?? false, opts.snaplen ?? MAX_RECORD_LEN));
    this.pendingBytes = 24;
  }

  get packetCount(): number {
    return this.count;
  }

  add(tsNs: bigint, data: Uint8Array, origLen: number = data.length): this {
    const rec = record(tsNs, data, origLen, this.opts.nanos ?? false, this.opts.snaplen ?? MAX_RECORD_LEN);
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    this.count++;
    if (this.pendingBytes >= this.bufferBytes) this.flush();
    return this;
  }

  flush(): void {
    if (this.pendingBytes === 0) return;
    const out = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    for (let off = 0; off < out.length;) off += writeSync(this.fd, out, off, out.length - off);
  }

  /** Write what is buffered and close the file. */
  close(): void {
    try {
      this.flush();
    } finally {
      closeSync(this.fd);
    }
  }
}

/** Write packets to a classic pcap file (microsecond, little-endian). */
export function writeCaptureFile(
  path: string,
  packets: { tsNs: bigint; data: Uint8Array; origLen?: number }[],
  linktype = LINKTYPE_ETHERNET,
): void {
  const w = new PcapFileWriter(path, linktype);
  try {
    for (const p of packets) w.add(p.tsNs, p.data, p.origLen);
  } finally {
    w.close();
  }
}
