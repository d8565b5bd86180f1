// The reference packet parser: the same decisions as assembly/parse.ts,
// written for clarity over a DataView. Tests run both on every corpus packet
// and on random bytes; they must produce the same header and reason.
import * as L from "../../assembly/layout.ts";
import { type PacketHeader, type ConnFields, emptyHeader, emptyConn } from "./header.ts";
import { walkEthernet, ipVersionOf } from "../packet/ethernet.ts";

const IPV6_EXTENSIONS = new Set([0, 43, 44, 60, 51]);

export function parsePacketReference(pkt: Uint8Array, linkType: number = L.LINK_ETHERNET): PacketHeader {
  const h = emptyHeader(pkt.length);
  h.conn = emptyConn();
  h.reason = parseFrame(pkt, new DataView(pkt.buffer, pkt.byteOffset, pkt.byteLength), linkType, h);
  return h;
}

function parseFrame(pkt: Uint8Array, dv: DataView, linkType: number, h: PacketHeader): number {
  const len = dv.byteLength;
  let off = 0;
  let version: number;
  if (linkType !== L.LINK_RAW_IP) {
    // The one Ethernet/VLAN walker's rule: at most one 802.1Q tag.
    const w = walkEthernet(pkt);
    if (w.truncated) return L.REASON_TRUNCATED_ETHERNET;
    off = w.l3;
    const v = ipVersionOf(w);
    if (v === 0) return L.REASON_NOT_IP;
    version = v;
  } else {
    if (len < 1) return L.REASON_TRUNCATED_IPV4;
    version = dv.getUint8(0) >> 4;
    if (version !== 4 && version !== 6) return L.REASON_BAD_VERSION;
  }
  return version === 4 ? parseIpv4(dv, off, h) : parseIpv6(dv, off, h);
}

function parseIpv4(dv: DataView, off: number, h: PacketHeader): number {
  const avail = dv.byteLength - off;
  if (avail < 20) return L.REASON_TRUNCATED_IPV4;
  const vihl = dv.getUint8(off);
  if (vihl >> 4 !== 4) return L.REASON_BAD_VERSION;
  const hlen = (vihl & 15) * 4;
  if (hlen < 20 || hlen > avail) return L.REASON_BAD_IHL;
  const total = dv.getUint16(off + 2);
  if (total < hlen || total > avail) return L.REASON_BAD_TOTAL_LENGTH;
  h.family = 4;
  h.proto = dv.getUint8(off + 9);
  h.src = [dv.getUint32(off + 12)];
  h.dst = [dv.getUint32(off + 16)];
  const fragField = dv.getUint16(off + 6);
  const fragOffset = fragField & 0x1fff;
  const more = (fragField & 0x2000) !== 0;
  if (fragOffset !== 0) {
    h.frag = "later";
    // RFC 1858: an offset of 1 would let this fragment rewrite the TCP flags.
    return h.proto === 6 && fragOffset === 1 ? L.REASON_FRAGMENT_OVERLAP : L.REASON_OK;
  }
  h.frag = more ? "first" : "none";
  return parseL4(dv, off + hlen, off + total, more, h);
}

function parseIpv6(dv: DataView, off: number, h: PacketHeader): number {
  const avail = dv.byteLength - off;
  if (avail < 40) return L.REASON_TRUNCATED_IPV6;
  if (dv.getUint8(off) >> 4 !== 6) return L.REASON_BAD_VERSION;
  const payload = dv.getUint16(off + 4);
  if (payload > avail - 40) return L.REASON_BAD_PAYLOAD_LENGTH;
  const end = off + 40 + payload;
  h.family = 6;
  h.src = [0, 1, 2, 3].map((i) => dv.getUint32(off + 8 + 4 * i));
  h.dst = [0, 1, 2, 3].map((i) => dv.getUint32(off + 24 + 4 * i));
  let nh = dv.getUint8(off + 6);
  let p = off + 40;
  let count = 0;
  let more = false;
  let fragOffset = 0;
  while (IPV6_EXTENSIONS.has(nh)) {
    if (++count > L.MAX_IPV6_EXTENSIONS) return L.REASON_BAD_EXTENSION_HEADER;
    if (end - p < 8) return L.REASON_BAD_EXTENSION_HEADER;
    const next = dv.getUint8(p);
    let hlen: number;
    if (nh === 44) {
      hlen = 8;
      const fo = dv.getUint16(p + 2);
      fragOffset = fo >> 3;
      more = (fo & 1) !== 0;
      if (fragOffset !== 0) h.frag = "later";
      else if (more) h.frag = "first";
    } else if (nh === 51) {
      hlen = (dv.getUint8(p + 1) + 2) * 4;
    } else {
      hlen = (dv.getUint8(p + 1) + 1) * 8;
    }
    if (hlen > end - p) return L.REASON_BAD_EXTENSION_HEADER;
    p += hlen;
    nh = next;
    if (h.frag === "later") break;
  }
  h.proto = nh;
  if (h.frag === "later") return nh === 6 && fragOffset === 1 ? L.REASON_FRAGMENT_OVERLAP : L.REASON_OK;
  const r = parseL4(dv, p, end, more, h);
  // Neighbour discovery (RFC 4861; layout.ts HAS_ND): ICMPv6 133..137 directly after the header, hop limit 255.
  if (r === L.REASON_OK && count === 0 && nh === 58 && dv.getUint8(off + 7) === 255 && h.icmpType! >= 133 && h.icmpType! <= 137) h.nd = true;
  return r;
}

// `first`: the packet is a first fragment: it must hold what rules test
// (RFC 1858) but may lack the rest of the layer-4 header.
function parseL4(dv: DataView, p: number, end: number, first: boolean, h: PacketHeader): number {
  const avail = end - p;
  const short = first ? L.REASON_TINY_FRAGMENT : L.REASON_TRUNCATED_L4;
  h.l4Offset = p;
  switch (h.proto) {
    case 6: {
      if (avail < 14) return short;
      if (!first) {
        if (avail < 20) return L.REASON_TRUNCATED_L4;
        const doff = (dv.getUint8(p + 12) >> 4) * 4;
        if (doff < 20 || doff > avail) return L.REASON_BAD_TCP_OFFSET;
      }
      h.sport = dv.getUint16(p);
      h.dport = dv.getUint16(p + 2);
      h.tcpFlags = dv.getUint8(p + 13) & 0x3f;
      const c = h.conn!;
      c.seq = dv.getUint32(p + 4);
      c.ack = dv.getUint32(p + 8);
      if (avail >= 16) c.window = dv.getUint16(p + 14);
      const doff = (dv.getUint8(p + 12) >> 4) * 4;
      if (doff >= 20 && doff <= avail) c.payload = avail - doff;
      return L.REASON_OK;
    }
    case 17:
    case 136:
    case 132: {
      if (avail < (h.proto === 132 ? 12 : 8)) return short;
      h.sport = dv.getUint16(p);
      h.dport = dv.getUint16(p + 2);
      return L.REASON_OK;
    }
    case 1:
    case 58: {
      if (avail < (first ? 4 : 8)) return short;
      h.icmpType = dv.getUint8(p);
      h.icmpCode = dv.getUint8(p + 1);
      if (avail >= 8) parseIcmpState(dv, p, avail, h.proto === 58, h.conn!);
      return L.REASON_OK;
    }
    default:
      return L.REASON_OK;
  }
}

// The echo identifier, or the header an ICMP error embeds (assembly/parse.ts
// parseIcmpState makes the same decisions).
function parseIcmpState(dv: DataView, h: number, avail: number, v6: boolean, c: ConnFields): void {
  const type = dv.getUint8(h);
  if (v6 ? type === 128 || type === 129 : type === 8 || type === 0) {
    c.icmpId = dv.getUint16(h + 4);
    return;
  }
  if (!(v6 ? type >= 1 && type <= 4 : [3, 4, 5, 11, 12].includes(type))) return;
  const ip = h + 8;
  const left = avail - 8;
  let proto: number, l4: number, family: 4 | 6, src: number[], dst: number[];
  if (!v6) {
    if (left < 20 || dv.getUint8(ip) >> 4 !== 4) return;
    const hlen = (dv.getUint8(ip) & 15) * 4;
    if (hlen < 20 || hlen > left) return;
    if ((dv.getUint16(ip + 6) & 0x1fff) !== 0) return;
    proto = dv.getUint8(ip + 9);
    family = 4;
    src = [dv.getUint32(ip + 12)];
    dst = [dv.getUint32(ip + 16)];
    l4 = ip + hlen;
  } else {
    if (left < 40 || dv.getUint8(ip) >> 4 !== 6) return;
    proto = dv.getUint8(ip + 6);
    family = 6;
    src = [0, 1, 2, 3].map((i) => dv.getUint32(ip + 8 + 4 * i));
    dst = [0, 1, 2, 3].map((i) => dv.getUint32(ip + 24 + 4 * i));
    l4 = ip + 40;
  }
  const l4left = avail - (l4 - h);
  let sport: number, dport: number;
  if ([6, 17, 132, 136].includes(proto)) {
    if (l4left < 4) return;
    sport = dv.getUint16(l4);
    dport = dv.getUint16(l4 + 2);
  } else if (proto === 1 || proto === 58) {
    if (l4left < 8) return;
    const it = dv.getUint8(l4);
    if (!(proto === 58 ? it === 128 || it === 129 : it === 8 || it === 0)) return;
    sport = dport = dv.getUint16(l4 + 4);
  } else {
    return;
  }
  c.inner = { family, proto, src, dst, sport, dport };
}
