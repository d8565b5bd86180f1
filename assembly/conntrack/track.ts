// The connection table's part in the packet pipeline (pipeline/classify.ts):
// ctClassify first, which decides a tracked flow's packets (and ICMP errors
// about one) or finds a pinhole; then, when the rules decided, ctAfterDecide,
// which creates the flow or uses the pinhole. What the first tells the
// second travels in ctClassify's return value (conntrack-layout.ts, CT_*),
// not in module state.
import {
  T_FAMILY, T_PROTO, T_FRAG, T_HAS, T_SRC, T_DST, T_IF_IN, T_IF_OUT, T_TIME_NS, T_LENGTH,
  T_INNER_PROTO, T_INNER_FAMILY, T_INNER_SPORT, T_INNER_DPORT, T_INNER_SRC, T_INNER_DST,
  FRAG_LATER, HAS_INNER, RES_RULE, RES_VERDICT, RES_REASON, RES_INPUT_RULE, RES_OUTPUT_RULE,
  RES_FLOW, RES_FLOW_GEN, RES_CT_FLAGS, CTR_NEW, CTR_SLOW_PATH,
  VERDICT_PERMIT, VERDICT_DENY, REASON_MATCHED, REASON_STATE, REASON_EXPECTED, REASON_RELATED, PROTO_UDP,
} from "../layout";
import {
  F_STATE, F_FLAGS, F_LAST_SEEN, F_GEN, F_PACKETS, F_BYTES, CT_CLOSED, CTF_REPLIED, CTF_SLOW_PATH,
  CTF_EXPECTED, CTF_ONE_WAY, E_FLAGS, E_PROTO, E_USES, AFC_NO_KERNEL_MODE, AFC_BIDIRECTIONAL, AFC_ALLOW_MULTIPLE,
  ST_EXPIRED, ST_INVALID, ST_STATE_HITS, ST_RELATED, ST_EXPECT_USED,
  CT_MISS, CT_DECIDED, CT_EXPECTED, CT_OUTCOME_MASK, CT_NO_CREATE, CT_EXP_SHIFT, FOUND_REPLY,
} from "../conntrack-layout";
import { flows, clock, advanceClock, bump, rec, find, expired, unlink, insertFlow } from "./table";
import { flowHash, sameAddr, trackable, keySport, keyDport, opens } from "./key";
import { advance, ADVANCE_OK, ADVANCE_NEW, ADVANCE_INVALID } from "./tcp";
import { expCount, expectationAt, matchExpectation, removeExpectation, denyNamesService } from "./expect";
import { inputRuleset, outputRuleset, rulesetStateful, ruleKeepsState } from "../program/access";
import { activeKeepsState } from "../program/store";
import { writeStateDecision, clearFlow } from "../result";

// @ts-ignore: decorator
@inline function tagFlow(res: usize, id: u32, flags: u32): void {
  store<i32>(res, <i32>id, RES_FLOW);
  store<u32>(res, load<u32>(rec(id), F_GEN), RES_FLOW_GEN);
  let f = flags;
  if (load<u8>(rec(id), F_FLAGS) & CTF_SLOW_PATH) f |= CTR_SLOW_PATH;
  store<u8>(res, <u8>f, RES_CT_FLAGS);
}

function writeCt(res: usize, verdict: u32, reason: u32, id: u32, flags: u32): void {
  writeStateDecision(res, verdict, reason);
  tagFlow(res, id, flags);
}

/** No table has been made (no flow ever was): ctClassify would find nothing. */
// @ts-ignore: decorator
@inline export function ctIdle(): bool {
  return flows == 0;
}

/**
 * The table's say on one well-formed packet (conntrack-layout.ts, CT_*).
 * CT_DECIDED: the result is written (a tracked flow or an ICMP error related
 * to one). CT_EXPECTED: an expectation matches; the rules run, then
 * ctAfterDecide. CT_MISS: the rules decide, and ctAfterDecide may create a
 * flow (not with CT_NO_CREATE).
 */
export function ctClassify(t: usize, res: usize): u32 {
  advanceClock(load<u64>(t, T_TIME_NS));
  if (flows == 0) return CT_MISS;
  if (load<u8>(t, T_FRAG) == FRAG_LATER) return CT_MISS;
  let now = clock;
  let has = <u32>load<u8>(t, T_HAS);
  let proto = <u32>load<u8>(t, T_PROTO);
  let family = <u32>load<u8>(t, T_FAMILY);
  if (has & HAS_INNER) {
    // An ICMP error never opens a flow.
    let ip = <u32>load<u8>(t, T_INNER_PROTO);
    let sp = <u32>load<u16>(t, T_INNER_SPORT);
    let dp = <u32>load<u16>(t, T_INNER_DPORT);
    if (<u32>load<u8>(t, T_INNER_FAMILY) != family) return CT_MISS | CT_NO_CREATE;
    let found = find(family, ip, t + T_INNER_SRC, t + T_INNER_DST, sp, dp, flowHash(t + T_INNER_SRC, t + T_INNER_DST, ip, sp, dp));
    // The error must go back to whoever sent the packet it quotes.
    if (found < 0 || expired(rec(<u32>found >> 1), now) || !sameAddr(t + T_DST, t + T_INNER_SRC)) return CT_MISS | CT_NO_CREATE;
    bump(ST_RELATED);
    writeCt(res, VERDICT_PERMIT, REASON_RELATED, <u32>found >> 1, 0);
    return CT_DECIDED;
  }
  if (!trackable(t, proto, has)) return CT_MISS;
  let sport = keySport(t, has);
  let dport = keyDport(t, has);
  let h = flowHash(t + T_SRC, t + T_DST, proto, sport, dport);
  let found = find(family, proto, t + T_SRC, t + T_DST, sport, dport, h);
  if (found >= 0) {
    let id = <u32>found >> 1;
    let r = rec(id);
    if (expired(r, now)) {
      unlink(id);
      bump(ST_EXPIRED);
    } else {
      let d = <u32>found & FOUND_REPLY;
      let before = <u32>load<u8>(r, F_STATE);
      let a = advance(r, d, t, proto);
      if (a == ADVANCE_OK) {
        // A closed flow only lingers for stragglers: they do not extend it.
        if (before != CT_CLOSED) store<u64>(r, now, F_LAST_SEEN);
        store<u64>(r, load<u64>(r, F_PACKETS) + 1, F_PACKETS);
        store<u64>(r, load<u64>(r, F_BYTES) + <u64>load<u32>(t, T_LENGTH), F_BYTES);
        if (d == 1) store<u8>(r, load<u8>(r, F_FLAGS) | CTF_REPLIED, F_FLAGS);
        bump(ST_STATE_HITS);
        writeCt(res, VERDICT_PERMIT, REASON_STATE, id, 0);
        return CT_DECIDED;
      }
      if (a == ADVANCE_NEW) {
        unlink(id);
      } else {
        if (a == ADVANCE_INVALID) bump(ST_INVALID);
        return CT_MISS | CT_NO_CREATE;
      }
    }
  }
  if (expCount > 0 && opens(t, proto)) {
    let e = matchExpectation(t, now);
    if (e >= 0) return CT_EXPECTED | (<u32>e << CT_EXP_SHIFT);
  }
  return CT_MISS;
}

// Does the permit in `res` come from a stage that keeps state?
function keepsState(p: usize, t: usize, res: usize): bool {
  if (!activeKeepsState) return false;
  if (ruleKeepsState(p, load<i32>(res, RES_INPUT_RULE))) return true;
  if (ruleKeepsState(p, load<i32>(res, RES_OUTPUT_RULE))) return true;
  if (rulesetStateful(p, inputRuleset(p, <u32>load<u8>(t, T_IF_IN)))) return true;
  return rulesetStateful(p, outputRuleset(p, <u32>load<u8>(t, T_IF_OUT)));
}

/**
 * After the rules decided a packet ctClassify did not (`ct` is what it
 * returned): create its flow, or use the expectation.
 */
export function ctAfterDecide(p: usize, t: usize, res: usize, ct: u32): void {
  clearFlow(res);
  let outcome = ct & CT_OUTCOME_MASK;
  if (outcome != CT_EXPECTED && !activeKeepsState) return; // nothing below can create a flow
  let verdict = <u32>load<u8>(res, RES_VERDICT);
  if (outcome == CT_EXPECTED) {
    // A deny rule naming the service wins over any pinhole; a default deny,
    // or a catch-all deny rule standing in for one, does not.
    if (verdict == VERDICT_DENY && <u32>load<u8>(res, RES_REASON) == REASON_MATCHED && denyNamesService(p, load<i32>(res, RES_RULE))) return;
    let i = ct >> CT_EXP_SHIFT;
    let e = expectationAt(i);
    let eflags = <u32>load<u8>(e, E_FLAGS);
    let fflags = CTF_EXPECTED;
    if (eflags & AFC_NO_KERNEL_MODE) fflags |= CTF_SLOW_PATH;
    if (load<u8>(e, E_PROTO) == PROTO_UDP && (eflags & AFC_BIDIRECTIONAL) == 0) fflags |= CTF_ONE_WAY;
    if (verdict == VERDICT_DENY) writeStateDecision(res, VERDICT_PERMIT, REASON_EXPECTED);
    if (fflags & CTF_SLOW_PATH) store<u8>(res, CTR_SLOW_PATH, RES_CT_FLAGS);
    store<u32>(e, load<u32>(e, E_USES) + 1, E_USES);
    bump(ST_EXPECT_USED);
    if ((eflags & AFC_ALLOW_MULTIPLE) == 0) removeExpectation(i);
    create(t, res, fflags);
    return;
  }
  if ((ct & CT_NO_CREATE) != 0 || verdict != VERDICT_PERMIT) return;
  if (load<u8>(t, T_FRAG) == FRAG_LATER) return;
  let proto = <u32>load<u8>(t, T_PROTO);
  let has = <u32>load<u8>(t, T_HAS);
  if ((has & HAS_INNER) != 0 || !trackable(t, proto, has) || !opens(t, proto)) return;
  if (!keepsState(p, t, res)) return;
  create(t, res, 0);
}

function create(t: usize, res: usize, flags: u32): void {
  let id = insertFlow(t, load<i32>(res, RES_RULE), flags);
  if (id >= 0) tagFlow(res, <u32>id, CTR_NEW);
}
