// IFWXSession::AllowFutureConnect (dialects.md section 4): a pinhole for a
// connection a session says will come, granted unless its arguments are bad
// or an explicit deny rule of the active program would stop it. The host
// checks the site-and-content deny list before calling.
import {
  TUPLE_SIZE, T_FAMILY, T_PROTO, T_SPORT, T_DPORT, T_HAS, T_TCP_FLAGS, T_SRC, T_DST, T_IF_IN, T_IF_OUT, T_DIR,
  HAS_PORTS, HAS_TCP_FLAGS, TCP_SYN, NO_RULESET, PROTO_TCP, ADDR_BYTES,
} from "../layout";
import {
  E_FAMILY, E_PROTO, E_SPORT, E_DPORT, E_CLIENT, E_DST, E_IF_IN, E_DIR, E_VIA_OUT,
  AFC_GRANTED, AFC_CONFLICT_PROTOCOL_RULES, AFC_PROBE_SPORT,
} from "../conntrack-layout";
import { expectValidate, expectInsert, ctExpectStaging, denyNamesService } from "./expect";
import { activeProgram } from "../program/store";
import { inputRuleset, outputRuleset } from "../program/access";
import { matchRuleset } from "../program/lookup";

// Scratch for the rules check's made-up first packet (nothing survives a call).
const probeTuple: usize = heap.alloc(TUPLE_SIZE);

/**
 * AllowFutureConnect for the request the host staged at ctExpectStaging():
 * an AFC_* result. On AFC_GRANTED the new expectation's serial is written
 * back to the staging record's E_ID (conntrack-layout.ts).
 */
export function ctAllowFutureConnect(nowNs: u64): u32 {
  let code = expectValidate(nowNs);
  if (code != AFC_GRANTED) return code;
  let p = activeProgram();
  if (p != 0 && explicitlyDenied(p, ctExpectStaging())) return AFC_CONFLICT_PROTOCOL_RULES;
  expectInsert();
  return AFC_GRANTED;
}

// Would an explicit deny rule stop the expected connection's first packet?
// (A default deny would not: opening what the default closes is the point of
// an expectation.) The source port is unknown before the connection: the
// requested one, else AFC_PROBE_SPORT. Read-only: the lookup counts nothing.
function explicitlyDenied(p: usize, e: usize): bool {
  let t = probeTuple;
  memory.fill(t, 0, TUPLE_SIZE);
  let proto = <u32>load<u8>(e, E_PROTO);
  store<u8>(t, load<u8>(e, E_FAMILY), T_FAMILY);
  store<u8>(t, <u8>proto, T_PROTO);
  let sport = <u32>load<u16>(e, E_SPORT);
  store<u16>(t, <u16>(sport != 0 ? sport : AFC_PROBE_SPORT), T_SPORT);
  store<u16>(t, load<u16>(e, E_DPORT), T_DPORT);
  store<u8>(t, proto == PROTO_TCP ? HAS_PORTS | HAS_TCP_FLAGS : HAS_PORTS, T_HAS);
  if (proto == PROTO_TCP) store<u8>(t, TCP_SYN, T_TCP_FLAGS);
  memory.copy(t + T_SRC, e + E_CLIENT, ADDR_BYTES);
  memory.copy(t + T_DST, e + E_DST, ADDR_BYTES);
  store<u8>(t, load<u8>(e, E_IF_IN), T_IF_IN);
  store<u8>(t, load<u8>(e, E_VIA_OUT), T_IF_OUT);
  store<u8>(t, load<u8>(e, E_DIR), T_DIR);
  let inRs = inputRuleset(p, <u32>load<u8>(t, T_IF_IN));
  if (inRs != NO_RULESET && denyNamesService(p, matchRuleset(p, inRs, t))) return true;
  let outRs = outputRuleset(p, <u32>load<u8>(t, T_IF_OUT));
  return outRs != NO_RULESET && denyNamesService(p, matchRuleset(p, outRs, t));
}
