// A tracked flow's state machine: how one more packet of a flow moves it
// (TCP: RFC 793's states, with sequence and window checks; a one-way UDP
// pinhole; an echo's request and reply). The answer says whether the table
// decides the packet or the rules do (ADVANCE_*).
import {
  T_TCP_FLAGS, T_TCP_SEQ, T_TCP_ACK, T_TCP_WINDOW, T_L4_PAYLOAD, T_ICMP_TYPE, TCP_SYN, TCP_ACK, TCP_RST, TCP_FIN,
  PROTO_TCP, PROTO_ICMP, ICMP_ECHO_REQUEST, ICMP_ECHO_REPLY, ICMPV6_ECHO_REQUEST, ICMPV6_ECHO_REPLY,
} from "../layout";
import {
  F_STATE, F_FLAGS, F_END0, F_END1, F_WIN0, F_WIN1, CT_SYN_SENT, CT_SYN_RECV, CT_ESTABLISHED, CT_FIN_WAIT,
  CT_CLOSING, CT_CLOSED, CTF_FIN0, CTF_FIN1, CTF_ONE_WAY,
} from "../conntrack-layout";
import { isIcmp } from "./key";

export const ADVANCE_OK: u32 = 0;
export const ADVANCE_INVALID: u32 = 1; // fails the checks: the rules decide, the flow is untouched
export const ADVANCE_RULES: u32 = 2; // not part of the flow (one-way flow's reply): the rules decide
export const ADVANCE_NEW: u32 = 3; // a new connection reusing a closed flow's key

// @ts-ignore: decorator
@inline function seqAfter(a: u32, b: u32): bool {
  return <i32>(a - b) > 0;
}

// One packet of a TCP flow, going direction d (0: originator's way).
function advanceTcp(r: usize, d: u32, t: usize): u32 {
  let f = <u32>load<u8>(t, T_TCP_FLAGS);
  let seq = load<u32>(t, T_TCP_SEQ);
  let ack = load<u32>(t, T_TCP_ACK);
  let win = <u32>load<u16>(t, T_TCP_WINDOW);
  let len = <u32>load<u16>(t, T_L4_PAYLOAD);
  let state = <u32>load<u8>(r, F_STATE);
  let endOff: usize = d == 0 ? F_END0 : F_END1;
  let peerEndOff: usize = d == 0 ? F_END1 : F_END0;
  let peerWinOff: usize = d == 0 ? F_WIN1 : F_WIN0;
  if (f & TCP_RST) {
    let ok: bool;
    if (state == CT_SYN_SENT) {
      // RFC 793: a reset answering a SYN is acceptable when it acknowledges it.
      ok = d == 1 && (f & TCP_ACK) != 0 && ack == load<u32>(r, F_END0);
    } else {
      // In the receiver's window, from the next expected byte; the raw window
      // (no scaling) makes this stricter than the receiver, never looser.
      let w = load<u32>(r + peerWinOff);
      ok = seq - load<u32>(r + endOff) <= (w > 0 ? w : 1);
    }
    if (!ok) return ADVANCE_INVALID;
    store<u8>(r, CT_CLOSED, F_STATE);
    return ADVANCE_OK;
  }
  if (f & TCP_SYN) {
    if ((f & TCP_ACK) == 0) {
      if (state == CT_CLOSED || state == CT_CLOSING) return ADVANCE_NEW;
      if (state != CT_SYN_SENT || d != 0) return ADVANCE_INVALID;
      store<u32>(r, seq + 1 + len, F_END0); // a retransmitted (or re-numbered) SYN
      if (win > load<u32>(r, F_WIN0)) store<u32>(r, win, F_WIN0);
      return ADVANCE_OK;
    }
    if (d != 1 || (state != CT_SYN_SENT && state != CT_SYN_RECV) || ack != load<u32>(r, F_END0)) return ADVANCE_INVALID;
    store<u8>(r, CT_SYN_RECV, F_STATE);
    store<u32>(r, seq + 1 + len, F_END1);
    store<u32>(r, win, F_WIN1);
    return ADVANCE_OK;
  }
  if (state == CT_SYN_SENT) return ADVANCE_INVALID;
  if (state == CT_SYN_RECV && d == 0 && (f & TCP_ACK) != 0 && ack == load<u32>(r, F_END1)) {
    store<u8>(r, CT_ESTABLISHED, F_STATE);
    state = CT_ESTABLISHED;
  }
  let end = seq + len + ((f & TCP_FIN) != 0 ? 1 : 0);
  if (seqAfter(end, load<u32>(r + endOff))) store<u32>(r + endOff, end);
  let winOff: usize = d == 0 ? F_WIN0 : F_WIN1;
  if (win > load<u32>(r + winOff)) store<u32>(r + winOff, win);
  if (state == CT_CLOSED) return ADVANCE_OK;
  let flags = <u32>load<u8>(r, F_FLAGS);
  let bothBefore = (flags & (CTF_FIN0 | CTF_FIN1)) == (CTF_FIN0 | CTF_FIN1);
  if (f & TCP_FIN) {
    flags |= d == 0 ? CTF_FIN0 : CTF_FIN1;
    store<u8>(r, <u8>flags, F_FLAGS);
    store<u8>(r, (flags & (CTF_FIN0 | CTF_FIN1)) == (CTF_FIN0 | CTF_FIN1) ? CT_CLOSING : CT_FIN_WAIT, F_STATE);
  } else if (bothBefore && (f & TCP_ACK) != 0 && ack == load<u32>(r + peerEndOff)) {
    store<u8>(r, CT_CLOSED, F_STATE);
  }
  return ADVANCE_OK;
}

/** One packet of flow record `r`, going direction d (0: originator's way): ADVANCE_*. */
export function advance(r: usize, d: u32, t: usize, proto: u32): u32 {
  if (proto == PROTO_TCP) return advanceTcp(r, d, t);
  if (d == 1 && (load<u8>(r, F_FLAGS) & CTF_ONE_WAY) != 0) return ADVANCE_RULES;
  if (isIcmp(proto)) {
    let type = <u32>load<u8>(t, T_ICMP_TYPE);
    let want: u32 = proto == PROTO_ICMP ? (d == 0 ? ICMP_ECHO_REQUEST : ICMP_ECHO_REPLY) : (d == 0 ? ICMPV6_ECHO_REQUEST : ICMPV6_ECHO_REPLY);
    if (type != want) return ADVANCE_RULES;
  }
  return ADVANCE_OK;
}
