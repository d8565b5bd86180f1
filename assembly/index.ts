// The WebAssembly module's interface to the host: memory regions the host
// writes into (program, packet batch, header tuples), the batch classifier,
// and the per-rule counters. No allocation happens per packet: regions grow
// only when the host asks for more room than they have.
import {
  PROGRAM_HEADER_SIZE, HDR_RULE_COUNT, HDR_RULESET_COUNT, HDR_RULESETS_OFFSET, HDR_BINDINGS_OFFSET,
  HDR_RULES_OFFSET, HDR_IFACE_COUNT, RULESET_SIZE, RS_FIRST_RULE, RS_RULE_COUNT, RS_DEFAULT_INBOUND,
  BINDING_SIZE, BIND_INPUT, BIND_OUTPUT, NO_RULESET, RULE_SIZE, R_ACTION, R_MARKS,
  DESC_SIZE, D_OFFSET, D_LENGTH, D_IF_IN, D_IF_OUT, D_DIR, D_LINK, D_MINUTE, D_DOW, D_DAY, D_MONTH,
  TUPLE_SIZE, T_DIR, T_IF_IN, T_IF_OUT, T_REASON, T_MINUTE, T_DOW, T_DAY, T_MONTH, T_LENGTH,
  RESULT_SIZE, RES_RULE, RES_MONITOR_RULE, HDR_MONITOR_RULESET, RES_VERDICT, RES_REASON, RES_STAGE, RES_MARKS, RES_INPUT_RULE, RES_OUTPUT_RULE,
  VERDICT_PERMIT, VERDICT_DENY, STAGE_INPUT, STAGE_OUTPUT, STAGE_NONE, DIR_OTHER,
  REASON_MATCHED, REASON_DEFAULT, REASON_EXPECTED, REASON_NO_FILTER, REASON_NO_PROGRAM, REASON_OK, REASON_NEIGHBOUR_DISCOVERY, HAS_ND,
  LOAD_OK, LOAD_TOO_LARGE,
  RULE_SIZE as L_RULE_SIZE, TUPLE_SIZE as L_TUPLE_SIZE, DESC_SIZE as L_DESC_SIZE,
  RESULT_SIZE as L_RESULT_SIZE, RULESET_SIZE as L_RULESET_SIZE, PROGRAM_MAGIC, PROGRAM_VERSION,
  T_SRC, T_DST, T_SPORT, R_DST_MASK1, R_SRC1, HAS_TCP_FLAGS, REASON_BAD_TCP_OFFSET, TEST_L4, MARK_DST_NEG,
  D_TIME_NS, T_TIME_NS, RES_FLOW, RES_FLOW_GEN, RES_CT_FLAGS, ACTION_DENY,
  T_FAMILY, T_PROTO, T_HAS, T_DPORT, T_TCP_FLAGS, HAS_PORTS, TCP_SYN, RS_RULE_COUNT as L_RS_RULE_COUNT,
} from "./layout";
import {
  EXP_SIZE, E_FAMILY, E_PROTO, E_SPORT, E_DPORT, E_CLIENT, E_DST, E_IF_IN, E_DIR, E_VIA_OUT,
  AFC_GRANTED, AFC_CONFLICT_PROTOCOL_RULES, CT_MISS, CT_EXPECTED,
} from "./conntrack-layout";
import { denyNamesService, ctClassify, ctAfterDecide, ctProgramLoaded, ctExpectValidate, ctExpectInsert, ctExpectStaging } from "./conntrack";
export {
  ctConfigure, ctSetTimeout, ctTimeout, ctFlush, ctFlowsPtr, ctCapacity, ctStatsPtr, ctExpectPtr,
  ctExpectCount, ctExpectStaging, ctExpectCancel, ctSweep, ctClock,
} from "./conntrack";
import { parsePacket } from "./parse";
import { buildHot, HOT_SIZE } from "./match";
import { validateProgram, badRule } from "./program";
import { buildIndexes, classifierMatch } from "./classifier/classifier";
export { setClassifierOptions, indexKind, indexBytes, indexReason, indexLeafSize } from "./classifier/classifier";
export { treeStat } from "./classifier/tree";

// ---- memory regions --------------------------------------------------------

class Region {
  ptr: usize = 0;
  cap: usize = 0;
}

// Make `r` hold at least `need` bytes (16-byte aligned). Old contents are not
// kept: callers refill a region after asking for it.
function reserve(r: Region, need: usize): usize {
  if (need > r.cap) {
    let cap: usize = need < 4096 ? <usize>4096 : need + (need >> 2);
    r.ptr = heap.alloc(cap);
    r.cap = cap;
  }
  return r.ptr;
}

const MAX_PROGRAM_BYTES: usize = 512 << 20;

let programs: StaticArray<Region> = [new Region(), new Region()];
let active: i32 = -1; // index of the active program slot, -1 before the first load
let staging: i32 = 0;
let activeLen: u32 = 0;

let hot = new Region(); // the matcher's prefilter array (match.ts)
let counters = new Region(); // per rule: u64 packets, u64 bytes
let defaultCounters = new Region(); // per ruleset: u64 packets, u64 bytes taking the default
let batch = new Region();
let batchCount: u32 = 0;
let batchDataBytes: u32 = 0;
let tuples = new Region();
let results = new Region();

// ---- program loading -------------------------------------------------------

/** Room for a program of `len` bytes in the staging slot; write it there, then call loadProgram. */
export function stagingBuffer(len: u32): usize {
  if (<usize>len > MAX_PROGRAM_BYTES) return 0;
  return reserve(programs[staging], <usize>len);
}

/** Validate the staged program; on success make it active (counters start at 0). */
export function loadProgram(len: u32): u32 {
  if (<usize>len > MAX_PROGRAM_BYTES || <usize>len > programs[staging].cap) return LOAD_TOO_LARGE;
  let p = programs[staging].ptr;
  let res = validateProgram(p, len);
  if (res != LOAD_OK) return res;
  let prev = active;
  active = staging;
  staging = prev < 0 ? 1 - active : prev;
  activeLen = len;
  let nRules = <usize>load<u32>(p, HDR_RULE_COUNT);
  let nSets = <usize>load<u32>(p, HDR_RULESET_COUNT);
  buildHot(p + load<u32>(p, HDR_RULES_OFFSET), reserve(hot, nRules * HOT_SIZE + 16), <u32>nRules);
  buildIndexes(p);
  ctProgramLoaded(p);
  memory.fill(reserve(counters, nRules * 16 + 16), 0, nRules * 16 + 16);
  memory.fill(reserve(defaultCounters, nSets * 16 + 16), 0, nSets * 16 + 16);
  return LOAD_OK;
}

export function badRuleIndex(): i32 {
  return badRule;
}

export function hasProgram(): bool {
  return active >= 0;
}

export function activeProgramPtr(): usize {
  return active < 0 ? 0 : programs[active].ptr;
}

export function activeProgramLength(): u32 {
  return active < 0 ? 0 : activeLen;
}

export function countersPtr(): usize {
  return counters.ptr;
}

export function defaultCountersPtr(): usize {
  return defaultCounters.ptr;
}

// ---- batches -----------------------------------------------------------------

/**
 * Room for `count` packets holding `dataBytes` bytes in all. The region is
 * [descriptors | packet data]; results go to resultsPtr().
 */
export function batchBuffer(count: u32, dataBytes: u32): usize {
  batchCount = count;
  batchDataBytes = dataBytes;
  reserve(results, <usize>count * RESULT_SIZE + 16);
  reserve(tuples, <usize>count * TUPLE_SIZE + 16);
  return reserve(batch, <usize>count * DESC_SIZE + <usize>dataBytes + 16);
}

export function batchDataPtr(): usize {
  return batch.ptr + <usize>batchCount * DESC_SIZE;
}

export function resultsPtr(): usize {
  return results.ptr;
}

export function tuplesPtr(): usize {
  return tuples.ptr;
}

/** Room for `count` header tuples written directly by the host (classifyTuples). */
export function tupleBuffer(count: u32): usize {
  reserve(results, <usize>count * RESULT_SIZE + 16);
  return reserve(tuples, <usize>count * TUPLE_SIZE + 16);
}

/** Parse the batch's packets into tuples without classifying them (for tests and tools). */
export function parseBatch(count: u32): u32 {
  if (count > batchCount) count = batchCount;
  let data = batch.ptr + <usize>batchCount * DESC_SIZE;
  for (let i: u32 = 0; i < count; i++) {
    let d = batch.ptr + <usize>i * DESC_SIZE;
    let t = tuples.ptr + <usize>i * TUPLE_SIZE;
    let off = load<u32>(d, D_OFFSET);
    let len = load<u32>(d, D_LENGTH);
    // A descriptor pointing outside the data region is a malformed packet too.
    if (<u64>off + <u64>len > <u64>batchDataBytes) len = 0;
    parsePacket(data + off, len, <u32>load<u8>(d, D_LINK), t);
    store<u8>(t, load<u8>(d, D_DIR), T_DIR);
    store<u8>(t, load<u8>(d, D_IF_IN), T_IF_IN);
    store<u8>(t, load<u8>(d, D_IF_OUT), T_IF_OUT);
    store<u16>(t, load<u16>(d, D_MINUTE), T_MINUTE);
    store<u8>(t, load<u8>(d, D_DOW), T_DOW);
    store<u8>(t, load<u8>(d, D_DAY), T_DAY);
    store<u8>(t, load<u8>(d, D_MONTH), T_MONTH);
    store<u64>(t, load<u64>(d, D_TIME_NS), T_TIME_NS);
  }
  return count;
}

/** Parse and classify the batch's packets; one result per packet. */
export function classifyBatch(count: u32): u32 {
  count = parseBatch(count);
  return classifyTuples(count);
}

/** Classify `count` tuples already in the tuple region. */
export function classifyTuples(count: u32): u32 {
  return classifyTupleRange(0, count);
}

/**
 * Classify tuples [first, first + count) of the tuple region into the same
 * slots of the result region: a large trace is staged once and then
 * classified in batches of any size.
 */
export function classifyTupleRange(first: u32, count: u32): u32 {
  let res = results.ptr + <usize>first * RESULT_SIZE;
  let t = tuples.ptr + <usize>first * TUPLE_SIZE;
  if (active < 0) {
    for (let i: u32 = 0; i < count; i++) {
      writeResult(res + <usize>i * RESULT_SIZE, -1, VERDICT_DENY, REASON_NO_PROGRAM, STAGE_NONE, 0, -1, -1);
    }
    return count;
  }
  let p = programs[active].ptr;
  for (let i: u32 = 0; i < count; i++) {
    classifyOne(p, t + <usize>i * TUPLE_SIZE, res + <usize>i * RESULT_SIZE);
  }
  return count;
}

// @ts-ignore: decorator
@inline function writeResult(res: usize, rule: i32, verdict: u32, reason: u32, stage: u32, marks: u32, inRule: i32, outRule: i32): void {
  store<i32>(res, -1, RES_MONITOR_RULE);
  store<i32>(res, rule, RES_RULE);
  store<u8>(res, <u8>verdict, RES_VERDICT);
  store<u8>(res, <u8>reason, RES_REASON);
  store<u8>(res, <u8>stage, RES_STAGE);
  store<u8>(res, <u8>marks, RES_MARKS);
  store<i32>(res, inRule, RES_INPUT_RULE);
  store<i32>(res, outRule, RES_OUTPUT_RULE);
  store<i32>(res, -1, RES_FLOW);
  store<u32>(res, 0, RES_FLOW_GEN);
  store<u8>(res, 0, RES_CT_FLAGS);
}

// The counter slots runStage bumped for the packet being decided (at most
// one per stage). A packet let in by a pinhole over a deny (a rule or a
// default) counts once, against the tracked state (REASON_EXPECTED), not also
// against what it overrode: uncount takes those counts back.
let countedSlot0: usize = 0;
let countedSlot1: usize = 0;
let countedSlots: u32 = 0;

// @ts-ignore: decorator
@inline function noteCounted(c: usize): void {
  if (countedSlots == 0) countedSlot0 = c;
  else countedSlot1 = c;
  countedSlots++;
}

function uncount(len: u64): void {
  for (let i: u32 = 0; i < countedSlots && i < 2; i++) {
    let c = i == 0 ? countedSlot0 : countedSlot1;
    store<u64>(c, load<u64>(c) - 1);
    store<u64>(c, load<u64>(c, 8) - len, 8);
  }
  countedSlots = 0;
}

// Stage outcome, packed: bit 0 = deny, bits 1.. = rule index + 1 (0 = default).
// @ts-ignore: decorator
@inline function runStage(p: usize, rsIndex: u32, t: usize): i64 {
  let rs = p + load<u32>(p, HDR_RULESETS_OFFSET) + <usize>rsIndex * RULESET_SIZE;
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  let idx = classifierMatch(rsIndex, rules, hot.ptr, load<u32>(rs, RS_FIRST_RULE), load<u32>(rs, RS_RULE_COUNT), t);
  let len = <u64>load<u32>(t, T_LENGTH);
  if (idx >= 0) {
    let c = counters.ptr + <usize>idx * 16;
    store<u64>(c, load<u64>(c) + 1);
    store<u64>(c, load<u64>(c, 8) + len, 8);
    noteCounted(c);
    // Action and marks from the hot prefilter's copy of the record's first
    // word (same offsets): the matcher may not have touched the record.
    let deny = <i64>load<u8>(hot.ptr + <usize>idx * HOT_SIZE, R_ACTION);
    return ((<i64>idx + 1) << 1) | deny;
  }
  let c = defaultCounters.ptr + <usize>rsIndex * 16;
  store<u64>(c, load<u64>(c) + 1);
  store<u64>(c, load<u64>(c, 8) + len, 8);
  noteCounted(c);
  let dir = <u32>load<u8>(t, T_DIR);
  if (dir > <u32>DIR_OTHER) dir = <u32>DIR_OTHER;
  return <i64>load<u8>(rs + RS_DEFAULT_INBOUND + dir);
}

function classifyOne(p: usize, t: usize, res: usize): void {
  let reason = <u32>load<u8>(t, T_REASON);
  if (reason != REASON_OK) {
    writeResult(res, -1, VERDICT_DENY, reason, STAGE_NONE, 0, -1, -1);
    return;
  }
  // Neighbour discovery passes unfiltered, as ARP does (layout.ts, HAS_ND):
  // no rule, no flow, no counter, no monitor rule.
  if (<u32>load<u8>(t, T_HAS) & HAS_ND) {
    writeResult(res, -1, VERDICT_PERMIT, REASON_NEIGHBOUR_DISCOVERY, STAGE_NONE, 0, -1, -1);
    return;
  }
  // The connection table first: a tracked flow's packets, and ICMP errors
  // about one, pass without the rules; a permit may then create a flow.
  let ct = ctClassify(t, res);
  if (ct == CT_MISS || ct == CT_EXPECTED) {
    countedSlots = 0;
    decide(p, t, res);
    let ruledDeny = <u32>load<u8>(res, RES_VERDICT) == VERDICT_DENY;
    ctAfterDecide(p, t, res, ct);
    if (ruledDeny && <u32>load<u8>(res, RES_REASON) == REASON_EXPECTED) uncount(<u64>load<u32>(t, T_LENGTH));
  }
  let mon = <u32>load<u16>(p, HDR_MONITOR_RULESET);
  if (mon != NO_RULESET) {
    let rs = p + load<u32>(p, HDR_RULESETS_OFFSET) + <usize>mon * RULESET_SIZE;
    let idx = classifierMatch(mon, p + load<u32>(p, HDR_RULES_OFFSET), hot.ptr, load<u32>(rs, RS_FIRST_RULE), load<u32>(rs, RS_RULE_COUNT), t);
    store<i32>(res, idx, RES_MONITOR_RULE);
    if (idx >= 0) {
      let c = counters.ptr + <usize>idx * 16;
      store<u64>(c, load<u64>(c) + 1);
      store<u64>(c, load<u64>(c, 8) + <u64>load<u32>(t, T_LENGTH), 8);
    }
  }
}

// The deciding stages: input ruleset of the ingress interface, then output
// ruleset of the egress interface; the first deny ends it.
function decide(p: usize, t: usize, res: usize): void {
  let ifaces = <u32>load<u16>(p, HDR_IFACE_COUNT);
  let bind = p + load<u32>(p, HDR_BINDINGS_OFFSET);
  let ifIn = <u32>load<u8>(t, T_IF_IN);
  let ifOut = <u32>load<u8>(t, T_IF_OUT);
  let inRs = ifIn < ifaces ? <u32>load<u16>(bind + ifIn * BINDING_SIZE, BIND_INPUT) : NO_RULESET;
  let outRs = ifOut < ifaces ? <u32>load<u16>(bind + ifOut * BINDING_SIZE, BIND_OUTPUT) : NO_RULESET;
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  let inRule: i32 = -1;
  let outRule: i32 = -1;
  if (inRs != NO_RULESET) {
    let s = runStage(p, inRs, t);
    inRule = <i32>(s >> 1) - 1;
    if (s & 1) {
      let marks = inRule >= 0 ? <u32>load<u8>(hot.ptr + <usize>inRule * HOT_SIZE, R_MARKS) : 0;
      writeResult(res, inRule, VERDICT_DENY, inRule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_INPUT, marks, inRule, -1);
      return;
    }
  }
  if (outRs != NO_RULESET) {
    let s = runStage(p, outRs, t);
    outRule = <i32>(s >> 1) - 1;
    let marks = outRule >= 0 ? <u32>load<u8>(hot.ptr + <usize>outRule * HOT_SIZE, R_MARKS) : 0;
    writeResult(res, outRule, <u32>(s & 1), outRule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_OUTPUT, marks, inRule, outRule);
    return;
  }
  if (inRs != NO_RULESET) {
    let marks = inRule >= 0 ? <u32>load<u8>(hot.ptr + <usize>inRule * HOT_SIZE, R_MARKS) : 0;
    writeResult(res, inRule, VERDICT_PERMIT, inRule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_INPUT, marks, inRule, -1);
    return;
  }
  writeResult(res, -1, VERDICT_PERMIT, REASON_NO_FILTER, STAGE_NONE, 0, -1, -1);
}

// ---- AllowFutureConnect --------------------------------------------------------

let probeTuple: usize = heap.alloc(TUPLE_SIZE);

/**
 * AllowFutureConnect for the expectation the host staged at ctExpectStaging():
 * AFC_* result; on AFC_GRANTED the expectation's serial is at ctLastExpectId().
 * The host has already checked the site-and-content deny list.
 */
export function ctAllowFutureConnect(nowNs: u64): u32 {
  let code = ctExpectValidate(nowNs);
  if (code != AFC_GRANTED) return code;
  if (active >= 0 && explicitlyDenied(programs[active].ptr, ctExpectStaging())) return AFC_CONFLICT_PROTOCOL_RULES;
  lastExpectId = ctExpectInsert();
  return AFC_GRANTED;
}

let lastExpectId: u32 = 0;

export function ctLastExpectId(): u32 {
  return lastExpectId;
}

// Would an explicit deny rule stop the expected connection's first packet?
// (A default deny would not: opening what the default closes is the point of
// an expectation.) The source port is unknown before the connection: the
// requested one, else 49152, the first of the dynamic ports. Read-only:
// firstMatch counts nothing.
function explicitlyDenied(p: usize, e: usize): bool {
  let t = probeTuple;
  memory.fill(t, 0, TUPLE_SIZE);
  let proto = <u32>load<u8>(e, E_PROTO);
  store<u8>(t, load<u8>(e, E_FAMILY), T_FAMILY);
  store<u8>(t, <u8>proto, T_PROTO);
  let sport = <u32>load<u16>(e, E_SPORT);
  store<u16>(t, <u16>(sport != 0 ? sport : 49152), T_SPORT);
  store<u16>(t, load<u16>(e, E_DPORT), T_DPORT);
  store<u8>(t, proto == 6 ? HAS_PORTS | HAS_TCP_FLAGS : HAS_PORTS, T_HAS);
  if (proto == 6) store<u8>(t, TCP_SYN, T_TCP_FLAGS);
  memory.copy(t + T_SRC, e + E_CLIENT, 16);
  memory.copy(t + T_DST, e + E_DST, 16);
  store<u8>(t, load<u8>(e, E_IF_IN), T_IF_IN);
  store<u8>(t, load<u8>(e, E_VIA_OUT), T_IF_OUT);
  store<u8>(t, load<u8>(e, E_DIR), T_DIR);
  let ifaces = <u32>load<u16>(p, HDR_IFACE_COUNT);
  let bind = p + load<u32>(p, HDR_BINDINGS_OFFSET);
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  let ifIn = <u32>load<u8>(t, T_IF_IN);
  let ifOut = <u32>load<u8>(t, T_IF_OUT);
  let inRs = ifIn < ifaces ? <u32>load<u16>(bind + ifIn * BINDING_SIZE, BIND_INPUT) : NO_RULESET;
  let outRs = ifOut < ifaces ? <u32>load<u16>(bind + ifOut * BINDING_SIZE, BIND_OUTPUT) : NO_RULESET;
  for (let k = 0; k < 2; k++) {
    let rsIndex = k == 0 ? inRs : outRs;
    if (rsIndex == NO_RULESET) continue;
    let rs = p + load<u32>(p, HDR_RULESETS_OFFSET) + <usize>rsIndex * RULESET_SIZE;
    let idx = classifierMatch(rsIndex, rules, hot.ptr, load<u32>(rs, RS_FIRST_RULE), load<u32>(rs, L_RS_RULE_COUNT), t);
    if (denyNamesService(p, idx)) return true;
  }
  return false;
}

// ---- layout agreement ------------------------------------------------------

/** Values of the layout as compiled into this module, checked by test/layout.test.ts. */
export function layoutValue(id: i32): i32 {
  switch (id) {
    case 0: return PROGRAM_MAGIC;
    case 1: return PROGRAM_VERSION;
    case 2: return PROGRAM_HEADER_SIZE;
    case 3: return L_RULE_SIZE;
    case 4: return L_RULESET_SIZE;
    case 5: return BINDING_SIZE;
    case 6: return L_DESC_SIZE;
    case 7: return L_TUPLE_SIZE;
    case 8: return L_RESULT_SIZE;
    case 9: return R_SRC1;
    case 10: return R_DST_MASK1;
    case 11: return T_SRC;
    case 12: return T_DST;
    case 13: return T_SPORT;
    case 14: return HAS_TCP_FLAGS;
    case 15: return REASON_BAD_TCP_OFFSET;
    case 16: return TEST_L4;
    case 17: return MARK_DST_NEG;
    case 18: return RES_OUTPUT_RULE;
    case 19: return D_MONTH;
    default: return -1;
  }
}
