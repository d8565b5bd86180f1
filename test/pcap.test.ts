import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCapture, readCaptureFile, PcapWriter, writeCaptureFile, MAX_RECORD_LEN, isRawIpLinktype } from "../host/pcap/pcap.ts";
import { tcpPacket, udpPacket, icmpPacket, rawIp } from "../host/packet/build.ts";

// ---- hand-rolled byte writer for building test files independently of PcapWriter ----
class Bytes {
  private out: number[] = [];
  constructor(private le: boolean) {}
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
  raw(b: Uint8Array | number[]) { for (const x of b) this.out.push(x); return this; }
  pad4() { while (this.out.length % 4) this.out.push(0); return this; }
  get length() { return this.out.length; }
  bytes() { return Uint8Array.from(this.out); }
}

const f1 = tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1234, dport: 80, flags: "S" });
const f2 = udpPacket({ src: "2001:db8::1", dst: "2001:db8::2", sport: 53, dport: 53, payload: Uint8Array.from([1, 2, 3]) });
const f3 = icmpPacket({ src: "10.0.0.2", dst: "10.0.0.1", type: 0, code: 0, id: 1, seq: 1, vlan: 5 });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** Classic pcap built by hand, either byte order. */
function handPcap(le: boolean, nanos: boolean, linktype: number, recs: { sec: number; frac: number; data: Uint8Array; orig?: number }[], snaplen = 65535) {
  const b = new Bytes(le);
  b.u32(nanos ? 0xa1b23c4d : 0xa1b2c3d4).u16(2).u16(4).u32(0).u32(0).u32(snaplen).u32(linktype);
  for (const r of recs) b.u32(r.sec).u32(r.frac).u32(r.data.length).u32(r.orig ?? r.data.length).raw(r.data);
  return b.bytes();
}

describe("classic pcap", () => {
  it("round-trips PcapWriter output (microseconds, truncating sub-microsecond digits)", () => {
    const w = new PcapWriter();
    w.add(1_700_000_000_123_456_789n, f1);
    w.add(1_700_000_001_000_000_000n, f2, 1500);
    w.add(5n, f3);
    expect(w.packetCount).toBe(3);
    const buf = w.toBuffer();
    expect(hex(buf.subarray(0, 4))).toBe("d4c3b2a1"); // little-endian microsecond magic
    expect(buf.length).toBe(24 + 3 * 16 + f1.length + f2.length + f3.length);
    const cap = readCapture(buf);
    expect(cap.error).toBeNull();
    expect(cap.format).toBe("pcap");
    expect(cap.linktype).toBe(1);
    expect(cap.packets.map((p) => p.tsNs)).toEqual([1_700_000_000_123_456_000n, 1_700_000_001_000_000_000n, 0n]);
    expect(cap.packets.map((p) => hex(p.data))).toEqual([hex(f1), hex(f2), hex(f3)]);
    expect(cap.packets.map((p) => p.origLen)).toEqual([f1.length, 1500, f3.length]);
    expect(cap.packets.every((p) => p.linktype === 1)).toBe(true);
  });

  it("round-trips nanosecond files exactly, and other linktypes", () => {
    const w = new PcapWriter(101, { nanos: true });
    w.add(1_700_000_000_123_456_789n, rawIp(f1));
    const buf = w.toBuffer();
    expect(hex(buf.subarray(0, 4))).toBe("4d3cb2a1");
    const cap = readCapture(buf);
    expect(cap.error).toBeNull();
    expect(cap.linktype).toBe(101);
    expect(cap.packets[0].tsNs).toBe(1_700_000_000_123_456_789n);
    expect(cap.packets[0].linktype).toBe(101);
    expect(hex(cap.packets[0].data)).toBe(hex(rawIp(f1)));
    expect(isRawIpLinktype(101) && isRawIpLinktype(228) && isRawIpLinktype(229) && isRawIpLinktype(12) && isRawIpLinktype(14)).toBe(true);
    expect(isRawIpLinktype(1)).toBe(false);
  });

  it("applies snaplen in the writer and keeps the original length", () => {
    const w = new PcapWriter(1, { snaplen: 20 });
    w.add(0n, f1);
    const cap = readCapture(w.toBuffer());
    expect(new DataView(w.toBuffer().buffer).getUint32(16, true)).toBe(20);
    expect(cap.packets[0].data.length).toBe(20);
    expect(hex(cap.packets[0].data)).toBe(hex(f1.subarray(0, 20)));
    expect(cap.packets[0].origLen).toBe(f1.length);
    expect(() => new PcapWriter(1).add(-1n, f1)).toThrow(RangeError);
  });

  for (const le of [false, true]) {
    for (const nanos of [false, true]) {
      it(`reads hand-written ${le ? "little" : "big"}-endian ${nanos ? "nanosecond" : "microsecond"} files`, () => {
        const buf = handPcap(le, nanos, 1, [
          { sec: 1000, frac: 999_999, data: f1 },
          { sec: 0xfffffffe, frac: 1, data: f2, orig: 9000 },
        ], 96);
        const cap = readCapture(buf);
        expect(cap.error).toBeNull();
        expect(cap.linktype).toBe(1);
        const unit = nanos ? 1n : 1000n;
        expect(cap.packets.map((p) => p.tsNs)).toEqual([1000n * 1_000_000_000n + 999_999n * unit, 0xfffffffen * 1_000_000_000n + unit]);
        expect(cap.packets.map((p) => hex(p.data))).toEqual([hex(f1), hex(f2)]); // f2 is longer than the header snaplen: read as recorded
        expect(cap.packets[1].origLen).toBe(9000);
      });
    }
  }

  it("reads a big-endian file whose records exceed the header snaplen (any snaplen)", () => {
    const big = new Uint8Array(70000).map((_, i) => i & 0xff);
    const cap = readCapture(handPcap(false, false, 228, [{ sec: 1, frac: 2, data: big }], 64));
    expect(cap.error).toBeNull();
    expect(cap.linktype).toBe(228);
    expect(cap.packets[0].data.length).toBe(70000);
    expect(cap.packets[0].data[69999]).toBe(69999 & 0xff);
  });

  it("reads the Kuznetzov modified format (24-byte record headers)", () => {
    const b = new Bytes(true);
    b.u32(0xa1b2cd34).u16(2).u16(4).u32(0).u32(0).u32(65535).u32(1);
    b.u32(7).u32(8).u32(f1.length).u32(f1.length).u32(3).u16(0x0800).u8(0).u8(0).raw(f1);
    const cap = readCapture(b.bytes());
    expect(cap.error).toBeNull();
    expect(cap.packets.length).toBe(1);
    expect(cap.packets[0].tsNs).toBe(7_000_008_000n);
    expect(hex(cap.packets[0].data)).toBe(hex(f1));
  });

  describe("truncation and corruption", () => {
    const full = handPcap(true, false, 1, [
      { sec: 1, frac: 0, data: f1 },
      { sec: 2, frac: 0, data: f2 },
      { sec: 3, frac: 0, data: f3 },
    ]);
    const r2 = 24 + 16 + f1.length;          // start of record 2
    const r3 = r2 + 16 + f2.length;          // start of record 3

    it("an intact file has no error", () => {
      expect(readCapture(full).error).toBeNull();
      expect(readCapture(full).packets.length).toBe(3);
    });

    it("empty and tiny files", () => {
      expect(readCapture(new Uint8Array(0))).toMatchObject({ packets: [], error: { offset: 0 } });
      expect(readCapture(new Uint8Array(0)).error!.message).toMatch(/not a capture file/);
      const c = readCapture(full.subarray(0, 3));
      expect(c.error!.offset).toBe(0);
    });

    it("bad magic", () => {
      const c = readCapture(Uint8Array.from([0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0]));
      expect(c.packets).toEqual([]);
      expect(c.error).toEqual({ offset: 0, message: "not a capture file: bad magic 0xdeadbeef at byte 0" });
    });

    it("file header cut off", () => {
      const c = readCapture(full.subarray(0, 20));
      expect(c.packets).toEqual([]);
      expect(c.error).toEqual({ offset: 0, message: "truncated file header at byte 0: need 24 bytes, 20 present" });
    });

    it("header only is a valid empty capture", () => {
      const c = readCapture(full.subarray(0, 24));
      expect(c.error).toBeNull();
      expect(c.packets).toEqual([]);
      expect(c.linktype).toBe(1);
    });

    it("record header cut off", () => {
      const c = readCapture(full.subarray(0, r2 + 10));
      expect(c.packets.length).toBe(1);
      expect(hex(c.packets[0].data)).toBe(hex(f1));
      expect(c.error).toEqual({ offset: r2, message: `truncated packet record header at byte ${r2}: need 16 bytes, 10 remain` });
    });

    it("record data cut off, at several places", () => {
      for (const cut of [r2 + 16, r2 + 17, r2 + 16 + f2.length - 1]) {
        const c = readCapture(full.subarray(0, cut));
        expect(c.packets.length).toBe(1);
        expect(c.error).toEqual({
          offset: r2,
          message: `truncated packet record at byte ${r2}: header says ${f2.length} bytes, ${cut - r2 - 16} remain`,
        });
      }
      const c = readCapture(full.subarray(0, full.length - 1));
      expect(c.packets.length).toBe(2);
      expect(c.packets.map((p) => p.tsNs)).toEqual([1_000_000_000n, 2_000_000_000n]);
      expect(c.error!.offset).toBe(r3);
      expect(c.error!.message).toBe(`truncated packet record at byte ${r3}: header says ${f3.length} bytes, ${f3.length - 1} remain`);
    });

    it("record length above 256 KiB is corrupt", () => {
      const bad = full.slice();
      new DataView(bad.buffer).setUint32(r2 + 8, MAX_RECORD_LEN + 1, true);
      const c = readCapture(bad);
      expect(c.packets.length).toBe(1);
      expect(c.error).toEqual({ offset: r2, message: `corrupt packet record at byte ${r2}: captured length ${MAX_RECORD_LEN + 1} exceeds ${MAX_RECORD_LEN}` });
      // exactly 256 KiB is fine
      const ok = handPcap(true, false, 1, [{ sec: 0, frac: 0, data: new Uint8Array(MAX_RECORD_LEN) }]);
      expect(readCapture(ok).error).toBeNull();
    });

    it("returned packet data does not alias the input buffer", () => {
      const buf = full.slice();
      const c = readCapture(buf);
      buf.fill(0);
      expect(hex(c.packets[0].data)).toBe(hex(f1));
    });
  });

  it("writeCaptureFile / readCaptureFile", () => {
    const dir = mkdtempSync(join(tmpdir(), "pcap-test-"));
    try {
      const path = join(dir, "x.pcap");
      writeCaptureFile(path, [{ tsNs: 1_000_000n, data: f1 }, { tsNs: 2_000_000n, data: f3 }]);
      const cap = readCaptureFile(path);
      expect(cap.error).toBeNull();
      expect(cap.packets.map((p) => hex(p.data))).toEqual([hex(f1), hex(f3)]);
      expect(cap.packets.map((p) => p.tsNs)).toEqual([1_000_000n, 2_000_000n]);
      writeCaptureFile(path, [{ tsNs: 0n, data: rawIp(f1) }], 101);
      expect(readFileSync(path).readUInt32LE(20)).toBe(101);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- pcapng

/** Generic pcapng block: type, length, body padded to 4, length. */
function block(b: Bytes, le: boolean, type: number, body: Uint8Array) {
  const padded = (body.length + 3) & ~3;
  b.u32(type).u32(12 + padded).raw(body);
  for (let i = body.length; i < padded; i++) b.u8(0);
  b.u32(12 + padded);
}
function body(le: boolean, f: (b: Bytes) => void): Uint8Array {
  const b = new Bytes(le);
  f(b);
  return b.bytes();
}
const shb = (le: boolean) => body(le, (b) => b.u32(0x1a2b3c4d).u16(1).u16(0).u32(0xffffffff).u32(0xffffffff));
const idb = (le: boolean, linktype: number, tsresol?: number, snaplen = 0, tsoffset?: number) =>
  body(le, (b) => {
    b.u16(linktype).u16(0).u32(snaplen);
    b.u16(2).u16(4).raw([0x65, 0x74, 0x68, 0x30]); // if_name "eth0", exercises option skipping
    if (tsresol !== undefined) b.u16(9).u16(1).u8(tsresol).pad4();
    if (tsoffset !== undefined) b.u16(14).u16(8).u32(0).u32(tsoffset); // int64 seconds; high half first, so only used with le=false
    b.u16(0).u16(0);
  });
const epb = (le: boolean, ifId: number, ts: bigint, data: Uint8Array, orig = data.length) =>
  body(le, (b) => {
    b.u32(ifId).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(orig).raw(data).pad4();
    b.u16(1).u16(3).raw([0x68, 0x69, 0x21]).pad4().u16(0).u16(0); // opt_comment "hi!"
  });
const spb = (le: boolean, data: Uint8Array, orig = data.length) => body(le, (b) => b.u32(orig).raw(data).pad4());
const opb = (le: boolean, ifId: number, ts: bigint, data: Uint8Array) =>
  body(le, (b) => b.u16(ifId).u16(0).u32(Number(ts >> 32n)).u32(Number(ts & 0xffffffffn)).u32(data.length).u32(data.length).raw(data).pad4());

function handPcapng(le: boolean) {
  const b = new Bytes(le);
  const offsets: number[] = [];
  const add = (type: number, bd: Uint8Array) => { offsets.push(b.length); block(b, le, type, bd); };
  add(0x0a0d0d0a, shb(le));
  add(1, idb(le, 1));                       // if 0: Ethernet, default microseconds
  add(1, idb(le, 101, 9));                  // if 1: raw IP, nanoseconds
  add(1, idb(le, 1, 0x80 | 10));            // if 2: Ethernet, 2^-10 s
  add(6, epb(le, 0, 1_700_000_000_000_001n, f1));           // us
  add(0x0bad0bad, Uint8Array.from([1, 2, 3, 4, 5]));         // unknown block, skipped
  add(4, body(le, (b) => b.u16(0).u16(0)));                  // NRB (empty), skipped
  add(6, epb(le, 1, 1_700_000_000_123_456_789n, rawIp(f2), 1000)); // ns
  add(6, epb(le, 2, 3n * 1024n + 512n, f3));                 // 3.5 s
  add(3, spb(le, f1));                                       // simple packet, interface 0
  add(2, opb(le, 0, 42n, f3));                               // obsolete packet block
  return { buf: b.bytes(), offsets };
}

describe("pcapng", () => {
  for (const le of [true, false]) {
    it(`reads a hand-written ${le ? "little" : "big"}-endian file: IDB tsresol, EPB, SPB, OPB, unknown blocks`, () => {
      const { buf } = handPcapng(le);
      const cap = readCapture(buf);
      expect(cap.error).toBeNull();
      expect(cap.format).toBe("pcapng");
      expect(cap.linktype).toBe(1);
      expect(cap.packets.map((p) => p.linktype)).toEqual([1, 101, 1, 1, 1]);
      expect(cap.packets.map((p) => p.tsNs)).toEqual([
        1_700_000_000_000_001_000n,
        1_700_000_000_123_456_789n,
        3_500_000_000n,
        0n,
        42_000n,
      ]);
      expect(cap.packets.map((p) => hex(p.data))).toEqual([hex(f1), hex(rawIp(f2)), hex(f3), hex(f1), hex(f3)]);
      expect(cap.packets.map((p) => p.origLen)).toEqual([f1.length, 1000, f3.length, f1.length, f3.length]);
    });
  }

  it("handles a second section with the other byte order and resets interfaces", () => {
    const a = handPcapng(true).buf;
    const b = new Bytes(false);
    block(b, false, 0x0a0d0d0a, shb(false));
    block(b, false, 1, idb(false, 229, 3, 0, 100)); // milliseconds, tsoffset 100 s
    block(b, false, 6, epb(false, 0, 5n, f2));
    const cap = readCapture(Uint8Array.from([...a, ...b.bytes()]));
    expect(cap.error).toBeNull();
    expect(cap.packets.length).toBe(6);
    expect(cap.packets[5].linktype).toBe(229);
    expect(cap.packets[5].tsNs).toBe(100_005_000_000n);
    // interface 1 of the first section does not exist in the second one
    const c = new Bytes(false);
    block(c, false, 0x0a0d0d0a, shb(false));
    block(c, false, 1, idb(false, 1));
    const badAt = a.length + c.length;
    block(c, false, 6, epb(false, 1, 5n, f2));
    const cap2 = readCapture(Uint8Array.from([...a, ...c.bytes()]));
    expect(cap2.packets.length).toBe(5);
    expect(cap2.error!.offset).toBe(badAt);
    expect(cap2.error!.message).toMatch(/interface 1/);
  });

  it("if_tsresol: powers of ten beyond nanoseconds", () => {
    const b = new Bytes(true);
    block(b, true, 0x0a0d0d0a, shb(true));
    block(b, true, 1, idb(true, 1, 12)); // picoseconds
    block(b, true, 6, epb(true, 0, 1_234_567_890_123n, f1));
    const cap = readCapture(b.bytes());
    expect(cap.error).toBeNull();
    expect(cap.packets[0].tsNs).toBe(1_234_567_890n);
  });

  describe("truncation and corruption", () => {
    const { buf, offsets } = handPcapng(true);
    const firstEpb = offsets[4];
    const secondEpb = offsets[7];

    it("cut inside a block header and inside a block body", () => {
      let c = readCapture(buf.subarray(0, secondEpb + 5));
      expect(c.packets.length).toBe(1);
      expect(c.error).toEqual({ offset: secondEpb, message: `truncated block at byte ${secondEpb}: need at least 12 bytes, 5 remain` });
      const len = new DataView(buf.buffer).getUint32(secondEpb + 4, true);
      c = readCapture(buf.subarray(0, secondEpb + 30));
      expect(c.packets.length).toBe(1);
      expect(c.error).toEqual({ offset: secondEpb, message: `truncated block at byte ${secondEpb}: header says ${len} bytes, 30 remain` });
      c = readCapture(buf.subarray(0, firstEpb + 20));
      expect(c.packets).toEqual([]);
      expect(c.error!.offset).toBe(firstEpb);
      c = readCapture(buf.subarray(0, 20));
      expect(c.error).toEqual({ offset: 0, message: "truncated section header block at byte 0: need 28 bytes, 20 remain" });
    });

    it("corrupt lengths", () => {
      const bad = buf.slice();
      new DataView(bad.buffer).setUint32(secondEpb + 4, 13, true); // not a multiple of 4
      let c = readCapture(bad);
      expect(c.packets.length).toBe(1);
      expect(c.error!.offset).toBe(secondEpb);
      expect(c.error!.message).toMatch(/not a multiple of 4/);

      const bad2 = buf.slice();
      new DataView(bad2.buffer).setUint32(secondEpb + 4, 0x10000000, true);
      c = readCapture(bad2);
      expect(c.error!.offset).toBe(secondEpb);
      expect(c.error!.message).toMatch(/exceeds/);

      const bad3 = buf.slice();
      const len = new DataView(bad3.buffer).getUint32(secondEpb + 4, true);
      new DataView(bad3.buffer).setUint32(secondEpb + len - 4, len + 4, true); // trailer mismatch
      c = readCapture(bad3);
      expect(c.error!.offset).toBe(secondEpb);
      expect(c.error!.message).toMatch(/trailing length/);

      const bad4 = buf.slice();
      new DataView(bad4.buffer).setUint32(secondEpb + 8 + 12, 5000, true); // EPB caplen past block end
      c = readCapture(bad4);
      expect(c.packets.length).toBe(1);
      expect(c.error!.offset).toBe(secondEpb);
      expect(c.error!.message).toMatch(/captured length 5000/);
    });

    it("bad byte-order magic in the section header", () => {
      const bad = buf.slice();
      bad[8] = 0;
      const c = readCapture(bad);
      expect(c.format).toBe("pcapng");
      expect(c.packets).toEqual([]);
      expect(c.error!.offset).toBe(8);
      expect(c.error!.message).toMatch(/byte-order magic/);
    });
  });
});

// ---------------------------------------------------------------- tcpdump (optional)

function haveTcpdump(): boolean {
  try {
    execFileSync("tcpdump", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
}
const tcpdumpPresent = haveTcpdump();
if (!tcpdumpPresent) console.warn("tcpdump not found: skipping the tcpdump interoperability test");

describe("tcpdump interoperability", () => {
  it.skipIf(!tcpdumpPresent)("tcpdump reads PcapWriter output and finds the checksums correct", () => {
    const dir = mkdtempSync(join(tmpdir(), "pcap-tcpdump-"));
    try {
      const payload = Uint8Array.from("GET / HTTP/1.0\r\n\r\n", (c) => c.charCodeAt(0));
      const frames = [
        tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", sport: 40000, dport: 80, flags: "PA", seq: 1, ack: 1, payload }),
        udpPacket({ src: "10.0.0.1", dst: "10.0.0.53", sport: 5000, dport: 9999, payload: Uint8Array.from([1, 2, 3]) }),
        icmpPacket({ src: "10.0.0.1", dst: "10.0.0.2", type: 8, code: 0, id: 7, seq: 3 }),
        tcpPacket({ src: "2001:db8::1", dst: "2001:db8::2", sport: 1, dport: 22, flags: "S", vlan: 9 }),
        icmpPacket({ src: "2001:db8::1", dst: "2001:db8::2", type: 128, code: 0, id: 7, seq: 3 }),
      ];
      for (const nanos of [false, true]) {
        const path = join(dir, `t${nanos}.pcap`);
        const w = new PcapWriter(1, { nanos });
        frames.forEach((f, i) => w.add(1_700_000_000_000_000_000n + BigInt(i) * 1_000_123n, f));
        writeFileSync(path, w.toBuffer());
        const out = execFileSync("tcpdump", ["-nn", "-vv", "-e", "-r", path], { stdio: ["ignore", "pipe", "pipe"] }).toString();
        const lines = out.split("\n").filter((l) => /^\d\d:\d\d/.test(l));
        expect(lines.length).toBe(frames.length);
        expect(out).toMatch(/10\.0\.0\.1\.40000 > 10\.0\.0\.2\.80: Flags \[P\.\], cksum 0x[0-9a-f]+ \(correct\)/);
        expect(out).toMatch(/ICMP echo request, id 7, seq 3/);
        expect(out).toMatch(/vlan 9/);
        expect(out).toMatch(/2001:db8::1\.1 > 2001:db8::2\.22: Flags \[S\], cksum 0x[0-9a-f]+ \(correct\)/);
        expect(out).toMatch(/ICMP6, echo request/);
        expect(out).not.toMatch(/incorrect|bad cksum|wrong/i);
      }
      // raw-IP linktype too
      const rawPath = join(dir, "raw.pcap");
      writeCaptureFile(rawPath, [{ tsNs: 0n, data: rawIp(frames[0]) }], 101);
      const raw = execFileSync("tcpdump", ["-nn", "-r", rawPath], { stdio: ["ignore", "pipe", "pipe"] }).toString();
      expect(raw).toMatch(/IP 10\.0\.0\.1\.40000 > 10\.0\.0\.2\.80/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------- robustness


// Seeded (issue 12 item 22): PORTCULLIS_SEED replays another run; fast-check
// prints the seed and the shrunk counterexample of a failure.
const CORRUPTION_SEED = Number(process.env.PORTCULLIS_SEED ?? 20261129);
console.log(`pcap corruption property: seed ${CORRUPTION_SEED}`);

describe("readCapture never throws", () => {
  const w = new PcapWriter();
  [f1, f2, f3].forEach((f, i) => w.add(BigInt(i) * 1000n, f));
  const pcap = w.toBuffer();
  const pcapng = handPcapng(true).buf;

  const pcapBounds = [24, 24 + 16 + f1.length, 24 + 32 + f1.length + f2.length];
  const ngBounds = handPcapng(true).offsets.slice(1); // a file cut at any block boundary is complete

  for (const [name, file, bounds] of [["pcap", pcap, pcapBounds], ["pcapng", pcapng, ngBounds]] as const) {
    const good = readCapture(file).packets;

    it(`${name}: any truncation yields a prefix of the packets, and an error unless cut at a boundary`, () => {
      for (let cut = 0; cut < file.length; cut++) {
        const c = readCapture(file.subarray(0, cut));
        expect(c.packets.length).toBeLessThan(good.length);
        c.packets.forEach((p, i) => expect(hex(p.data)).toBe(hex(good[i].data)));
        if (bounds.includes(cut)) {
          expect(c.error, `cut ${cut}`).toBeNull();
        } else {
          expect(c.error, `cut ${cut}`).not.toBeNull();
          expect(c.error!.offset).toBeLessThanOrEqual(cut);
          // the error points at the start of the record/block the cut falls into
          expect(c.error!.offset).toBe(cut < bounds[0] ? 0 : Math.max(...bounds.filter((b) => b < cut)));
        }
      }
    });

    it(`${name}: random byte corruption never throws`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(file.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (edits) => {
          const bad = file.slice();
          for (const [i, v] of edits) bad[i] = v;
          const c = readCapture(bad);
          expect(Array.isArray(c.packets)).toBe(true);
          if (c.error) expect(c.error.offset).toBeGreaterThanOrEqual(0);
          if (c.error) expect(c.error.offset).toBeLessThan(bad.length);
        }),
        { numRuns: 500, seed: CORRUPTION_SEED },
      );
    });
  }
});
