// Packet builder for tests, examples and capture generation.
//
// Plain functions returning Uint8Array. Layers are built inside-out:
//   ethernet(ipv4(tcp({...}, {src, dst}), {src, dst, proto: 6}))
// or, for the common case, one call:
//   tcpPacket({src: "10.0.0.1", dst: "10.0.0.2", sport: 1234, dport: 80, flags: "S"})
//
// All checksums (IPv4 header, TCP, UDP, ICMP, ICMPv6) are computed. Override
// fields (totalLength, ihl, version, payloadLength, dataOffset, ...) exist to
// build malformed packets on purpose; checksums are still computed over what
// is actually emitted.

import { parseIpv4, parseIpv6, formatAddress } from "../model/addr.ts";
import { walkEthernet } from "./ethernet.ts";

export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;
export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_VLAN = 0x8100;

export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
export const PROTO_ICMPV6 = 58;

// IPv6 extension header numbers.
export const EXT_HOP_BY_HOP = 0;
export const EXT_ROUTING = 43;
export const EXT_FRAGMENT = 44;
export const EXT_DEST_OPTS = 60;

// ---------------------------------------------------------------- addresses
// The text forms are the rule model's (host/model/addr.ts, words in host
// order); these adapters only turn words into wire bytes and back, and throw
// where the model answers null, as a builder for tests should.

function wordsToBytes(words: number[]): Uint8Array {
  const out = new Uint8Array(words.length * 4);
  words.forEach((w, i) => {
    out[i * 4] = w >>> 24;
    out[i * 4 + 1] = (w >>> 16) & 0xff;
    out[i * 4 + 2] = (w >>> 8) & 0xff;
    out[i * 4 + 3] = w & 0xff;
  });
  return out;
}

function bytesToWords(b: Uint8Array): number[] {
  const words: number[] = [];
  for (let i = 0; i < b.length; i += 4) words.push(((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0);
  return words;
}

/** Parse dotted-quad IPv4 text into 4 bytes. Throws on bad syntax. */
export function parseIPv4(s: string): Uint8Array {
  const w = parseIpv4(s);
  if (w === null) throw new Error(`not an IPv4 address: ${JSON.stringify(s)}`);
  return wordsToBytes([w]);
}

/** IPv6 words of `s`; a zone id (fe80::1%eth0), if any, is not part of the address. */
function ipv6Words(s: string): number[] | null {
  return parseIpv6(s.replace(/%.*$/, ""));
}

/** Parse IPv6 text (with "::" compression and optional trailing dotted IPv4) into 16 bytes. */
export function parseIPv6(s: string): Uint8Array {
  const w = ipv6Words(s);
  if (w === null) throw new Error(`not an IPv6 address: ${JSON.stringify(s)}`);
  return wordsToBytes(w);
}

/** Parse an IPv4 or IPv6 address; family decided by syntax. */
export function parseIp(s: string): { family: 4 | 6; bytes: Uint8Array } {
  const v4 = parseIpv4(s);
  if (v4 !== null) return { family: 4, bytes: wordsToBytes([v4]) };
  const v6 = ipv6Words(s);
  if (v6 !== null) return { family: 6, bytes: wordsToBytes(v6) };
  throw new Error(`not an IP address: ${JSON.stringify(s)}`);
}

/** Format 4 or 16 address bytes as text (IPv6 in RFC 5952 canonical form). */
export function formatIp(b: Uint8Array): string {
  if (b.length !== 4 && b.length !== 16) throw new Error(`address must be 4 or 16 bytes, got ${b.length}`);
  return formatAddress({ family: b.length === 4 ? 4 : 6, words: bytesToWords(b) });
}

/** Parse "aa:bb:cc:dd:ee:ff" (or with "-") into 6 bytes. */
export function parseMac(s: string): Uint8Array {
  const parts = s.split(/[:-]/);
  if (parts.length !== 6 || !parts.every((p) => /^[0-9a-fA-F]{1,2}$/.test(p))) {
    throw new Error(`not a MAC address: ${JSON.stringify(s)}`);
  }
  return Uint8Array.from(parts.map((p) => parseInt(p, 16)));
}

// ---------------------------------------------------------------- helpers

/** Concatenate byte arrays. */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}
function put32(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 24) & 0xff;
  b[off + 1] = (v >>> 16) & 0xff;
  b[off + 2] = (v >>> 8) & 0xff;
  b[off + 3] = v & 0xff;
}
function get16(b: Uint8Array, off: number): number {
  return (b[off] << 8) | b[off + 1];
}

/**
 * RFC 1071 Internet checksum (ones' complement of the ones' complement sum)
 * over the given chunks, treated as one byte stream (odd chunk boundaries are
 * handled). Returns the 16-bit value to store in the checksum field.
 */
export function internetChecksum(...chunks: Uint8Array[]): number {
  let sum = 0;
  let odd = false; // is a high byte pending?
  for (const c of chunks) {
    for (let i = 0; i < c.length; i++) {
      sum += odd ? c[i] : c[i] << 8;
      odd = !odd;
    }
    // fold occasionally to stay in safe-integer range
    sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** Pseudo-header addresses for transport checksums. */
export interface Pseudo { src: string; dst: string }

function pseudoHeader(p: Pseudo, proto: number, length: number): Uint8Array {
  const s = parseIp(p.src), d = parseIp(p.dst);
  if (s.family !== d.family) throw new Error(`address family mismatch: ${p.src} / ${p.dst}`);
  if (s.family === 4) {
    const h = new Uint8Array(12);
    h.set(s.bytes, 0); h.set(d.bytes, 4);
    h[9] = proto; put16(h, 10, length);
    return h;
  }
  const h = new Uint8Array(40);
  h.set(s.bytes, 0); h.set(d.bytes, 16);
  put32(h, 32, length); h[39] = proto;
  return h;
}

// ---------------------------------------------------------------- layer 2

export interface EthernetOptions {
  src?: string;       // default "02:00:00:00:00:01"
  dst?: string;       // default "02:00:00:00:00:02"
  ethertype?: number; // default: from the payload's version nibble (4 -> 0x0800, 6 -> 0x86DD)
  vlan?: number;      // adds one 802.1Q tag with this VLAN id (0..4095)
  pcp?: number;       // priority for the VLAN tag (0..7)
}

/** Ethernet II frame (no FCS, no padding). */
export function ethernet(payload: Uint8Array, opts: EthernetOptions = {}): Uint8Array {
  let ethertype = opts.ethertype;
  if (ethertype === undefined) {
    const v = payload.length > 0 ? payload[0] >> 4 : 0;
    ethertype = v === 6 ? ETHERTYPE_IPV6 : ETHERTYPE_IPV4;
  }
  const tagged = opts.vlan !== undefined;
  const hdr = new Uint8Array(tagged ? 18 : 14);
  hdr.set(parseMac(opts.dst ?? "02:00:00:00:00:02"), 0);
  hdr.set(parseMac(opts.src ?? "02:00:00:00:00:01"), 6);
  if (tagged) {
    put16(hdr, 12, ETHERTYPE_VLAN);
    put16(hdr, 14, (((opts.pcp ?? 0) & 7) << 13) | (opts.vlan! & 0x0fff));
    put16(hdr, 16, ethertype);
  } else {
    put16(hdr, 12, ethertype);
  }
  return concat(hdr, payload);
}

/**
 * Offset of the L3 header in an Ethernet frame and the EtherType there, by
 * the one walker's rule (host/packet/ethernet.ts: at most one 802.1Q tag);
 * a truncated frame has ethertype -1 and offset = its length.
 */
export function l3Offset(frame: Uint8Array): { offset: number; ethertype: number } {
  const w = walkEthernet(frame);
  return w.truncated ? { offset: frame.length, ethertype: -1 } : { offset: w.l3, ethertype: w.ethertype };
}

/** Strip the Ethernet header (and VLAN tags), returning the raw IP packet. */
export function rawIp(frame: Uint8Array): Uint8Array {
  return frame.slice(l3Offset(frame).offset);
}

// ---------------------------------------------------------------- layer 3

export interface Ipv4Options {
  src: string;
  dst: string;
  proto: number;
  ttl?: number;          // default 64
  id?: number;           // default 0
  tos?: number;          // default 0
  df?: boolean;
  mf?: boolean;
  fragOffset?: number;   // in 8-byte units
  options?: Uint8Array;  // padded with zeros (EOL) to a multiple of 4
  totalLength?: number;  // override (malformed)
  ihl?: number;          // override (malformed)
  version?: number;      // override (malformed)
  checksum?: number;     // override (default: correct)
}

/** IPv4 header + payload, with a correct header checksum. */
export function ipv4(payload: Uint8Array, o: Ipv4Options): Uint8Array {
  let opts = o.options ?? new Uint8Array(0);
  if (opts.length % 4) opts = concat(opts, new Uint8Array(4 - (opts.length % 4)));
  if (opts.length > 40) throw new Error(`IPv4 options too long: ${opts.length} bytes`);
  const hlen = 20 + opts.length;
  const h = new Uint8Array(hlen);
  const ihl = o.ihl ?? hlen / 4;
  h[0] = ((o.version ?? 4) << 4) | (ihl & 0x0f);
  h[1] = o.tos ?? 0;
  put16(h, 2, o.totalLength ?? hlen + payload.length);
  put16(h, 4, o.id ?? 0);
  put16(h, 6, (o.df ? 0x4000 : 0) | (o.mf ? 0x2000 : 0) | ((o.fragOffset ?? 0) & 0x1fff));
  h[8] = o.ttl ?? 64;
  h[9] = o.proto;
  h.set(parseIPv4(o.src), 12);
  h.set(parseIPv4(o.dst), 16);
  h.set(opts, 20);
  put16(h, 10, o.checksum ?? internetChecksum(h));
  return concat(h, payload);
}

export interface Ipv6Extension {
  type: number;          // 0 hop-by-hop, 43 routing, 44 fragment, 60 destination options, other: generic
  fragOffset?: number;   // fragment header: offset in 8-byte units
  mf?: boolean;          // fragment header: more fragments
  id?: number;           // fragment header: identification
  data?: Uint8Array;     // body after the 2 leading bytes (non-fragment types); padded to 8n+6 bytes
}

export interface Ipv6Options {
  src: string;
  dst: string;
  nextHeader: number;    // protocol of the payload (after the extension headers)
  hopLimit?: number;     // default 64
  trafficClass?: number;
  flowLabel?: number;
  extensions?: Ipv6Extension[];
  payloadLength?: number; // override (malformed)
}

/** Encode one extension header whose own next-header field is `next`. */
export function ipv6Extension(ext: Ipv6Extension, next: number): Uint8Array {
  if (ext.type === EXT_FRAGMENT) {
    const h = new Uint8Array(8);
    h[0] = next;
    put16(h, 2, (((ext.fragOffset ?? 0) & 0x1fff) << 3) | (ext.mf ? 1 : 0));
    put32(h, 4, ext.id ?? 0);
    return h;
  }
  let body: Uint8Array;
  if (ext.data) {
    body = ext.data;
  } else if (ext.type === EXT_ROUTING) {
    // routing type 4 (segment routing) would need segments; use an empty type-0
    // style header with segments left = 0, which is ignored by every node.
    body = new Uint8Array(6);
  } else {
    // hop-by-hop / destination options: one PadN option filling 6 bytes
    body = Uint8Array.from([1, 4, 0, 0, 0, 0]);
  }
  const total = Math.ceil((body.length + 2) / 8) * 8;
  const h = new Uint8Array(total);
  h[0] = next;
  h[1] = total / 8 - 1;
  h.set(body, 2);
  const pad = total - 2 - body.length;
  if (pad > 0 && (ext.type === EXT_HOP_BY_HOP || ext.type === EXT_DEST_OPTS)) {
    // fill the remainder with Pad1 or PadN so the options area stays well formed
    if (pad === 1) h[2 + body.length] = 0;
    else { h[2 + body.length] = 1; h[3 + body.length] = pad - 2; }
  }
  return h;
}

/** IPv6 header, extension header chain, payload. */
export function ipv6(payload: Uint8Array, o: Ipv6Options): Uint8Array {
  const exts = o.extensions ?? [];
  const encoded: Uint8Array[] = [];
  for (let i = 0; i < exts.length; i++) {
    const next = i + 1 < exts.length ? exts[i + 1].type : o.nextHeader;
    encoded.push(ipv6Extension(exts[i], next));
  }
  const rest = concat(...encoded, payload);
  const h = new Uint8Array(40);
  const tc = o.trafficClass ?? 0;
  put32(h, 0, (6 << 28) | ((tc & 0xff) << 20) | ((o.flowLabel ?? 0) & 0xfffff));
  put16(h, 4, o.payloadLength ?? rest.length);
  h[6] = exts.length ? exts[0].type : o.nextHeader;
  h[7] = o.hopLimit ?? 64;
  h.set(parseIPv6(o.src), 8);
  h.set(parseIPv6(o.dst), 24);
  return concat(h, rest);
}

// ---------------------------------------------------------------- layer 4

const TCP_FLAG_BITS: Record<string, number> = {
  F: 0x01, S: 0x02, R: 0x04, P: 0x08, A: 0x10, U: 0x20, E: 0x40, C: 0x80,
};

/** "SA" -> 0x12. Letters: F S R P A U E(CE) C(WR); "" or "." -> 0. */
export function tcpFlagBits(flags: string): number {
  let v = 0;
  for (const ch of flags.toUpperCase()) {
    if (ch === ".") continue;
    const b = TCP_FLAG_BITS[ch];
    if (b === undefined) throw new Error(`unknown TCP flag letter ${JSON.stringify(ch)} in ${JSON.stringify(flags)}`);
    v |= b;
  }
  return v;
}

export interface TcpOptions {
  sport: number;
  dport: number;
  flags: string;          // e.g. "S", "SA", "A", "PA", "FA", "R"
  seq?: number;
  ack?: number;
  window?: number;        // default 65535
  urgent?: number;
  options?: Uint8Array;   // TCP options, padded with zeros (EOL) to a multiple of 4
  payload?: Uint8Array;
  dataOffset?: number;    // override (malformed), in 32-bit words
  checksum?: number;      // override (default: correct when pseudo is given, else 0)
}

/**
 * TCP segment. With `pseudo` ({src, dst} of the enclosing IP header, v4 or v6)
 * the checksum is correct; without it the checksum field is 0.
 */
export function tcp(o: TcpOptions, pseudo?: Pseudo): Uint8Array {
  let opts = o.options ?? new Uint8Array(0);
  if (opts.length % 4) opts = concat(opts, new Uint8Array(4 - (opts.length % 4)));
  const hlen = 20 + opts.length;
  const payload = o.payload ?? new Uint8Array(0);
  const seg = new Uint8Array(hlen + payload.length);
  put16(seg, 0, o.sport);
  put16(seg, 2, o.dport);
  put32(seg, 4, o.seq ?? 0);
  put32(seg, 8, o.ack ?? 0);
  seg[12] = ((o.dataOffset ?? hlen / 4) & 0x0f) << 4;
  seg[13] = tcpFlagBits(o.flags);
  put16(seg, 14, o.window ?? 65535);
  put16(seg, 18, o.urgent ?? 0);
  seg.set(opts, 20);
  seg.set(payload, hlen);
  const ck = o.checksum ?? (pseudo ? internetChecksum(pseudoHeader(pseudo, PROTO_TCP, seg.length), seg) : 0);
  put16(seg, 16, ck);
  return seg;
}

export interface UdpOptions {
  sport: number;
  dport: number;
  payload?: Uint8Array;
  length?: number;    // override (malformed)
  checksum?: number;  // override
}

/** UDP datagram; checksum correct when `pseudo` is given (0 = "none" otherwise, IPv4 only). */
export function udp(o: UdpOptions, pseudo?: Pseudo): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const d = new Uint8Array(8 + payload.length);
  put16(d, 0, o.sport);
  put16(d, 2, o.dport);
  put16(d, 4, o.length ?? d.length);
  d.set(payload, 8);
  let ck = o.checksum;
  if (ck === undefined) {
    if (pseudo) {
      ck = internetChecksum(pseudoHeader(pseudo, PROTO_UDP, d.length), d);
      if (ck === 0) ck = 0xffff; // RFC 768: computed zero is sent as all ones
    } else ck = 0;
  }
  put16(d, 6, ck);
  return d;
}

export interface IcmpOptions {
  type: number;
  code: number;
  id?: number;         // echo identifier (bytes 4-5)
  seq?: number;        // echo sequence (bytes 6-7)
  rest?: number;       // the whole 32-bit "rest of header", instead of id/seq
  payload?: Uint8Array;
  checksum?: number;   // override
}

function icmpBody(o: IcmpOptions): Uint8Array {
  const payload = o.payload ?? new Uint8Array(0);
  const m = new Uint8Array(8 + payload.length);
  m[0] = o.type;
  m[1] = o.code;
  if (o.rest !== undefined) put32(m, 4, o.rest);
  else { put16(m, 4, o.id ?? 0); put16(m, 6, o.seq ?? 0); }
  m.set(payload, 8);
  return m;
}

/** ICMPv4 message with a correct checksum. */
export function icmp(o: IcmpOptions): Uint8Array {
  const m = icmpBody(o);
  put16(m, 2, o.checksum ?? internetChecksum(m));
  return m;
}

/** ICMPv6 message; the checksum covers the IPv6 pseudo header, so `pseudo` is required. */
export function icmp6(o: IcmpOptions, pseudo: Pseudo): Uint8Array {
  const m = icmpBody(o);
  put16(m, 2, o.checksum ?? internetChecksum(pseudoHeader(pseudo, PROTO_ICMPV6, m.length), m));
  return m;
}

// ---------------------------------------------------------------- high level

interface CommonPacketOptions {
  src: string;            // IPv4 or IPv6; family chosen from syntax
  dst: string;
  vlan?: number;
  ttl?: number;           // TTL / hop limit
  id?: number;            // IPv4 identification
  df?: boolean;
  macSrc?: string;
  macDst?: string;
  extensions?: Ipv6Extension[]; // IPv6 only
}

export interface TcpPacketOptions extends CommonPacketOptions {
  sport: number;
  dport: number;
  flags: string;
  seq?: number;
  ack?: number;
  window?: number;
  options?: Uint8Array;
  payload?: Uint8Array;
}
export interface UdpPacketOptions extends CommonPacketOptions {
  sport: number;
  dport: number;
  payload?: Uint8Array;
}
export interface IcmpPacketOptions extends CommonPacketOptions {
  type: number;
  code: number;
  id?: number;   // echo identifier (for IPv4 the IP id uses ipId)
  ipId?: number;
  seq?: number;
  payload?: Uint8Array;
}

function wrapIp(l4: Uint8Array, proto: number, o: CommonPacketOptions, ipId?: number): Uint8Array {
  const fam = parseIp(o.src).family;
  if (parseIp(o.dst).family !== fam) throw new Error(`address family mismatch: ${o.src} / ${o.dst}`);
  const ip = fam === 4
    ? ipv4(l4, { src: o.src, dst: o.dst, proto, ttl: o.ttl, id: ipId, df: o.df })
    : ipv6(l4, { src: o.src, dst: o.dst, nextHeader: proto, hopLimit: o.ttl, extensions: o.extensions });
  return ethernet(ip, { vlan: o.vlan, src: o.macSrc, dst: o.macDst });
}

/** Ethernet frame carrying a TCP segment over IPv4 or IPv6. */
export function tcpPacket(o: TcpPacketOptions): Uint8Array {
  const seg = tcp(o, { src: o.src, dst: o.dst });
  return wrapIp(seg, PROTO_TCP, o, o.id);
}

/** Ethernet frame carrying a UDP datagram over IPv4 or IPv6. */
export function udpPacket(o: UdpPacketOptions): Uint8Array {
  const d = udp(o, { src: o.src, dst: o.dst });
  return wrapIp(d, PROTO_UDP, o, o.id);
}

/** Ethernet frame carrying ICMP (IPv4 addresses) or ICMPv6 (IPv6 addresses). */
export function icmpPacket(o: IcmpPacketOptions): Uint8Array {
  const v6 = parseIp(o.src).family === 6;
  const m = v6 ? icmp6(o, { src: o.src, dst: o.dst }) : icmp(o);
  return wrapIp(m, v6 ? PROTO_ICMPV6 : PROTO_ICMP, o, o.ipId);
}

/**
 * Split an IPv4 Ethernet frame into fragment frames. `fragmentSize` is the
 * number of IP payload bytes per fragment; it is rounded down to a multiple
 * of 8 (minimum 8). Each fragment keeps the Ethernet header (with any VLAN
 * tags) and the IP header (options copied into every fragment, as the
 * builder does not distinguish copied/non-copied options), with MF and the
 * fragment offset set and the header checksum recomputed. Fragmenting an
 * already fragmented packet is handled (offsets add, last keeps the
 * original MF). If the payload fits in one fragment, the frame is returned
 * unchanged (in a one-element array).
 */
export function fragmentIpv4(frame: Uint8Array, fragmentSize: number): Uint8Array[] {
  const { offset: l3, ethertype } = l3Offset(frame);
  if (ethertype !== ETHERTYPE_IPV4) throw new Error(`not an IPv4 frame (ethertype 0x${ethertype.toString(16)})`);
  const eth = frame.subarray(0, l3);
  const ip = frame.subarray(l3);
  const ihl = (ip[0] & 0x0f) * 4;
  const total = get16(ip, 2);
  const hdr = ip.subarray(0, ihl);
  const payload = ip.subarray(ihl, total);
  const size = Math.max(8, Math.floor(fragmentSize / 8) * 8);
  if (payload.length <= size) return [frame.slice()];
  const fragWord = get16(ip, 6);
  const baseOff = fragWord & 0x1fff;
  const origMf = (fragWord & 0x2000) !== 0;
  const out: Uint8Array[] = [];
  for (let pos = 0; pos < payload.length; pos += size) {
    const chunk = payload.subarray(pos, Math.min(pos + size, payload.length));
    const last = pos + size >= payload.length;
    const h = hdr.slice();
    put16(h, 2, ihl + chunk.length);
    put16(h, 6, (fragWord & 0x4000) | (!last || origMf ? 0x2000 : 0) | ((baseOff + pos / 8) & 0x1fff));
    put16(h, 10, 0);
    put16(h, 10, internetChecksum(h));
    out.push(concat(eth, h, chunk));
  }
  return out;
}
