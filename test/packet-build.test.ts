import { describe, expect, it } from "vitest";
import {
  ethernet, ipv4, ipv6, tcp, udp, icmp, icmp6, tcpPacket, udpPacket, icmpPacket,
  fragmentIpv4, rawIp, parseIPv4, parseIPv6, parseIp, formatIp, parseMac, internetChecksum,
  tcpFlagBits, l3Offset, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_VLAN, PROTO_TCP, PROTO_UDP,
  PROTO_ICMP, PROTO_ICMPV6,
} from "../host/packet/build.ts";

// ---- independent reference implementation (word-at-a-time, as in RFC 1071) ----
function refSum(bytes: number[]): number {
  const b = bytes.length % 2 ? [...bytes, 0] : bytes;
  let s = 0;
  for (let i = 0; i < b.length; i += 2) s += b[i] * 256 + b[i + 1];
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}
/** True iff the ones'-complement sum over the data (checksum field included) is 0xffff. */
function verifies(...parts: Uint8Array[]): boolean {
  return refSum(parts.flatMap((p) => Array.from(p))) === 0xffff;
}
const u16 = (b: Uint8Array, o: number) => b[o] * 256 + b[o + 1];
function pseudo4(src: string, dst: string, proto: number, len: number): Uint8Array {
  return Uint8Array.from([...parseIPv4(src), ...parseIPv4(dst), 0, proto, len >> 8, len & 0xff]);
}
function pseudo6(src: string, dst: string, proto: number, len: number): Uint8Array {
  return Uint8Array.from([...parseIPv6(src), ...parseIPv6(dst), 0, 0, len >> 8, len & 0xff, 0, 0, 0, proto]);
}
const bytes = (...xs: number[]) => Uint8Array.from(xs);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("address parsing", () => {
  it("parses IPv4", () => {
    expect(Array.from(parseIPv4("192.168.0.199"))).toEqual([192, 168, 0, 199]);
    expect(() => parseIPv4("256.1.1.1")).toThrow();
    expect(() => parseIPv4("1.2.3")).toThrow();
  });

  it("parses IPv6 forms", () => {
    expect(hex(parseIPv6("::"))).toBe("00".repeat(16));
    expect(hex(parseIPv6("::1"))).toBe("00".repeat(15) + "01");
    expect(hex(parseIPv6("2001:db8::1"))).toBe("20010db8" + "00".repeat(11) + "01");
    expect(hex(parseIPv6("fe80::"))).toBe("fe80" + "00".repeat(14));
    expect(hex(parseIPv6("2001:db8:0:0:1:0:0:1"))).toBe("20010db8000000000001000000000001");
    expect(hex(parseIPv6("1:2:3:4:5:6:7:8"))).toBe("00010002000300040005000600070008");
    expect(hex(parseIPv6("::ffff:10.0.0.1"))).toBe("00".repeat(10) + "ffff0a000001");
    expect(hex(parseIPv6("2001:DB8::abcd:12"))).toBe("20010db8" + "00".repeat(8) + "abcd0012");
    expect(() => parseIPv6("1::2::3")).toThrow();
    expect(() => parseIPv6("12345::")).toThrow();
    expect(() => parseIPv6("10.0.0.1")).toThrow();
  });

  it("formats IPv6 canonically (checked against WHATWG URL serialisation)", () => {
    for (const a of ["::", "::1", "2001:db8::1", "2001:db8:0:0:1:0:0:1", "fe80::", "1:0:0:2:0:0:0:3",
      "2001:db8:0:1:1:1:1:1", "1:2:3:4:5:6:7:8", "0:0:1::"]) {
      const viaUrl = new URL(`http://[${a}]/`).hostname.slice(1, -1);
      expect(formatIp(parseIPv6(a))).toBe(viaUrl);
    }
    expect(formatIp(parseIPv4("10.1.2.3"))).toBe("10.1.2.3");
    expect(parseIp("::1").family).toBe(6);
    expect(parseIp("1.2.3.4").family).toBe(4);
    expect(() => parseIp("example.com")).toThrow();
  });

  it("drops an IPv6 zone id, refuses one on IPv4, and formats only 4 or 16 bytes", () => {
    expect(formatIp(parseIPv6("fe80::%eth0"))).toBe("fe80::");
    expect(parseIp("fe80::1%eth0")).toEqual({ family: 6, bytes: parseIPv6("fe80::1") });
    expect(() => parseIp("10.0.0.1%eth0")).toThrow(/not an IP address/);
    expect(() => parseIPv6("1::2::3")).toThrow(/not an IPv6 address/);
    expect(() => formatIp(new Uint8Array(5))).toThrow(/4 or 16 bytes/);
    expect(formatIp(parseIPv6("::ffff:1.2.3.4"))).toBe("::ffff:102:304");
  });

  it("parses MACs", () => {
    expect(hex(parseMac("02:00:00:00:00:01"))).toBe("020000000001");
    expect(hex(parseMac("AA-bb-cc-dd-ee-ff"))).toBe("aabbccddeeff");
    expect(() => parseMac("02:00:00:00:00")).toThrow();
  });
});

describe("checksums", () => {
  it("internetChecksum matches the RFC 1071 reference, including odd lengths and split chunks", () => {
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) & 0xff;
    for (const n of [0, 1, 2, 3, 19, 20, 57, 1500]) {
      const data = Uint8Array.from({ length: n }, rnd);
      expect(internetChecksum(data)).toBe(~refSum(Array.from(data)) & 0xffff);
      const cut = Math.floor(n / 3) | 1; // odd split point
      if (cut < n) expect(internetChecksum(data.subarray(0, cut), data.subarray(cut))).toBe(internetChecksum(data));
    }
  });

  it("IPv4 header checksum equals a known value (the classic 0xb861 example)", () => {
    // 4500 0073 0000 4000 4011 b861 c0a8 0001 c0a8 00c7
    const p = ipv4(new Uint8Array(0x73 - 20), { src: "192.168.0.1", dst: "192.168.0.199", proto: 17, df: true, ttl: 64 });
    expect(hex(p.subarray(0, 20))).toBe("450000730000400040" + "11b861c0a80001c0a800c7");
  });

  it("known TCP SYN bytes (checksum computed by hand-written reference)", () => {
    const seg = tcp({ sport: 0x1234, dport: 80, flags: "S", seq: 1, window: 0x7210 }, { src: "10.0.0.1", dst: "10.0.0.2" });
    // header without checksum: 1234 0050 00000001 00000000 5002 7210 xxxx 0000
    // pseudo header: 0a00 0001 0a00 0002 0006 0014; ones' complement sum of all
    // non-zero words (computed separately with Python) is 0xe8b4 -> checksum 0x174b
    const words = [0x0a00, 0x0001, 0x0a00, 0x0002, 0x0006, 0x0014, 0x1234, 0x0050, 0x0001, 0x5002, 0x7210];
    let s = words.reduce((a, b) => a + b, 0);
    while (s > 0xffff) s = (s & 0xffff) + (s >> 16);
    expect(s).toBe(0xe8b4);
    expect(u16(seg, 16)).toBe(0x174b);
    expect(hex(seg)).toBe("12340050000000010000000050027210" + "174b" + "0000");
  });

  it("TCP, UDP, ICMP over IPv4 verify against the reference", () => {
    const src = "10.1.2.3", dst = "172.16.9.8";
    const payload = Uint8Array.from("hello, odd!", (c) => c.charCodeAt(0)); // 11 bytes: odd length
    const t = tcp({ sport: 40000, dport: 443, flags: "PA", seq: 0xdeadbeef, ack: 0x01020304, payload }, { src, dst });
    expect(verifies(pseudo4(src, dst, 6, t.length), t)).toBe(true);
    const u = udp({ sport: 5353, dport: 53, payload }, { src, dst });
    expect(verifies(pseudo4(src, dst, 17, u.length), u)).toBe(true);
    expect(u16(u, 4)).toBe(8 + payload.length);
    const m = icmp({ type: 8, code: 0, id: 0x42, seq: 7, payload });
    expect(verifies(m)).toBe(true);
    expect(u16(m, 4)).toBe(0x42);
    expect(u16(m, 6)).toBe(7);
  });

  it("TCP, UDP, ICMPv6 over IPv6 verify against the reference", () => {
    const src = "2001:db8::1", dst = "fe80::aa:bb";
    const payload = bytes(1, 2, 3, 4, 5);
    const t = tcp({ sport: 1, dport: 22, flags: "S", payload }, { src, dst });
    expect(verifies(pseudo6(src, dst, 6, t.length), t)).toBe(true);
    const u = udp({ sport: 546, dport: 547, payload }, { src, dst });
    expect(verifies(pseudo6(src, dst, 17, u.length), u)).toBe(true);
    const m = icmp6({ type: 128, code: 0, id: 1, seq: 2, payload }, { src, dst });
    expect(verifies(pseudo6(src, dst, 58, m.length), m)).toBe(true);
    // a wrong pseudo header must not verify (the checksum really covers it)
    expect(verifies(pseudo6(src, "fe80::aa:bc", 58, m.length), m)).toBe(false);
  });

  it("UDP checksum of zero is sent as 0xffff", () => {
    // find a payload making the computed checksum 0 by solving for the last word
    const src = "10.0.0.1", dst = "10.0.0.2";
    const base = udp({ sport: 1, dport: 2, payload: bytes(0, 0) }, { src, dst });
    const c = u16(base, 6); // checksum with filler 0000
    // adding word w to the sum changes checksum to ~(S + w); we want ~(S+w) == 0 i.e. S+w == 0xffff
    const S = (~c) & 0xffff;
    const w = (0xffff - S) & 0xffff;
    const u = udp({ sport: 1, dport: 2, payload: bytes(w >> 8, w & 0xff) }, { src, dst });
    expect(u16(u, 6)).toBe(0xffff);
    expect(verifies(pseudo4(src, dst, 17, u.length), u)).toBe(true);
  });
});

describe("layers", () => {
  it("ethernet header, default ethertype from the payload version, VLAN tag", () => {
    const ip = ipv4(new Uint8Array(4), { src: "1.1.1.1", dst: "2.2.2.2", proto: 253 });
    const f = ethernet(ip, { src: "aa:bb:cc:dd:ee:ff", dst: "11:22:33:44:55:66" });
    expect(hex(f.subarray(0, 14))).toBe("112233445566aabbccddeeff0800");
    const f6 = ethernet(ipv6(new Uint8Array(0), { src: "::1", dst: "::2", nextHeader: 59 }));
    expect(u16(f6, 12)).toBe(ETHERTYPE_IPV6);
    const fv = ethernet(ip, { vlan: 100, pcp: 5 });
    expect(fv.length).toBe(18 + ip.length);
    expect(u16(fv, 12)).toBe(ETHERTYPE_VLAN);
    expect(u16(fv, 14)).toBe((5 << 13) | 100);
    expect(u16(fv, 16)).toBe(ETHERTYPE_IPV4);
    expect(l3Offset(fv)).toEqual({ offset: 18, ethertype: ETHERTYPE_IPV4 });
    expect(hex(rawIp(fv))).toBe(hex(ip));
    expect(u16(ethernet(ip, { ethertype: 0x0806 }), 12)).toBe(0x0806);
  });

  it("ipv4 fields, options and overrides", () => {
    const opt = bytes(0x94, 0x04, 0, 0); // router alert
    const p = ipv4(bytes(9, 9, 9), { src: "10.0.0.1", dst: "10.0.0.2", proto: 17, ttl: 3, id: 0xabcd, mf: true, fragOffset: 5, options: opt });
    expect(p[0]).toBe(0x46);
    expect(u16(p, 2)).toBe(24 + 3);
    expect(u16(p, 4)).toBe(0xabcd);
    expect(u16(p, 6)).toBe(0x2000 | 5);
    expect(p[8]).toBe(3);
    expect(p[9]).toBe(17);
    expect(hex(p.subarray(20, 24))).toBe("94040000");
    expect(verifies(p.subarray(0, 24))).toBe(true);
    const q = ipv4(bytes(1), { src: "10.0.0.1", dst: "10.0.0.2", proto: 6, df: true, totalLength: 999, ihl: 3, version: 6 });
    expect(q[0]).toBe(0x63);
    expect(u16(q, 2)).toBe(999);
    expect(u16(q, 6)).toBe(0x4000);
    expect(verifies(q.subarray(0, 20))).toBe(true); // checksum still over what was emitted
    const odd = ipv4(new Uint8Array(0), { src: "10.0.0.1", dst: "10.0.0.2", proto: 6, options: bytes(1) });
    expect(odd[0] & 0xf).toBe(6); // padded to 4 bytes
  });

  it("ipv6 chains extension headers", () => {
    const payload = bytes(0xaa, 0xbb);
    const p = ipv6(payload, {
      src: "2001:db8::1", dst: "2001:db8::2", nextHeader: 17, hopLimit: 9,
      extensions: [{ type: 0 }, { type: 43 }, { type: 60, data: bytes(1, 1, 0) }, { type: 44, fragOffset: 3, mf: true, id: 0x01020304 }],
    });
    expect(p[0] >> 4).toBe(6);
    expect(p[6]).toBe(0);   // first header: hop-by-hop
    expect(p[7]).toBe(9);
    // walk the chain
    let next = p[6], off = 40;
    const seen: number[] = [];
    while (next === 0 || next === 43 || next === 60 || next === 44) {
      seen.push(next);
      const len = next === 44 ? 8 : (p[off + 1] + 1) * 8;
      if (next === 44) {
        expect(u16(p, off + 2)).toBe((3 << 3) | 1);
        expect(hex(p.subarray(off + 4, off + 8))).toBe("01020304");
      }
      next = p[off];
      off += len;
    }
    expect(seen).toEqual([0, 43, 60, 44]);
    expect(next).toBe(17);
    expect(hex(p.subarray(off))).toBe("aabb");
    expect(u16(p, 4)).toBe(p.length - 40);
    // dest-opts with data: PadN fills to 8 bytes: [nh, 0, 1,1,0, 1,1,0]
    expect(hex(p.subarray(56, 64))).toBe("2c00010100010100");
    const o = ipv6(new Uint8Array(8), { src: "::1", dst: "::2", nextHeader: 6, payloadLength: 1000 });
    expect(u16(o, 4)).toBe(1000);
    expect(o[6]).toBe(6);
  });

  it("tcp flag letters and fields", () => {
    expect(tcpFlagBits("S")).toBe(0x02);
    expect(tcpFlagBits("SA")).toBe(0x12);
    expect(tcpFlagBits("FPAU")).toBe(0x39);
    expect(tcpFlagBits("R")).toBe(0x04);
    expect(tcpFlagBits("")).toBe(0);
    expect(() => tcpFlagBits("X")).toThrow();
    const t = tcp({ sport: 1, dport: 2, flags: "SA", seq: 0xfffffffe, ack: 5, window: 1024, options: bytes(2, 4, 5, 0xb4, 1) }, { src: "1.1.1.1", dst: "2.2.2.2" });
    expect(t.length).toBe(28);
    expect(t[12] >> 4).toBe(7);
    expect(t[13]).toBe(0x12);
    expect(new DataView(t.buffer).getUint32(4)).toBe(0xfffffffe);
    expect(u16(t, 14)).toBe(1024);
    expect(tcp({ sport: 1, dport: 2, flags: "A", dataOffset: 3 })[12]).toBe(0x30);
  });
});

describe("high-level helpers", () => {
  it("tcpPacket builds a full IPv4 frame with valid checksums", () => {
    const payload = bytes(1, 2, 3);
    const f = tcpPacket({ src: "192.0.2.1", dst: "198.51.100.2", sport: 1234, dport: 80, flags: "S", seq: 100, ttl: 33, payload });
    expect(u16(f, 12)).toBe(ETHERTYPE_IPV4);
    const ip = rawIp(f);
    expect(ip[9]).toBe(PROTO_TCP);
    expect(ip[8]).toBe(33);
    expect(verifies(ip.subarray(0, 20))).toBe(true);
    const seg = ip.subarray(20);
    expect(u16(seg, 0)).toBe(1234);
    expect(u16(seg, 2)).toBe(80);
    expect(seg[13]).toBe(0x02);
    expect(verifies(pseudo4("192.0.2.1", "198.51.100.2", 6, seg.length), seg)).toBe(true);
    expect(hex(seg.subarray(20))).toBe("010203");
  });

  it("tcpPacket with IPv6 addresses and VLAN", () => {
    const f = tcpPacket({ src: "2001:db8::1", dst: "2001:db8::2", sport: 5, dport: 6, flags: "FA", vlan: 42 });
    expect(u16(f, 12)).toBe(ETHERTYPE_VLAN);
    expect(u16(f, 14) & 0xfff).toBe(42);
    expect(u16(f, 16)).toBe(ETHERTYPE_IPV6);
    const ip = rawIp(f);
    expect(ip[6]).toBe(PROTO_TCP);
    expect(verifies(pseudo6("2001:db8::1", "2001:db8::2", 6, ip.length - 40), ip.subarray(40))).toBe(true);
    expect(() => tcpPacket({ src: "10.0.0.1", dst: "::1", sport: 1, dport: 2, flags: "S" })).toThrow(/mismatch/);
  });

  it("udpPacket and icmpPacket pick the family from the addresses", () => {
    const u = rawIp(udpPacket({ src: "10.0.0.1", dst: "10.0.0.2", sport: 53, dport: 5353, payload: bytes(7) }));
    expect(u[9]).toBe(PROTO_UDP);
    expect(verifies(pseudo4("10.0.0.1", "10.0.0.2", 17, 9), u.subarray(20))).toBe(true);
    const i4 = rawIp(icmpPacket({ src: "10.0.0.1", dst: "10.0.0.2", type: 8, code: 0, id: 9, seq: 1 }));
    expect(i4[9]).toBe(PROTO_ICMP);
    expect(i4[20]).toBe(8);
    expect(verifies(i4.subarray(20))).toBe(true);
    const i6 = rawIp(icmpPacket({ src: "fe80::1", dst: "ff02::1", type: 128, code: 0, id: 9, seq: 1 }));
    expect(i6[6]).toBe(PROTO_ICMPV6);
    expect(i6[40]).toBe(128);
    expect(verifies(pseudo6("fe80::1", "ff02::1", 58, i6.length - 40), i6.subarray(40))).toBe(true);
  });
});

describe("fragmentIpv4", () => {
  const payload = Uint8Array.from({ length: 101 }, (_, i) => (i * 7 + 3) & 0xff);
  const frame = tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1000, dport: 2000, flags: "PA", payload, vlan: 7 });
  const ipPayload = rawIp(frame).subarray(20);

  it("splits into 8-byte aligned fragments that reassemble to the original payload", () => {
    const frags = fragmentIpv4(frame, 30); // rounds down to 24
    expect(frags.length).toBe(Math.ceil(ipPayload.length / 24));
    const re = new Uint8Array(ipPayload.length);
    const seen = new Set<number>();
    frags.forEach((f, i) => {
      expect(hex(f.subarray(0, 18))).toBe(hex(frame.subarray(0, 18))); // ethernet + vlan kept
      const ip = rawIp(f);
      expect(verifies(ip.subarray(0, 20))).toBe(true);
      const fw = u16(ip, 6);
      const off = (fw & 0x1fff) * 8;
      const mf = (fw & 0x2000) !== 0;
      expect(mf).toBe(i < frags.length - 1);
      const data = ip.subarray(20, u16(ip, 2));
      if (mf) expect(data.length).toBe(24);
      re.set(data, off);
      for (let k = off; k < off + data.length; k++) { expect(seen.has(k)).toBe(false); seen.add(k); }
    });
    expect(seen.size).toBe(ipPayload.length);
    expect(hex(re)).toBe(hex(ipPayload));
    // the first fragment carries the TCP ports
    expect(u16(rawIp(frags[0]), 20)).toBe(1000);
  });

  it("keeps DF/id, handles re-fragmenting a fragment, and returns small packets unchanged", () => {
    const f = tcpPacket({ src: "10.0.0.1", dst: "10.0.0.2", sport: 1, dport: 2, flags: "A", payload, id: 77 });
    const frags = fragmentIpv4(f, 64);
    expect(frags.every((x) => u16(rawIp(x), 4) === 77)).toBe(true);
    // re-fragment the first (MF=1) fragment: every piece keeps MF, offsets stay absolute
    const sub = fragmentIpv4(frags[0], 16);
    expect(sub.length).toBe(4);
    expect(sub.map((x) => u16(rawIp(x), 6))).toEqual([0x2000, 0x2002, 0x2004, 0x2006]);
    // re-fragment the last one: offsets add, only the final piece clears MF
    const last = frags[frags.length - 1];
    const lastOff = u16(rawIp(last), 6) & 0x1fff;
    const sub2 = fragmentIpv4(last, 8);
    expect(u16(rawIp(sub2[0]), 6)).toBe(0x2000 | lastOff);
    expect(u16(rawIp(sub2[sub2.length - 1]), 6) & 0x2000).toBe(0);
    const small = fragmentIpv4(f, 4000);
    expect(small.length).toBe(1);
    expect(hex(small[0])).toBe(hex(f));
    expect(() => fragmentIpv4(tcpPacket({ src: "::1", dst: "::2", sport: 1, dport: 2, flags: "S" }), 8)).toThrow(/not an IPv4/);
  });
});
