// Regenerates test/corpus/malformed/*.bin + manifest.json and
// test/corpus/wellformed/*.bin + manifest.json with the packet builder.
//
//   node --import tsx test/corpus/make-malformed.ts
//
// Each .bin file holds the raw bytes of ONE Ethernet frame (no FCS).
// malformed/manifest.json:  { "file.bin": "drop-reason", ... }
// wellformed/manifest.json: { "file.bin": { family: 4|6, proto, src, dst, sport?, dport?,
//                              tcpFlags? (flags byte, e.g. 18 = SYN+ACK), icmpType?, icmpCode?,
//                              frag: "none"|"first"|"later" }, ... }
// Every malformed frame is built so that exactly one thing is wrong: all the
// checks that come before its defect pass (lengths consistent, etc).

import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  ethernet, ipv4, ipv6, tcp, udp, icmp, icmp6, tcpPacket, udpPacket, icmpPacket, fragmentIpv4,
  tcpFlagBits, concat, ETHERTYPE_IPV4, ETHERTYPE_IPV6, ETHERTYPE_ARP,
  PROTO_TCP, PROTO_UDP, PROTO_ICMP, PROTO_ICMPV6, type Ipv6Extension,
} from "../../host/packet/build.ts";

export type DropReason =
  | "truncated-ethernet" | "not-ip" | "truncated-ipv4" | "bad-version" | "bad-ihl" | "bad-total-length"
  | "truncated-ipv6" | "bad-payload-length" | "bad-extension-header" | "tiny-fragment"
  | "fragment-overlap" | "truncated-l4" | "bad-tcp-offset";

export interface ExpectedParse {
  family: 4 | 6;
  proto: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  tcpFlags?: number;
  icmpType?: number;
  icmpCode?: number;
  frag: "none" | "first" | "later";
}

const A4 = "192.0.2.10", B4 = "198.51.100.20";
const A6 = "2001:db8::10", B6 = "2001:db8:1::20";
const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

const seg4 = (o: Partial<Parameters<typeof tcp>[0]> = {}) =>
  tcp({ sport: 40000, dport: 80, flags: "S", seq: 1000, ...o }, { src: A4, dst: B4 });
const seg6 = (o: Partial<Parameters<typeof tcp>[0]> = {}) =>
  tcp({ sport: 40000, dport: 443, flags: "S", seq: 1000, ...o }, { src: A6, dst: B6 });
const ip4 = (payload: Uint8Array, proto: number, o: Partial<Parameters<typeof ipv4>[1]> = {}) =>
  ipv4(payload, { src: A4, dst: B4, proto, id: 0x1234, ...o });
const ip6 = (payload: Uint8Array, nextHeader: number, o: Partial<Parameters<typeof ipv6>[1]> = {}) =>
  ipv6(payload, { src: A6, dst: B6, nextHeader, ...o });
const eth = (payload: Uint8Array, ethertype?: number, vlan?: number) => ethernet(payload, { ethertype, vlan });

function arp(): Uint8Array {
  // ARP request who-has 192.0.2.1 tell 192.0.2.10
  return Uint8Array.from([0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 192, 0, 2, 10, 0, 0, 0, 0, 0, 0, 192, 0, 2, 1]);
}

/** Raw bytes of an extension header of the given type claiming `totalLen` bytes (multiple of 8). */
function extRaw(next: number, totalLen: number): Uint8Array {
  const h = new Uint8Array(totalLen);
  h[0] = next;
  h[1] = totalLen / 8 - 1;
  h[2] = 1; // PadN covering the rest
  h[3] = totalLen - 4;
  return h;
}

export function malformed(): [string, DropReason, Uint8Array][] {
  const ok4 = tcpPacket({ src: A4, dst: B4, sport: 40000, dport: 80, flags: "S" });
  const vlanOk6 = tcpPacket({ src: A6, dst: B6, sport: 40000, dport: 443, flags: "S", vlan: 10 });
  const tcpWithData4 = seg4({ flags: "PA", payload: bytes(40) });
  const tcpWithData6 = seg6({ flags: "PA", payload: bytes(40) });
  const frag6 = (fragOffset: number, mf: boolean, id = 7): Ipv6Extension => ({ type: 44, fragOffset, mf, id });
  const nine: Ipv6Extension[] = [{ type: 0 }, ...Array.from({ length: 8 }, () => ({ type: 60 }))];

  return [
    // --- layer 2
    ["eth-10-bytes.bin", "truncated-ethernet", ok4.slice(0, 10)],
    ["eth-13-bytes.bin", "truncated-ethernet", ok4.slice(0, 13)],
    ["eth-vlan-tag-cut-16-bytes.bin", "truncated-ethernet", vlanOk6.slice(0, 16)],
    ["eth-vlan-tag-cut-15-bytes.bin", "truncated-ethernet", vlanOk6.slice(0, 15)],
    ["arp-request.bin", "not-ip", eth(arp(), ETHERTYPE_ARP)],
    ["vlan-arp-request.bin", "not-ip", eth(arp(), ETHERTYPE_ARP, 20)],
    ["ethertype-ipx-8137.bin", "not-ip", eth(bytes(30), 0x8137)],

    // --- IPv4 header
    ["ipv4-empty.bin", "truncated-ipv4", eth(new Uint8Array(0), ETHERTYPE_IPV4)],
    ["ipv4-header-12-bytes.bin", "truncated-ipv4", eth(ip4(new Uint8Array(0), PROTO_TCP).slice(0, 12), ETHERTYPE_IPV4)],
    ["vlan-ipv4-header-19-bytes.bin", "truncated-ipv4", eth(ip4(new Uint8Array(0), PROTO_TCP).slice(0, 19), ETHERTYPE_IPV4, 30)],

    ["ipv4-ethertype-version-6.bin", "bad-version", eth(ip4(seg4(), PROTO_TCP, { version: 6 }), ETHERTYPE_IPV4)],
    ["ipv4-ethertype-version-5.bin", "bad-version", eth(ip4(seg4(), PROTO_TCP, { version: 5 }), ETHERTYPE_IPV4)],
    ["ipv6-ethertype-carrying-ipv4.bin", "bad-version", eth(ip4(seg4(), PROTO_TCP), ETHERTYPE_IPV6)],
    ["vlan-ipv6-ethertype-version-5.bin", "bad-version",
      (() => { const f = vlanOk6.slice(); f[18] = (5 << 4) | (f[18] & 0x0f); return f; })()],

    ["ipv4-ihl-4.bin", "bad-ihl", eth(ip4(seg4(), PROTO_TCP, { ihl: 4 }))],
    ["ipv4-ihl-0.bin", "bad-ihl", eth(ip4(seg4(), PROTO_TCP, { ihl: 0 }))],
    ["ipv4-ihl-15-beyond-packet.bin", "bad-ihl", eth(ip4(udp({ sport: 1, dport: 2 }, { src: A4, dst: B4 }), PROTO_UDP, { ihl: 15 }))],
    ["vlan-ipv4-ihl-3.bin", "bad-ihl", eth(ip4(seg4(), PROTO_TCP, { ihl: 3 }), undefined, 40)],

    ["ipv4-total-length-10.bin", "bad-total-length", eth(ip4(seg4(), PROTO_TCP, { totalLength: 10 }))],
    ["ipv4-total-length-below-ihl-with-options.bin", "bad-total-length",
      eth(ip4(seg4(), PROTO_TCP, { options: Uint8Array.from([0x94, 4, 0, 0]), totalLength: 22 }))],
    ["ipv4-total-length-beyond-frame.bin", "bad-total-length", eth(ip4(seg4(), PROTO_TCP, { totalLength: 1000 }))],
    ["vlan-ipv4-total-length-off-by-one.bin", "bad-total-length", eth(ip4(seg4(), PROTO_TCP, { totalLength: 41 }), undefined, 50)],

    // --- IPv6 header
    ["ipv6-empty.bin", "truncated-ipv6", eth(new Uint8Array(0), ETHERTYPE_IPV6)],
    ["ipv6-header-30-bytes.bin", "truncated-ipv6", eth(ip6(new Uint8Array(0), 59).slice(0, 30), ETHERTYPE_IPV6)],
    ["vlan-ipv6-header-39-bytes.bin", "truncated-ipv6", eth(ip6(new Uint8Array(0), 59).slice(0, 39), ETHERTYPE_IPV6, 60)],

    ["ipv6-payload-length-1000.bin", "bad-payload-length", eth(ip6(seg6(), PROTO_TCP, { payloadLength: 1000 }))],
    ["ipv6-payload-length-off-by-one.bin", "bad-payload-length", eth(ip6(seg6(), PROTO_TCP, { payloadLength: 21 }))],
    ["vlan-ipv6-payload-length-65535.bin", "bad-payload-length", eth(ip6(seg6(), PROTO_TCP, { payloadLength: 65535 }), undefined, 70)],

    ["ipv6-hop-by-hop-cut-off.bin", "bad-extension-header", eth(ip6(extRaw(PROTO_TCP, 16).slice(0, 8), 0))],
    ["ipv6-dest-opts-4-of-8-bytes.bin", "bad-extension-header", eth(ip6(extRaw(PROTO_TCP, 8).slice(0, 4), 60))],
    ["ipv6-fragment-header-cut-off.bin", "bad-extension-header",
      eth(ip6(Uint8Array.from([PROTO_TCP, 0, 0, 1]), 44))],
    ["ipv6-routing-after-hop-by-hop-cut-off.bin", "bad-extension-header",
      eth(ip6(concat(extRaw(43, 8), Uint8Array.from([PROTO_TCP, 2, 0, 0, 0, 0, 0, 0])), 0))],
    ["ipv6-nine-extension-headers.bin", "bad-extension-header", eth(ip6(seg6(), PROTO_TCP, { extensions: nine }))],
    ["vlan-ipv6-nine-extension-headers.bin", "bad-extension-header",
      eth(ip6(udp({ sport: 53, dport: 53 }, { src: A6, dst: B6 }), PROTO_UDP, { extensions: nine }), undefined, 80)],

    // --- fragments (RFC 1858)
    ["ipv4-tiny-tcp-first-fragment-8.bin", "tiny-fragment",
      fragmentIpv4(eth(ip4(tcpWithData4, PROTO_TCP)), 8)[0]],
    ["ipv4-tiny-tcp-first-fragment-13.bin", "tiny-fragment", eth(ip4(tcpWithData4.slice(0, 13), PROTO_TCP, { mf: true }))],
    ["ipv4-tiny-udp-first-fragment-4.bin", "tiny-fragment",
      eth(ip4(udp({ sport: 53, dport: 53, payload: bytes(20) }, { src: A4, dst: B4 }).slice(0, 4), PROTO_UDP, { mf: true }))],
    ["ipv4-tiny-icmp-first-fragment-2.bin", "tiny-fragment",
      eth(ip4(icmp({ type: 8, code: 0, payload: bytes(20) }).slice(0, 2), PROTO_ICMP, { mf: true }))],
    ["vlan-ipv4-tiny-tcp-first-fragment-8.bin", "tiny-fragment",
      fragmentIpv4(eth(ip4(tcpWithData4, PROTO_TCP), undefined, 90), 8)[0]],
    ["ipv6-tiny-tcp-first-fragment-8.bin", "tiny-fragment",
      eth(ip6(tcpWithData6.slice(0, 8), PROTO_TCP, { extensions: [frag6(0, true)] }))],
    ["ipv6-tiny-udp-first-fragment-4.bin", "tiny-fragment",
      eth(ip6(udp({ sport: 53, dport: 53, payload: bytes(20) }, { src: A6, dst: B6 }).slice(0, 4), PROTO_UDP, { extensions: [frag6(0, true)] }))],
    ["ipv6-tiny-icmpv6-first-fragment-2.bin", "tiny-fragment",
      eth(ip6(icmp6({ type: 128, code: 0, payload: bytes(20) }, { src: A6, dst: B6 }).slice(0, 2), PROTO_ICMPV6, { extensions: [frag6(0, true)] }))],

    ["ipv4-tcp-fragment-offset-1.bin", "fragment-overlap", eth(ip4(bytes(16), PROTO_TCP, { fragOffset: 1, mf: false }))],
    ["ipv4-tcp-fragment-offset-1-mf.bin", "fragment-overlap", eth(ip4(bytes(16), PROTO_TCP, { fragOffset: 1, mf: true }))],
    ["vlan-ipv4-tcp-fragment-offset-1.bin", "fragment-overlap", eth(ip4(bytes(8), PROTO_TCP, { fragOffset: 1 }), undefined, 100)],
    ["ipv6-tcp-fragment-offset-1.bin", "fragment-overlap", eth(ip6(bytes(16), PROTO_TCP, { extensions: [frag6(1, false)] }))],

    // --- layer 4
    ["ipv4-tcp-0-bytes.bin", "truncated-l4", eth(ip4(new Uint8Array(0), PROTO_TCP))],
    ["ipv4-tcp-10-bytes.bin", "truncated-l4", eth(ip4(seg4().slice(0, 10), PROTO_TCP))],
    ["ipv4-tcp-19-bytes.bin", "truncated-l4", eth(ip4(seg4().slice(0, 19), PROTO_TCP))],
    ["ipv4-udp-4-bytes.bin", "truncated-l4", eth(ip4(udp({ sport: 53, dport: 53 }, { src: A4, dst: B4 }).slice(0, 4), PROTO_UDP))],
    ["ipv4-icmp-4-bytes.bin", "truncated-l4", eth(ip4(icmp({ type: 8, code: 0 }).slice(0, 4), PROTO_ICMP))],
    ["vlan-ipv4-tcp-12-bytes.bin", "truncated-l4", eth(ip4(seg4().slice(0, 12), PROTO_TCP), undefined, 110)],
    ["ipv6-tcp-12-bytes.bin", "truncated-l4", eth(ip6(seg6().slice(0, 12), PROTO_TCP))],
    ["ipv6-udp-7-bytes.bin", "truncated-l4", eth(ip6(udp({ sport: 53, dport: 53 }, { src: A6, dst: B6 }).slice(0, 7), PROTO_UDP))],
    ["ipv6-icmpv6-4-bytes.bin", "truncated-l4",
      eth(ip6(icmp6({ type: 128, code: 0 }, { src: A6, dst: B6 }).slice(0, 4), PROTO_ICMPV6))],
    ["ipv6-hop-by-hop-then-tcp-10-bytes.bin", "truncated-l4",
      eth(ip6(seg6().slice(0, 10), PROTO_TCP, { extensions: [{ type: 0 }] }))],

    ["ipv4-tcp-data-offset-4.bin", "bad-tcp-offset", eth(ip4(seg4({ dataOffset: 4 }), PROTO_TCP))],
    ["ipv4-tcp-data-offset-0.bin", "bad-tcp-offset", eth(ip4(seg4({ dataOffset: 0 }), PROTO_TCP))],
    ["ipv4-tcp-data-offset-15-beyond-segment.bin", "bad-tcp-offset",
      eth(ip4(seg4({ dataOffset: 15, payload: bytes(10) }), PROTO_TCP))],
    ["vlan-ipv4-tcp-data-offset-6-beyond-segment.bin", "bad-tcp-offset", eth(ip4(seg4({ dataOffset: 6 }), PROTO_TCP), undefined, 120)],
    ["ipv6-tcp-data-offset-4.bin", "bad-tcp-offset", eth(ip6(seg6({ dataOffset: 4 }), PROTO_TCP))],
    ["ipv6-tcp-data-offset-8-beyond-segment.bin", "bad-tcp-offset", eth(ip6(seg6({ dataOffset: 8 }), PROTO_TCP))],
  ];
}

export function wellformed(): [string, ExpectedParse, Uint8Array][] {
  const out: [string, ExpectedParse, Uint8Array][] = [];

  // IPv4 with options (router alert + NOP + EOL), TCP SYN
  out.push(["ipv4-options-tcp-syn.bin",
    { family: 4, proto: PROTO_TCP, src: A4, dst: B4, sport: 40000, dport: 80, tcpFlags: tcpFlagBits("S"), frag: "none" },
    eth(ip4(seg4({ options: Uint8Array.from([2, 4, 5, 0xb4]) }), PROTO_TCP, { options: Uint8Array.from([0x94, 4, 0, 0, 1, 0]) }))]);

  // IPv6: hop-by-hop + destination options + fragment header, first fragment holding the full TCP header
  const full6 = seg6({ sport: 50000, dport: 22, flags: "PA", seq: 5, ack: 6, payload: bytes(40) });
  out.push(["ipv6-hbh-destopts-fragment-first-tcp.bin",
    { family: 6, proto: PROTO_TCP, src: A6, dst: B6, sport: 50000, dport: 22, tcpFlags: tcpFlagBits("PA"), frag: "first" },
    eth(ip6(full6.slice(0, 32), PROTO_TCP, { extensions: [{ type: 0 }, { type: 60 }, { type: 44, fragOffset: 0, mf: true, id: 99 }] }))]);

  // IPv6 later fragment (UDP)
  out.push(["ipv6-fragment-later-udp.bin",
    { family: 6, proto: PROTO_UDP, src: A6, dst: B6, frag: "later" },
    eth(ip6(bytes(16), PROTO_UDP, { extensions: [{ type: 44, fragOffset: 3, mf: false, id: 99 }] }))]);

  // VLAN-tagged TCP with data
  out.push(["vlan-ipv4-tcp-push-ack.bin",
    { family: 4, proto: PROTO_TCP, src: A4, dst: B4, sport: 443, dport: 51000, tcpFlags: tcpFlagBits("PA"), frag: "none" },
    tcpPacket({ src: A4, dst: B4, sport: 443, dport: 51000, flags: "PA", seq: 1, ack: 2, payload: bytes(100), vlan: 100 })]);
  out.push(["vlan-ipv6-tcp-syn-ack.bin",
    { family: 6, proto: PROTO_TCP, src: A6, dst: B6, sport: 22, dport: 50000, tcpFlags: tcpFlagBits("SA"), frag: "none" },
    tcpPacket({ src: A6, dst: B6, sport: 22, dport: 50000, flags: "SA", vlan: 4094 })]);

  // ICMP / ICMPv6 echo
  out.push(["ipv4-icmp-echo-request.bin",
    { family: 4, proto: PROTO_ICMP, src: A4, dst: B4, icmpType: 8, icmpCode: 0, frag: "none" },
    icmpPacket({ src: A4, dst: B4, type: 8, code: 0, id: 0x55, seq: 1, payload: bytes(32) })]);
  out.push(["ipv6-icmpv6-echo-request.bin",
    { family: 6, proto: PROTO_ICMPV6, src: A6, dst: B6, icmpType: 128, icmpCode: 0, frag: "none" },
    icmpPacket({ src: A6, dst: B6, type: 128, code: 0, id: 0x55, seq: 1, payload: bytes(32) })]);

  // IPv4 TCP fragmented: first fragment (full 20-byte TCP header) and a later one
  const big = eth(ip4(seg4({ sport: 40001, dport: 8080, flags: "PA", payload: bytes(60) }), PROTO_TCP, { id: 0x4242 }));
  const frags = fragmentIpv4(big, 24);
  out.push(["ipv4-tcp-first-fragment.bin",
    { family: 4, proto: PROTO_TCP, src: A4, dst: B4, sport: 40001, dport: 8080, tcpFlags: tcpFlagBits("PA"), frag: "first" },
    frags[0]]);
  out.push(["ipv4-tcp-later-fragment.bin",
    { family: 4, proto: PROTO_TCP, src: A4, dst: B4, frag: "later" }, frags[1]]);

  // UDP, and a short TCP RST with Ethernet padding to the 60-byte minimum
  out.push(["ipv4-udp-dns.bin",
    { family: 4, proto: PROTO_UDP, src: A4, dst: B4, sport: 5353, dport: 53, frag: "none" },
    udpPacket({ src: A4, dst: B4, sport: 5353, dport: 53, payload: bytes(29) })]);
  const rst = tcpPacket({ src: A4, dst: B4, sport: 80, dport: 40000, flags: "R", seq: 77 });
  out.push(["ipv4-tcp-rst-ethernet-padding.bin",
    { family: 4, proto: PROTO_TCP, src: A4, dst: B4, sport: 80, dport: 40000, tcpFlags: tcpFlagBits("R"), frag: "none" },
    concat(rst, new Uint8Array(60 - rst.length))]);
  return out;
}

function writeDir(dir: string, entries: [string, unknown, Uint8Array][]): void {
  mkdirSync(dir, { recursive: true });
  const names = new Set(entries.map((e) => e[0]));
  if (names.size !== entries.length) throw new Error(`duplicate file names in ${dir}`);
  for (const f of readdirSync(dir)) if (f.endsWith(".bin") && !names.has(f)) unlinkSync(join(dir, f));
  const manifest: Record<string, unknown> = {};
  for (const [name, expect, data] of entries) {
    writeFileSync(join(dir, name), data);
    manifest[name] = expect;
  }
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest, null, 2) + "\n");
}

const here = dirname(fileURLToPath(import.meta.url));
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeDir(join(here, "malformed"), malformed());
  writeDir(join(here, "wellformed"), wellformed());
  console.log(`wrote ${malformed().length} malformed and ${wellformed().length} wellformed frames under ${here}`);
}
