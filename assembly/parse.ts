// Packet parsing: one frame (Ethernet II with at most one 802.1Q tag, or a raw
// IP packet) into a header tuple (layout.ts, TUPLE_SIZE). Every read is
// bounds-checked against the packet's own length first; a malformed packet
// gets a REASON_* code in T_REASON and is never read past its end.
import {
  TUPLE_SIZE, T_FAMILY, T_PROTO, T_FRAG, T_HAS, T_SPORT, T_DPORT, T_ICMP_TYPE, T_ICMP_CODE,
  T_TCP_FLAGS, T_REASON, T_SRC, T_DST, T_LENGTH, T_L4_OFFSET,
  T_TCP_SEQ, T_TCP_ACK, T_TCP_WINDOW, T_L4_PAYLOAD, T_ICMP_ID, T_INNER_PROTO, T_INNER_FAMILY,
  T_INNER_SPORT, T_INNER_DPORT, T_INNER_SRC, T_INNER_DST,
  FRAG_NONE, FRAG_FIRST, FRAG_LATER, HAS_PORTS, HAS_ICMP, HAS_TCP_FLAGS, HAS_ICMP_ID, HAS_INNER, HAS_ND,
  LINK_RAW_IP, MAX_IPV6_EXTENSIONS,
  REASON_OK, REASON_TRUNCATED_ETHERNET, REASON_NOT_IP, REASON_TRUNCATED_IPV4, REASON_BAD_VERSION,
  REASON_BAD_IHL, REASON_BAD_TOTAL_LENGTH, REASON_TRUNCATED_IPV6, REASON_BAD_PAYLOAD_LENGTH,
  REASON_BAD_EXTENSION_HEADER, REASON_TINY_FRAGMENT, REASON_FRAGMENT_OVERLAP, REASON_TRUNCATED_L4,
  REASON_BAD_TCP_OFFSET,
} from "./layout";

// @ts-ignore: decorator
@inline function be16(p: usize): u32 {
  return <u32>bswap<u16>(load<u16>(p));
}

// @ts-ignore: decorator
@inline function be32(p: usize): u32 {
  return bswap<u32>(load<u32>(p));
}

// Parse `len` bytes at `pkt` into the tuple at `t`. Returns the reason code
// (REASON_OK for a packet the matcher may test). The caller has already set
// the descriptor fields (interfaces, direction, time) of the tuple.
export function parsePacket(pkt: usize, len: u32, linkType: u32, t: usize): u32 {
  // Clear the fields the parser owns, so nothing of a previous packet leaks.
  store<u32>(t, 0, T_FAMILY);
  store<u32>(t, 0, T_SPORT);
  store<u32>(t, 0, T_ICMP_TYPE);
  store<u8>(t, 0, T_REASON);
  store<u64>(t, 0, T_SRC);
  store<u64>(t, 0, T_SRC + 8);
  store<u64>(t, 0, T_DST);
  store<u64>(t, 0, T_DST + 8);
  store<u32>(t, len, T_LENGTH);
  store<u32>(t, 0, T_L4_OFFSET);
  memory.fill(t + T_TCP_SEQ, 0, <usize>TUPLE_SIZE - <usize>T_TCP_SEQ);
  let reason = parseFrame(pkt, len, linkType, t);
  store<u16>(t, <u16>reason, T_REASON); // and the reserved byte after it: tuples compare whole (match.ts, sameRuleInputs)
  return reason;
}

// The Ethernet/VLAN walker, twin of host/packet/ethernet.ts (one rule, tested
// against it by test/ethernet-walkers.test.ts): at most one 802.1Q tag is
// unwrapped; an 802.1ad tag, QinQ or a deeper stack leaves a tag's EtherType,
// so the frame is not IP. Returns (EtherType << 8) | layer-3 offset, or -1
// for a frame shorter than its header or its tag.
export function ethernetWalk(pkt: usize, len: u32): i32 {
  if (len < 14) return -1;
  let ethertype = be16(pkt + 12);
  if (ethertype != 0x8100) return <i32>((ethertype << 8) | 14);
  if (len < 18) return -1;
  return <i32>((be16(pkt + 16) << 8) | 18);
}

function parseFrame(pkt: usize, len: u32, linkType: u32, t: usize): u32 {
  let off: u32 = 0;
  let version: u32 = 0; // 0: take it from the packet (raw IP)
  if (linkType != LINK_RAW_IP) {
    let w = ethernetWalk(pkt, len);
    if (w < 0) return REASON_TRUNCATED_ETHERNET;
    let ethertype = <u32>w >> 8;
    off = <u32>w & 0xff;
    if (ethertype == 0x0800) version = 4;
    else if (ethertype == 0x86dd) version = 6;
    else return REASON_NOT_IP;
  } else {
    if (len < 1) return REASON_TRUNCATED_IPV4;
    version = <u32>load<u8>(pkt) >> 4;
    if (version != 4 && version != 6) return REASON_BAD_VERSION;
  }
  if (version == 4) return parseIpv4(pkt, off, len, t);
  return parseIpv6(pkt, off, len, t);
}

function parseIpv4(pkt: usize, off: u32, len: u32, t: usize): u32 {
  let avail = len - off;
  if (avail < 20) return REASON_TRUNCATED_IPV4;
  let ip = pkt + off;
  let vihl = <u32>load<u8>(ip);
  if ((vihl >> 4) != 4) return REASON_BAD_VERSION;
  let hlen = (vihl & 15) << 2;
  if (hlen < 20 || hlen > avail) return REASON_BAD_IHL;
  let total = be16(ip + 2);
  if (total < hlen || total > avail) return REASON_BAD_TOTAL_LENGTH;
  let proto = <u32>load<u8>(ip, 9);
  let fragField = be16(ip + 6);
  let fragOffset = fragField & 0x1fff;
  let more = (fragField & 0x2000) != 0;
  store<u8>(t, 4, T_FAMILY);
  store<u8>(t, <u8>proto, T_PROTO);
  store<u32>(t, be32(ip + 12), T_SRC);
  store<u32>(t, be32(ip + 16), T_DST);
  if (fragOffset != 0) {
    store<u8>(t, FRAG_LATER, T_FRAG);
    // RFC 1858: an offset of 1 lets a fragment rewrite the TCP flags.
    if (proto == 6 && fragOffset == 1) return REASON_FRAGMENT_OVERLAP;
    return REASON_OK;
  }
  store<u8>(t, more ? FRAG_FIRST : FRAG_NONE, T_FRAG);
  return parseL4(pkt, off + hlen, off + total, proto, more, t);
}

function parseIpv6(pkt: usize, off: u32, len: u32, t: usize): u32 {
  let avail = len - off;
  if (avail < 40) return REASON_TRUNCATED_IPV6;
  let ip = pkt + off;
  if ((<u32>load<u8>(ip) >> 4) != 6) return REASON_BAD_VERSION;
  let payload = be16(ip + 4);
  if (payload > avail - 40) return REASON_BAD_PAYLOAD_LENGTH;
  let end = off + 40 + payload;
  store<u8>(t, 6, T_FAMILY);
  for (let i: u32 = 0; i < 4; i++) {
    store<u32>(t + T_SRC + (i << 2), be32(ip + 8 + (i << 2)));
    store<u32>(t + T_DST + (i << 2), be32(ip + 24 + (i << 2)));
  }
  let nh = <u32>load<u8>(ip, 6);
  let p = off + 40;
  let count: u32 = 0;
  let more = false;
  let frag = FRAG_NONE;
  // Walk the extension header chain: hop-by-hop (0), routing (43),
  // fragment (44), destination options (60), authentication header (51).
  while (nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51) {
    if (++count > <u32>MAX_IPV6_EXTENSIONS) return REASON_BAD_EXTENSION_HEADER;
    if (end - p < 8) return REASON_BAD_EXTENSION_HEADER;
    let h = pkt + p;
    let next = <u32>load<u8>(h);
    let hlen: u32;
    if (nh == 44) {
      hlen = 8;
      let fo = be16(h + 2);
      let fragOffset = fo >> 3;
      more = (fo & 1) != 0;
      if (fragOffset != 0) {
        frag = FRAG_LATER;
      } else if (more) {
        frag = FRAG_FIRST;
      }
    } else if (nh == 51) {
      hlen = (<u32>load<u8>(h, 1) + 2) << 2;
    } else {
      hlen = (<u32>load<u8>(h, 1) + 1) << 3;
    }
    if (hlen > end - p) return REASON_BAD_EXTENSION_HEADER;
    p += hlen;
    nh = next;
    if (frag == FRAG_LATER) break;
  }
  store<u8>(t, <u8>nh, T_PROTO);
  store<u8>(t, <u8>frag, T_FRAG);
  if (frag == FRAG_LATER) {
    if (nh == 6 && (be16(pkt + p - 6) >> 3) == 1) return REASON_FRAGMENT_OVERLAP;
    return REASON_OK;
  }
  let r = parseL4(pkt, p, end, nh, more, t);
  // Neighbour discovery (layout.ts, HAS_ND): ICMPv6 133..137 carried directly, hop limit 255.
  if (r == REASON_OK && count == 0 && nh == 58 && <u32>load<u8>(ip, 7) == 255) {
    let type = <u32>load<u8>(t, T_ICMP_TYPE);
    if (type >= 133 && type <= 137) store<u8>(t, load<u8>(t, T_HAS) | HAS_ND, T_HAS);
  }
  return r;
}

// The layer-4 header at [p, end). `first` is true for a first fragment, which
// must still hold what the rules test (RFC 1858), but may lack the rest.
function parseL4(pkt: usize, p: u32, end: u32, proto: u32, first: bool, t: usize): u32 {
  let avail = end - p;
  let h = pkt + p;
  store<u32>(t, p, T_L4_OFFSET);
  if (proto == 6) {
    if (avail < 14) return first ? REASON_TINY_FRAGMENT : REASON_TRUNCATED_L4;
    if (!first) {
      if (avail < 20) return REASON_TRUNCATED_L4;
      let doff = (<u32>load<u8>(h, 12) >> 4) << 2;
      if (doff < 20 || doff > avail) return REASON_BAD_TCP_OFFSET;
    }
    store<u16>(t, <u16>be16(h), T_SPORT);
    store<u16>(t, <u16>be16(h + 2), T_DPORT);
    store<u8>(t, load<u8>(h, 13) & 0x3f, T_TCP_FLAGS);
    store<u8>(t, HAS_PORTS | HAS_TCP_FLAGS, T_HAS);
    store<u32>(t, be32(h + 4), T_TCP_SEQ);
    store<u32>(t, be32(h + 8), T_TCP_ACK);
    if (avail >= 16) store<u16>(t, <u16>be16(h + 14), T_TCP_WINDOW);
    let doff = (<u32>load<u8>(h, 12) >> 4) << 2;
    if (doff >= 20 && doff <= avail) store<u16>(t, <u16>(avail - doff), T_L4_PAYLOAD);
  } else if (proto == 17 || proto == 136) {
    if (avail < 8) return first ? REASON_TINY_FRAGMENT : REASON_TRUNCATED_L4;
    store<u16>(t, <u16>be16(h), T_SPORT);
    store<u16>(t, <u16>be16(h + 2), T_DPORT);
    store<u8>(t, HAS_PORTS, T_HAS);
  } else if (proto == 132) {
    if (avail < 12) return first ? REASON_TINY_FRAGMENT : REASON_TRUNCATED_L4;
    store<u16>(t, <u16>be16(h), T_SPORT);
    store<u16>(t, <u16>be16(h + 2), T_DPORT);
    store<u8>(t, HAS_PORTS, T_HAS);
  } else if (proto == 1 || proto == 58) {
    if (first) {
      if (avail < 4) return REASON_TINY_FRAGMENT;
    } else if (avail < 8) {
      return REASON_TRUNCATED_L4;
    }
    store<u8>(t, load<u8>(h), T_ICMP_TYPE);
    store<u8>(t, load<u8>(h, 1), T_ICMP_CODE);
    store<u8>(t, HAS_ICMP, T_HAS);
    if (avail >= 8) parseIcmpState(h, avail, proto == 58, t);
  }
  return REASON_OK;
}

// What the connection table needs from an ICMP message: the identifier of an
// echo, or the addresses, protocol and ports of the packet an error message
// embeds (RFC 792 and 4443 quote at least 8 bytes of its layer-4 header).
// The embedded IPv6 header is read without walking extension headers: an
// error quoting one simply finds no flow.
function parseIcmpState(h: usize, avail: u32, v6: bool, t: usize): void {
  let type = <u32>load<u8>(h);
  let echo = v6 ? (type == 128 || type == 129) : (type == 8 || type == 0);
  if (echo) {
    store<u16>(t, <u16>be16(h + 4), T_ICMP_ID);
    store<u8>(t, load<u8>(t, T_HAS) | HAS_ICMP_ID, T_HAS);
    return;
  }
  let error = v6 ? (type >= 1 && type <= 4) : (type == 3 || type == 4 || type == 5 || type == 11 || type == 12);
  if (!error) return;
  let ip = h + 8;
  let left = avail - 8;
  let proto: u32;
  let l4: usize;
  let l4left: u32;
  if (!v6) {
    if (left < 20 || (<u32>load<u8>(ip) >> 4) != 4) return;
    let hlen = (<u32>load<u8>(ip) & 15) << 2;
    if (hlen < 20 || hlen > left) return;
    if ((be16(ip + 6) & 0x1fff) != 0) return; // a later fragment quotes no ports
    proto = <u32>load<u8>(ip, 9);
    store<u32>(t, be32(ip + 12), T_INNER_SRC);
    store<u32>(t, be32(ip + 16), T_INNER_DST);
    store<u8>(t, 4, T_INNER_FAMILY);
    l4 = ip + hlen;
    l4left = left - hlen;
  } else {
    if (left < 40 || (<u32>load<u8>(ip) >> 4) != 6) return;
    proto = <u32>load<u8>(ip, 6);
    for (let i: u32 = 0; i < 4; i++) {
      store<u32>(t + T_INNER_SRC + (i << 2), be32(ip + 8 + (i << 2)));
      store<u32>(t + T_INNER_DST + (i << 2), be32(ip + 24 + (i << 2)));
    }
    store<u8>(t, 6, T_INNER_FAMILY);
    l4 = ip + 40;
    l4left = left - 40;
  }
  if (proto == 6 || proto == 17 || proto == 132 || proto == 136) {
    if (l4left < 4) return;
    store<u16>(t, <u16>be16(l4), T_INNER_SPORT);
    store<u16>(t, <u16>be16(l4 + 2), T_INNER_DPORT);
  } else if (proto == 1 || proto == 58) {
    if (l4left < 8) return;
    let it = <u32>load<u8>(l4);
    let isEcho = proto == 58 ? (it == 128 || it == 129) : (it == 8 || it == 0);
    if (!isEcho) return; // of ICMP, only echoes are tracked
    store<u16>(t, <u16>be16(l4 + 4), T_INNER_SPORT);
    store<u16>(t, <u16>be16(l4 + 4), T_INNER_DPORT);
  } else {
    return;
  }
  store<u8>(t, <u8>proto, T_INNER_PROTO);
  store<u8>(t, load<u8>(t, T_HAS) | HAS_INNER, T_HAS);
}

export const PARSE_TUPLE_SIZE: i32 = TUPLE_SIZE;
