// A flow's key as the connection table sees a packet: which packets can be
// tracked, their ports (an echo's identifier stands in for both), whether a
// packet opens a connection, and the hash, the same for both directions.
import {
  T_SPORT, T_DPORT, T_ICMP_ID, T_ICMP_TYPE, T_TCP_FLAGS, HAS_PORTS, HAS_ICMP_ID,
  TCP_SYN, TCP_ACK, TCP_RST, TCP_FIN, PROTO_TCP, PROTO_ICMP, PROTO_ICMPV6,
  ICMP_ECHO_REQUEST, ICMPV6_ECHO_REQUEST,
} from "../layout";

// @ts-ignore: decorator
@inline function mix(h: u32): u32 {
  h ^= h >> 16;
  h *= 0x7feb352d;
  h ^= h >> 15;
  h *= 0x846ca68b;
  h ^= h >> 16;
  return h;
}

function endpointHash(a: usize, port: u32): u32 {
  let h = mix(load<u32>(a) ^ 0x9e3779b9);
  h = mix(h ^ load<u32>(a, 4));
  h = mix(h ^ load<u32>(a, 8));
  h = mix(h ^ load<u32>(a, 12));
  return mix(h ^ port);
}

// The same value for both directions of a flow: the endpoints' hashes are
// combined by addition, which does not care about their order.
export function flowHash(src: usize, dst: usize, proto: u32, sport: u32, dport: u32): u32 {
  return mix(endpointHash(src, sport) + endpointHash(dst, dport) + proto);
}

/** Two 16-byte addresses (host-order words) are equal. */
// @ts-ignore: decorator
@inline export function sameAddr(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

// @ts-ignore: decorator
@inline export function isIcmp(proto: u32): bool {
  return proto == PROTO_ICMP || proto == PROTO_ICMPV6;
}

// The ports of the flow key: real ports, an echo's identifier twice, or 0 for
// protocols without ports. ICMP other than echo is never a flow.
// @ts-ignore: decorator
@inline export function trackable(t: usize, proto: u32, has: u32): bool {
  if (proto == PROTO_TCP) return (has & HAS_PORTS) != 0;
  if (isIcmp(proto)) return (has & HAS_ICMP_ID) != 0;
  return true;
}

// @ts-ignore: decorator
@inline export function keySport(t: usize, has: u32): u32 {
  if (has & HAS_PORTS) return <u32>load<u16>(t, T_SPORT);
  if (has & HAS_ICMP_ID) return <u32>load<u16>(t, T_ICMP_ID);
  return 0;
}

// @ts-ignore: decorator
@inline export function keyDport(t: usize, has: u32): u32 {
  if (has & HAS_PORTS) return <u32>load<u16>(t, T_DPORT);
  if (has & HAS_ICMP_ID) return <u32>load<u16>(t, T_ICMP_ID);
  return 0;
}

// Would this packet open a connection? TCP: a bare SYN. Echo: a request.
// Anything else that is trackable: yes.
export function opens(t: usize, proto: u32): bool {
  if (proto == PROTO_TCP) return (<u32>load<u8>(t, T_TCP_FLAGS) & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN;
  if (isIcmp(proto)) {
    let type = <u32>load<u8>(t, T_ICMP_TYPE);
    return proto == PROTO_ICMP ? type == ICMP_ECHO_REQUEST : type == ICMPV6_ECHO_REQUEST;
  }
  return true;
}
