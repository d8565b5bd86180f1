// The connection table: tracked flows and expectations (pinholes), in linear
// memory of a fixed size chosen at configuration time, so nothing grows
// under a flood. Layout: conntrack-layout.ts. The packet pipeline
// (index.ts classifyOne) asks ctClassify first; when the rules decided,
// ctAfterDecide creates the flow. Time is the packets' own timestamps.
//
// The index is open addressing with linear probing over twice as many slots
// as flows (load <= 1/2), one slot per flow under a hash that is the same for
// both directions; deletion shifts entries back, so there are no tombstones.
import {
  T_FAMILY, T_PROTO, T_FRAG, T_HAS, T_SPORT, T_DPORT, T_ICMP_TYPE, T_TCP_FLAGS, T_SRC, T_DST, T_DIR,
  T_IF_IN, T_IF_OUT, T_TIME_NS, T_LENGTH, T_TCP_SEQ, T_TCP_ACK, T_TCP_WINDOW, T_L4_PAYLOAD, T_ICMP_ID,
  T_INNER_PROTO, T_INNER_FAMILY, T_INNER_SPORT, T_INNER_DPORT, T_INNER_SRC, T_INNER_DST,
  FRAG_LATER, HAS_PORTS, HAS_ICMP_ID, HAS_INNER, TCP_SYN, TCP_ACK, TCP_RST, TCP_FIN,
  RES_RULE, RES_VERDICT, RES_REASON, RES_STAGE, RES_MARKS, RES_INPUT_RULE, RES_OUTPUT_RULE, RES_MONITOR_RULE,
  RES_FLOW, RES_FLOW_GEN, RES_CT_FLAGS, CTR_NEW, CTR_SLOW_PATH,
  VERDICT_PERMIT, VERDICT_DENY, STAGE_NONE, REASON_MATCHED, REASON_STATE, REASON_EXPECTED, REASON_RELATED,
  HDR_IFACE_COUNT, HDR_BINDINGS_OFFSET, HDR_RULESETS_OFFSET, HDR_RULES_OFFSET, HDR_RULE_COUNT, HDR_RULESET_COUNT, BINDING_SIZE, BIND_INPUT,
  BIND_OUTPUT, NO_RULESET, RULESET_SIZE, RS_FLAGS, RS_STATEFUL, RULE_SIZE, R_MARKS, MARK_KEEP_STATE, R_ACTION, R_TESTS, ACTION_DENY, TEST_SPORT, TEST_DPORT,
} from "./layout";
import {
  FLOW_SIZE, F_FAMILY, F_PROTO, F_STATE, F_FLAGS, F_SPORT, F_DPORT, F_SRC, F_DST, F_LAST_SEEN, F_HASH,
  F_GEN, F_END0, F_END1, F_WIN0, F_WIN1, F_RULE, F_NEXT, F_PACKETS, F_IF_IN, F_IF_OUT, F_DIR, F_BYTES, F_CREATED,
  CT_FREE, CT_NONE, CT_SYN_SENT, CT_SYN_RECV, CT_ESTABLISHED, CT_FIN_WAIT, CT_CLOSING, CT_CLOSED,
  CTF_REPLIED, CTF_FIN0, CTF_FIN1, CTF_SLOW_PATH, CTF_EXPECTED, CTF_ONE_WAY,
  TO_TCP_OPENING, TO_TCP_ESTABLISHED, TO_TCP_CLOSING, TO_TCP_CLOSED, TO_UDP, TO_ICMP, TO_OTHER, TO_EXPECT,
  TO_COUNT, DEFAULT_TO_TCP_OPENING, DEFAULT_TO_TCP_ESTABLISHED, DEFAULT_TO_TCP_CLOSING, DEFAULT_TO_TCP_CLOSED,
  DEFAULT_TO_UDP, DEFAULT_TO_ICMP, DEFAULT_TO_OTHER, DEFAULT_TO_EXPECT, DEFAULT_CAPACITY, MAX_CAPACITY,
  EVICT_SCAN, EVICT_SCAN_MAX,
  EXP_SIZE, E_FAMILY, E_PROTO, E_FLAGS, E_IF_OUT, E_DPORT, E_SPORT, E_CLIENT, E_DST, E_CREATED, E_EXPIRES,
  E_MASTER, E_MASTER_GEN, E_USES, E_ID, MAX_EXPECTATIONS, ANY_IFACE, NO_FLOW,
  AFC_ADDRESS_BASED, AFC_ALLOW_MULTIPLE, AFC_TIMEOUT, AFC_NO_KERNEL_MODE, AFC_BIDIRECTIONAL, AFC_ALL,
  AFC_GRANTED, AFC_INVALID_ARGS,
  ST_FLOWS, ST_CAPACITY, ST_CREATED, ST_EVICTED, ST_UNTRACKED, ST_EXPIRED, ST_INVALID, ST_STATE_HITS,
  ST_RELATED, ST_EXPECT_GRANTED, ST_EXPECT_USED, ST_EXPECT_EXPIRED, ST_EXPECT_LIVE, ST_EXPECT_DROPPED,
  ST_COUNT, CT_MISS, CT_DECIDED, CT_EXPECTED,
} from "./conntrack-layout";

const NS: u64 = 1_000_000_000;

let capacity: u32 = DEFAULT_CAPACITY; // flows the table holds (takes effect at allocation)
let allocated: u32 = 0; // records allocated; 0 = no table yet
let flows: usize = 0;
let index: usize = 0;
let slotMask: u32 = 0;
let allocatedSlots: u32 = 0;
let freeHead: u32 = 0; // record index + 1; 0 = none free
let count: u32 = 0;
let hand: u32 = 0; // eviction and reaping cursor
let clock: u64 = 0; // the latest packet timestamp seen (ns)

let stats: usize = heap.alloc(ST_COUNT * 8);
memory.fill(stats, 0, ST_COUNT * 8);
let timeouts = new StaticArray<u64>(TO_COUNT);
timeouts[TO_TCP_OPENING] = <u64>DEFAULT_TO_TCP_OPENING * NS;
timeouts[TO_TCP_ESTABLISHED] = <u64>DEFAULT_TO_TCP_ESTABLISHED * NS;
timeouts[TO_TCP_CLOSING] = <u64>DEFAULT_TO_TCP_CLOSING * NS;
timeouts[TO_TCP_CLOSED] = <u64>DEFAULT_TO_TCP_CLOSED * NS;
timeouts[TO_UDP] = <u64>DEFAULT_TO_UDP * NS;
timeouts[TO_ICMP] = <u64>DEFAULT_TO_ICMP * NS;
timeouts[TO_OTHER] = <u64>DEFAULT_TO_OTHER * NS;
timeouts[TO_EXPECT] = <u64>DEFAULT_TO_EXPECT * NS;

let exps: usize = heap.alloc(MAX_EXPECTATIONS * EXP_SIZE);
let expCount: u32 = 0;
let expSerial: u32 = 0;
let expStaging: usize = heap.alloc(EXP_SIZE);

// Between ctClassify and ctAfterDecide for one packet.
let pendingExp: i32 = -1;
let noCreate = false;
// Set by find(): 0 if the packet goes the originator's way, 1 if it is a reply.
let foundDir: u32 = 0;

// @ts-ignore: decorator
@inline function bump(i: i32): void {
  let p = stats + (<usize>i << 3);
  store<u64>(p, load<u64>(p) + 1);
}

// ---- configuration -----------------------------------------------------------

/** Set the table's capacity (flows); the table is emptied. False if out of range. */
export function ctConfigure(cap: u32): bool {
  if (cap == 0 || cap > <u32>MAX_CAPACITY) return false;
  capacity = cap;
  if (allocated != 0) allocate();
  return true;
}

export function ctSetTimeout(cls: u32, seconds: u32): bool {
  if (cls >= <u32>TO_COUNT || seconds == 0) return false;
  timeouts[cls] = <u64>seconds * NS;
  return true;
}

export function ctTimeout(cls: u32): u32 {
  return cls < <u32>TO_COUNT ? <u32>(timeouts[cls] / NS) : 0;
}

// Memory is taken once and reused by any later capacity that fits in it
// (the stub runtime never frees).
function allocate(): void {
  let slots: u32 = 1;
  while (slots < capacity * 2) slots <<= 1;
  if (capacity > allocated) {
    flows = heap.alloc(<usize>capacity * FLOW_SIZE);
    memory.fill(flows, 0, <usize>capacity * FLOW_SIZE);
    allocated = capacity;
  }
  if (slots > allocatedSlots) {
    index = heap.alloc(<usize>slots << 2);
    allocatedSlots = slots;
  }
  slotMask = slots - 1;
  clear();
}

function clear(): void {
  memory.fill(index, 0, (<usize>slotMask + 1) << 2);
  for (let i: u32 = 0; i < capacity; i++) {
    let r = flows + <usize>i * FLOW_SIZE;
    let gen = load<u32>(r, F_GEN) + 1;
    memory.fill(r, 0, FLOW_SIZE);
    store<u32>(r, gen, F_GEN);
    store<u32>(r, i + 2 <= capacity ? i + 2 : 0, F_NEXT);
  }
  freeHead = 1;
  count = 0;
  hand = 0;
  expCount = 0;
}

// @ts-ignore: decorator
@inline function ensureTable(): void {
  if (flows == 0) allocate();
}

/** Forget every flow and expectation, and restart the clock (counters stay). */
export function ctFlush(): void {
  if (flows != 0) clear();
  expCount = 0;
  clock = 0;
}

export function ctFlowsPtr(): usize {
  return flows;
}

export function ctCapacity(): u32 {
  return flows != 0 ? capacity : 0;
}

export function ctStatsPtr(): usize {
  store<u64>(stats + (ST_FLOWS << 3), count);
  store<u64>(stats + (ST_CAPACITY << 3), capacity);
  store<u64>(stats + (ST_EXPECT_LIVE << 3), expCount);
  return stats;
}

export function ctExpectPtr(): usize {
  return exps;
}

export function ctExpectCount(): u32 {
  return expCount;
}

export function ctExpectStaging(): usize {
  return expStaging;
}

export function ctClock(): u64 {
  return clock;
}

// ---- keys, hashing, lookup ---------------------------------------------------

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
function flowHash(src: usize, dst: usize, proto: u32, sport: u32, dport: u32): u32 {
  return mix(endpointHash(src, sport) + endpointHash(dst, dport) + proto);
}

// @ts-ignore: decorator
@inline function sameAddr(a: usize, b: usize): bool {
  return load<u64>(a) == load<u64>(b) && load<u64>(a, 8) == load<u64>(b, 8);
}

// @ts-ignore: decorator
@inline function rec(id: u32): usize {
  return flows + <usize>id * FLOW_SIZE;
}

// The flow with this key in either direction, or -1; sets foundDir.
function find(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32, h: u32): i32 {
  let slot = h & slotMask;
  while (true) {
    let e = load<u32>(index + (<usize>slot << 2));
    if (e == 0) return -1;
    let r = rec(e - 1);
    if (load<u32>(r, F_HASH) == h && <u32>load<u8>(r, F_FAMILY) == family && <u32>load<u8>(r, F_PROTO) == proto) {
      let fs = <u32>load<u16>(r, F_SPORT);
      let fd = <u32>load<u16>(r, F_DPORT);
      if (fs == sport && fd == dport && sameAddr(r + F_SRC, src) && sameAddr(r + F_DST, dst)) {
        foundDir = 0;
        return <i32>(e - 1);
      }
      if (fs == dport && fd == sport && sameAddr(r + F_SRC, dst) && sameAddr(r + F_DST, src)) {
        foundDir = 1;
        return <i32>(e - 1);
      }
    }
    slot = (slot + 1) & slotMask;
  }
  return -1;
}

function timeoutClass(r: usize): i32 {
  let proto = <u32>load<u8>(r, F_PROTO);
  if (proto == 6) {
    let s = <u32>load<u8>(r, F_STATE);
    if (s == CT_ESTABLISHED) return TO_TCP_ESTABLISHED;
    if (s == CT_SYN_SENT || s == CT_SYN_RECV) return TO_TCP_OPENING;
    if (s == CT_CLOSED) return TO_TCP_CLOSED;
    return TO_TCP_CLOSING;
  }
  if (proto == 17 || proto == 136) return TO_UDP;
  if (proto == 1 || proto == 58) return TO_ICMP;
  return TO_OTHER;
}

// @ts-ignore: decorator
@inline function expired(r: usize, now: u64): bool {
  let last = load<u64>(r, F_LAST_SEEN);
  return now > last && now - last > timeouts[timeoutClass(r)];
}

// Established flows are what the table exists for: only opening, closing and
// never-answered flows may make room for a new one.
// @ts-ignore: decorator
@inline function evictable(r: usize): bool {
  let s = <u32>load<u8>(r, F_STATE);
  if (s == CT_ESTABLISHED) return false;
  if (s == CT_NONE) return (load<u8>(r, F_FLAGS) & CTF_REPLIED) == 0;
  return true;
}

function unlink(id: u32): void {
  let r = rec(id);
  let mask = slotMask;
  let i = load<u32>(r, F_HASH) & mask;
  while (load<u32>(index + (<usize>i << 2)) != id + 1) i = (i + 1) & mask;
  // Backward-shift deletion: pull later entries of the probe run into the
  // hole unless their home slot lies cyclically in (hole, entry].
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    let e = load<u32>(index + (<usize>j << 2));
    if (e == 0) break;
    let k = load<u32>(rec(e - 1), F_HASH) & mask;
    let stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (stays) continue;
    store<u32>(index + (<usize>i << 2), e);
    i = j;
  }
  store<u32>(index + (<usize>i << 2), 0);
  store<u8>(r, CT_FREE, F_STATE);
  store<u8>(r, 0, F_FLAGS);
  store<u32>(r, load<u32>(r, F_GEN) + 1, F_GEN);
  store<u32>(r, freeHead, F_NEXT);
  freeHead = id + 1;
  count--;
}

// A free record: from the free list, else the oldest evictable one among the
// next EVICT_SCAN from the cursor (an expired one at once), looking further,
// up to EVICT_SCAN_MAX, only while none is found. -1: none may go.
function takeRecord(now: u64): i32 {
  if (freeHead == 0) {
    let victim: i32 = -1;
    let oldest: u64 = 0;
    for (let n: u32 = 0; n < <u32>EVICT_SCAN_MAX; n++) {
      if (n >= <u32>EVICT_SCAN && victim >= 0) break;
      let id = hand;
      hand = hand + 1 >= capacity ? 0 : hand + 1;
      let r = rec(id);
      if (load<u8>(r, F_STATE) == CT_FREE) continue;
      if (expired(r, now)) {
        unlink(id);
        bump(ST_EXPIRED);
        victim = -1;
        break;
      }
      if (evictable(r) && (victim < 0 || load<u64>(r, F_LAST_SEEN) < oldest)) {
        victim = <i32>id;
        oldest = load<u64>(r, F_LAST_SEEN);
      }
    }
    if (freeHead == 0) {
      if (victim < 0) return -1;
      unlink(<u32>victim);
      bump(ST_EVICTED);
    }
  } else {
    reapSome(now, 2);
  }
  let id = freeHead - 1;
  freeHead = load<u32>(rec(id), F_NEXT);
  return <i32>id;
}

// Amortised garbage collection: look at `n` records at the cursor.
function reapSome(now: u64, n: u32): void {
  for (let k: u32 = 0; k < n; k++) {
    let id = hand;
    hand = hand + 1 >= capacity ? 0 : hand + 1;
    let r = rec(id);
    if (load<u8>(r, F_STATE) != CT_FREE && expired(r, now)) {
      unlink(id);
      bump(ST_EXPIRED);
    }
  }
}

/** Remove every expired flow and dead expectation at time `nowNs` (or the table's clock, if later). */
export function ctSweep(nowNs: u64): void {
  if (nowNs > clock) clock = nowNs;
  if (flows != 0) {
    for (let id: u32 = 0; id < capacity; id++) {
      let r = rec(id);
      if (load<u8>(r, F_STATE) != CT_FREE && expired(r, clock)) {
        unlink(id);
        bump(ST_EXPIRED);
      }
    }
  }
  let i: u32 = 0;
  while (i < expCount) {
    if (!expectAlive(exps + <usize>i * EXP_SIZE, clock)) removeExpectation(i);
    else i++;
  }
}

// ---- the packet path ---------------------------------------------------------

// @ts-ignore: decorator
@inline function isIcmp(proto: u32): bool {
  return proto == 1 || proto == 58;
}

// The ports of the flow key: real ports, an echo's identifier twice, or 0 for
// protocols without ports. ICMP other than echo is never a flow.
// @ts-ignore: decorator
@inline function trackable(t: usize, proto: u32, has: u32): bool {
  if (proto == 6) return (has & HAS_PORTS) != 0;
  if (isIcmp(proto)) return (has & HAS_ICMP_ID) != 0;
  return true;
}

// @ts-ignore: decorator
@inline function keySport(t: usize, has: u32): u32 {
  if (has & HAS_PORTS) return <u32>load<u16>(t, T_SPORT);
  if (has & HAS_ICMP_ID) return <u32>load<u16>(t, T_ICMP_ID);
  return 0;
}

// @ts-ignore: decorator
@inline function keyDport(t: usize, has: u32): u32 {
  if (has & HAS_PORTS) return <u32>load<u16>(t, T_DPORT);
  if (has & HAS_ICMP_ID) return <u32>load<u16>(t, T_ICMP_ID);
  return 0;
}

// Would this packet open a connection? TCP: a bare SYN. Echo: a request.
// Anything else that is trackable: yes.
function opens(t: usize, proto: u32): bool {
  if (proto == 6) return (<u32>load<u8>(t, T_TCP_FLAGS) & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN;
  if (isIcmp(proto)) {
    let type = <u32>load<u8>(t, T_ICMP_TYPE);
    return proto == 1 ? type == 8 : type == 128;
  }
  return true;
}

function writeCt(res: usize, verdict: u32, reason: u32, id: u32, flags: u32): void {
  writeDecision(res, verdict, reason);
  tagFlow(res, id, flags);
}

function writeDecision(res: usize, verdict: u32, reason: u32): void {
  store<i32>(res, -1, RES_RULE);
  store<u8>(res, <u8>verdict, RES_VERDICT);
  store<u8>(res, <u8>reason, RES_REASON);
  store<u8>(res, STAGE_NONE, RES_STAGE);
  store<u8>(res, 0, RES_MARKS);
  store<i32>(res, -1, RES_INPUT_RULE);
  store<i32>(res, -1, RES_OUTPUT_RULE);
  store<i32>(res, -1, RES_MONITOR_RULE);
}

// @ts-ignore: decorator
@inline function tagFlow(res: usize, id: u32, flags: u32): void {
  store<i32>(res, <i32>id, RES_FLOW);
  store<u32>(res, load<u32>(rec(id), F_GEN), RES_FLOW_GEN);
  let f = flags;
  if (load<u8>(rec(id), F_FLAGS) & CTF_SLOW_PATH) f |= CTR_SLOW_PATH;
  store<u8>(res, <u8>f, RES_CT_FLAGS);
}

const ADVANCE_OK: u32 = 0;
const ADVANCE_INVALID: u32 = 1; // fails the checks: the rules decide, the flow is untouched
const ADVANCE_RULES: u32 = 2; // not part of the flow (one-way flow's reply): the rules decide
const ADVANCE_NEW: u32 = 3; // a new connection reusing a closed flow's key

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

function advance(r: usize, d: u32, t: usize, proto: u32): u32 {
  if (proto == 6) return advanceTcp(r, d, t);
  if (d == 1 && (load<u8>(r, F_FLAGS) & CTF_ONE_WAY) != 0) return ADVANCE_RULES;
  if (isIcmp(proto)) {
    let type = <u32>load<u8>(t, T_ICMP_TYPE);
    let want: u32 = proto == 1 ? (d == 0 ? 8 : 0) : (d == 0 ? 128 : 129);
    if (type != want) return ADVANCE_RULES;
  }
  return ADVANCE_OK;
}

/**
 * The table's say on one well-formed packet. CT_DECIDED: the result is
 * written (a tracked flow or an ICMP error related to one). CT_EXPECTED: an
 * expectation matches; the rules run, then ctAfterDecide. CT_MISS: the rules
 * decide, and ctAfterDecide may create a flow.
 */
export function ctClassify(t: usize, res: usize): u32 {
  pendingExp = -1;
  noCreate = false;
  let time = load<u64>(t, T_TIME_NS);
  if (time > clock) clock = time;
  if (flows == 0) return CT_MISS;
  if (load<u8>(t, T_FRAG) == FRAG_LATER) return CT_MISS;
  let now = clock;
  let has = <u32>load<u8>(t, T_HAS);
  let proto = <u32>load<u8>(t, T_PROTO);
  let family = <u32>load<u8>(t, T_FAMILY);
  if (has & HAS_INNER) {
    noCreate = true; // an ICMP error never opens a flow
    let ip = <u32>load<u8>(t, T_INNER_PROTO);
    let sp = <u32>load<u16>(t, T_INNER_SPORT);
    let dp = <u32>load<u16>(t, T_INNER_DPORT);
    if (<u32>load<u8>(t, T_INNER_FAMILY) != family) return CT_MISS;
    let id = find(family, ip, t + T_INNER_SRC, t + T_INNER_DST, sp, dp, flowHash(t + T_INNER_SRC, t + T_INNER_DST, ip, sp, dp));
    // The error must go back to whoever sent the packet it quotes.
    if (id < 0 || expired(rec(<u32>id), now) || !sameAddr(t + T_DST, t + T_INNER_SRC)) return CT_MISS;
    bump(ST_RELATED);
    writeCt(res, VERDICT_PERMIT, REASON_RELATED, <u32>id, 0);
    return CT_DECIDED;
  }
  if (!trackable(t, proto, has)) return CT_MISS;
  let sport = keySport(t, has);
  let dport = keyDport(t, has);
  let h = flowHash(t + T_SRC, t + T_DST, proto, sport, dport);
  let id = find(family, proto, t + T_SRC, t + T_DST, sport, dport, h);
  if (id >= 0) {
    let r = rec(<u32>id);
    if (expired(r, now)) {
      unlink(<u32>id);
      bump(ST_EXPIRED);
    } else {
      let d = foundDir;
      let before = <u32>load<u8>(r, F_STATE);
      let a = advance(r, d, t, proto);
      if (a == ADVANCE_OK) {
        // A closed flow only lingers for stragglers: they do not extend it.
        if (before != CT_CLOSED) store<u64>(r, now, F_LAST_SEEN);
        store<u64>(r, load<u64>(r, F_PACKETS) + 1, F_PACKETS);
        store<u64>(r, load<u64>(r, F_BYTES) + <u64>load<u32>(t, T_LENGTH), F_BYTES);
        if (d == 1) store<u8>(r, load<u8>(r, F_FLAGS) | CTF_REPLIED, F_FLAGS);
        bump(ST_STATE_HITS);
        writeCt(res, VERDICT_PERMIT, REASON_STATE, <u32>id, 0);
        return CT_DECIDED;
      }
      if (a == ADVANCE_NEW) {
        unlink(<u32>id);
      } else {
        if (a == ADVANCE_INVALID) bump(ST_INVALID);
        noCreate = true;
        return CT_MISS;
      }
    }
  }
  if (expCount > 0 && opens(t, proto)) {
    let e = matchExpectation(t, now);
    if (e >= 0) {
      pendingExp = e;
      return CT_EXPECTED;
    }
  }
  return CT_MISS;
}

// Can any permit of the active program keep state (a stateful ruleset, or a
// keep-state rule)? Computed once per load by ctProgramLoaded, so that a
// stateless program's packets skip keepsState, whose read of the deciding
// rule's 128-byte record is a cache miss per packet on a large ruleset.
let programKeepsState = true;

/** Note the program just made active at `p` (after validation). */
export function ctProgramLoaded(p: usize): void {
  let any = false;
  let nSets = load<u32>(p, HDR_RULESET_COUNT);
  let sets = p + load<u32>(p, HDR_RULESETS_OFFSET);
  for (let i: u32 = 0; i < nSets && !any; i++) {
    if ((load<u8>(sets + <usize>i * RULESET_SIZE, RS_FLAGS) & RS_STATEFUL) != 0) any = true;
  }
  let nRules = load<u32>(p, HDR_RULE_COUNT);
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  for (let i: u32 = 0; i < nRules && !any; i++) {
    if ((load<u8>(rules + <usize>i * RULE_SIZE, R_MARKS) & MARK_KEEP_STATE) != 0) any = true;
  }
  programKeepsState = any;
}

// Does the permit in `res` come from a stage that keeps state?
function keepsState(p: usize, t: usize, res: usize): bool {
  if (!programKeepsState) return false;
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  let inRule = load<i32>(res, RES_INPUT_RULE);
  let outRule = load<i32>(res, RES_OUTPUT_RULE);
  if (inRule >= 0 && (load<u8>(rules + <usize>inRule * RULE_SIZE, R_MARKS) & MARK_KEEP_STATE) != 0) return true;
  if (outRule >= 0 && (load<u8>(rules + <usize>outRule * RULE_SIZE, R_MARKS) & MARK_KEEP_STATE) != 0) return true;
  let ifaces = <u32>load<u16>(p, HDR_IFACE_COUNT);
  let bind = p + load<u32>(p, HDR_BINDINGS_OFFSET);
  let sets = p + load<u32>(p, HDR_RULESETS_OFFSET);
  let ifIn = <u32>load<u8>(t, T_IF_IN);
  let ifOut = <u32>load<u8>(t, T_IF_OUT);
  if (ifIn < ifaces) {
    let rs = <u32>load<u16>(bind + ifIn * BINDING_SIZE, BIND_INPUT);
    if (rs != NO_RULESET && (load<u8>(sets + <usize>rs * RULESET_SIZE, RS_FLAGS) & RS_STATEFUL) != 0) return true;
  }
  if (ifOut < ifaces) {
    let rs = <u32>load<u16>(bind + ifOut * BINDING_SIZE, BIND_OUTPUT);
    if (rs != NO_RULESET && (load<u8>(sets + <usize>rs * RULESET_SIZE, RS_FLAGS) & RS_STATEFUL) != 0) return true;
  }
  return false;
}

/**
 * Does deny rule `idx` name a service (test a port)? Only such a rule
 * conflicts with a pinhole ("conflicts with the protocol rules"): a catch-all
 * "deny everything else" rule plays the part of a default, which a pinhole
 * exists to open.
 */
export function denyNamesService(p: usize, idx: i32): bool {
  if (idx < 0) return false;
  let r = p + load<u32>(p, HDR_RULES_OFFSET) + <usize>idx * RULE_SIZE;
  return load<u8>(r, R_ACTION) == ACTION_DENY && (<u32>load<u16>(r, R_TESTS) & (TEST_SPORT | TEST_DPORT)) != 0;
}

/** After the rules decided a packet ctClassify did not: create its flow, or use the expectation. */
export function ctAfterDecide(p: usize, t: usize, res: usize, outcome: u32): void {
  store<i32>(res, -1, RES_FLOW);
  store<u32>(res, 0, RES_FLOW_GEN);
  store<u8>(res, 0, RES_CT_FLAGS);
  if (outcome != CT_EXPECTED && !programKeepsState) return; // nothing below can create a flow
  let verdict = <u32>load<u8>(res, RES_VERDICT);
  if (outcome == CT_EXPECTED) {
    // A deny rule naming the service wins over any pinhole; a default deny,
    // or a catch-all deny rule standing in for one, does not.
    if (verdict == VERDICT_DENY && <u32>load<u8>(res, RES_REASON) == REASON_MATCHED && denyNamesService(p, load<i32>(res, RES_RULE))) return;
    let e = exps + <usize>pendingExp * EXP_SIZE;
    let eflags = <u32>load<u8>(e, E_FLAGS);
    let fflags = CTF_EXPECTED;
    if (eflags & AFC_NO_KERNEL_MODE) fflags |= CTF_SLOW_PATH;
    if (load<u8>(e, E_PROTO) == 17 && (eflags & AFC_BIDIRECTIONAL) == 0) fflags |= CTF_ONE_WAY;
    if (verdict == VERDICT_DENY) writeDecision(res, VERDICT_PERMIT, REASON_EXPECTED);
    if (fflags & CTF_SLOW_PATH) store<u8>(res, CTR_SLOW_PATH, RES_CT_FLAGS);
    store<u32>(e, load<u32>(e, E_USES) + 1, E_USES);
    bump(ST_EXPECT_USED);
    if ((eflags & AFC_ALLOW_MULTIPLE) == 0) removeExpectation(<u32>pendingExp);
    create(t, res, fflags);
    return;
  }
  if (noCreate || verdict != VERDICT_PERMIT) return;
  if (load<u8>(t, T_FRAG) == FRAG_LATER) return;
  let proto = <u32>load<u8>(t, T_PROTO);
  let has = <u32>load<u8>(t, T_HAS);
  if ((has & HAS_INNER) != 0 || !trackable(t, proto, has) || !opens(t, proto)) return;
  if (!keepsState(p, t, res)) return;
  create(t, res, 0);
}

function create(t: usize, res: usize, flags: u32): void {
  ensureTable();
  let now = clock;
  let id = takeRecord(now);
  if (id < 0) {
    bump(ST_UNTRACKED);
    return;
  }
  let r = rec(<u32>id);
  let has = <u32>load<u8>(t, T_HAS);
  let proto = <u32>load<u8>(t, T_PROTO);
  let sport = keySport(t, has);
  let dport = keyDport(t, has);
  let gen = load<u32>(r, F_GEN);
  memory.fill(r, 0, FLOW_SIZE);
  store<u32>(r, gen, F_GEN);
  store<u8>(r, load<u8>(t, T_FAMILY), F_FAMILY);
  store<u8>(r, <u8>proto, F_PROTO);
  store<u8>(r, <u8>flags, F_FLAGS);
  store<u16>(r, <u16>sport, F_SPORT);
  store<u16>(r, <u16>dport, F_DPORT);
  memory.copy(r + F_SRC, t + T_SRC, 16);
  memory.copy(r + F_DST, t + T_DST, 16);
  store<u64>(r, now, F_LAST_SEEN);
  let h = flowHash(t + T_SRC, t + T_DST, proto, sport, dport);
  store<u32>(r, h, F_HASH);
  store<i32>(r, load<i32>(res, RES_RULE), F_RULE);
  store<u64>(r, 1, F_PACKETS);
  store<u64>(r, <u64>load<u32>(t, T_LENGTH), F_BYTES);
  store<u64>(r, now, F_CREATED);
  store<u8>(r, load<u8>(t, T_IF_IN), F_IF_IN);
  store<u8>(r, load<u8>(t, T_IF_OUT), F_IF_OUT);
  store<u8>(r, load<u8>(t, T_DIR), F_DIR);
  if (proto == 6) {
    store<u8>(r, CT_SYN_SENT, F_STATE);
    store<u32>(r, load<u32>(t, T_TCP_SEQ) + 1 + <u32>load<u16>(t, T_L4_PAYLOAD), F_END0);
    store<u32>(r, <u32>load<u16>(t, T_TCP_WINDOW), F_WIN0);
  } else {
    store<u8>(r, CT_NONE, F_STATE);
  }
  let slot = h & slotMask;
  while (load<u32>(index + (<usize>slot << 2)) != 0) slot = (slot + 1) & slotMask;
  store<u32>(index + (<usize>slot << 2), <u32>id + 1);
  count++;
  bump(ST_CREATED);
  tagFlow(res, <u32>id, CTR_NEW);
}

// ---- expectations --------------------------------------------------------------

// Is flow (id, gen) a live session?
function sessionAlive(id: u32, gen: u32, now: u64): bool {
  if (flows == 0 || id >= capacity) return false;
  let r = rec(id);
  let s = <u32>load<u8>(r, F_STATE);
  return s != CT_FREE && s != CT_CLOSED && load<u32>(r, F_GEN) == gen && !expired(r, now);
}

function expectAlive(e: usize, now: u64): bool {
  let exp = load<u64>(e, E_EXPIRES);
  if (exp != 0 && now > exp) {
    bump(ST_EXPECT_EXPIRED);
    return false;
  }
  if ((load<u8>(e, E_FLAGS) & AFC_ADDRESS_BASED) == 0 && !sessionAlive(load<u32>(e, E_MASTER), load<u32>(e, E_MASTER_GEN), now)) {
    bump(ST_EXPECT_DROPPED);
    return false;
  }
  return true;
}

function removeExpectation(i: u32): void {
  expCount--;
  if (i != expCount) memory.copy(exps + <usize>i * EXP_SIZE, exps + <usize>expCount * EXP_SIZE, EXP_SIZE);
}

function matchExpectation(t: usize, now: u64): i32 {
  let proto = <u32>load<u8>(t, T_PROTO);
  let family = <u32>load<u8>(t, T_FAMILY);
  let sport = <u32>load<u16>(t, T_SPORT);
  let dport = <u32>load<u16>(t, T_DPORT);
  let ifOut = <u32>load<u8>(t, T_IF_OUT);
  let i: u32 = 0;
  while (i < expCount) {
    let e = exps + <usize>i * EXP_SIZE;
    if (!expectAlive(e, now)) {
      removeExpectation(i);
      continue;
    }
    if (<u32>load<u8>(e, E_PROTO) == proto && <u32>load<u8>(e, E_FAMILY) == family
      && <u32>load<u16>(e, E_DPORT) == dport
      && (load<u16>(e, E_SPORT) == 0 || <u32>load<u16>(e, E_SPORT) == sport)
      && (<u32>load<u8>(e, E_IF_OUT) == <u32>ANY_IFACE || <u32>load<u8>(e, E_IF_OUT) == ifOut)
      && sameAddr(e + E_CLIENT, t + T_SRC) && sameAddr(e + E_DST, t + T_DST)) {
      return <i32>i;
    }
    i++;
  }
  return -1;
}

/**
 * Check the staged expectation's arguments (the part of AllowFutureConnect
 * that needs no rules): AFC_GRANTED if they are valid.
 */
export function ctExpectValidate(nowNs: u64): u32 {
  if (nowNs > clock) clock = nowNs;
  let e = expStaging;
  let flags = <u32>load<u8>(e, E_FLAGS);
  let proto = <u32>load<u8>(e, E_PROTO);
  let family = <u32>load<u8>(e, E_FAMILY);
  if ((flags & ~AFC_ALL) != 0) return AFC_INVALID_ARGS;
  if ((flags & AFC_TIMEOUT) != 0 && (flags & AFC_ALLOW_MULTIPLE) != 0) return AFC_INVALID_ARGS;
  if (proto != 6 && proto != 17) return AFC_INVALID_ARGS;
  if ((flags & AFC_BIDIRECTIONAL) != 0 && proto != 17) return AFC_INVALID_ARGS;
  if (family != 4 && family != 6) return AFC_INVALID_ARGS;
  if (load<u16>(e, E_DPORT) == 0) return AFC_INVALID_ARGS;
  if ((flags & AFC_ADDRESS_BASED) == 0 && !sessionAlive(load<u32>(e, E_MASTER), load<u32>(e, E_MASTER_GEN), clock)) return AFC_INVALID_ARGS;
  return AFC_GRANTED;
}

/** Add the staged (validated) expectation; a full table drops its oldest one. */
export function ctExpectInsert(): u32 {
  ensureTable();
  if (expCount >= <u32>MAX_EXPECTATIONS) {
    let oldest: u32 = 0;
    for (let i: u32 = 1; i < expCount; i++) {
      if (load<u64>(exps + <usize>i * EXP_SIZE, E_CREATED) < load<u64>(exps + <usize>oldest * EXP_SIZE, E_CREATED)) oldest = i;
    }
    removeExpectation(oldest);
    bump(ST_EXPECT_DROPPED);
  }
  let e = exps + <usize>expCount * EXP_SIZE;
  memory.copy(e, expStaging, EXP_SIZE);
  let flags = <u32>load<u8>(e, E_FLAGS);
  store<u64>(e, clock, E_CREATED);
  store<u64>(e, (flags & AFC_TIMEOUT) != 0 ? clock + timeouts[TO_EXPECT] : 0, E_EXPIRES);
  if (flags & AFC_ADDRESS_BASED) store<u32>(e, NO_FLOW, E_MASTER);
  store<u32>(e, 0, E_USES);
  store<u32>(e, ++expSerial, E_ID);
  expCount++;
  bump(ST_EXPECT_GRANTED);
  return expSerial;
}

/** Remove the expectation with serial `id`; false if there is none. */
export function ctExpectCancel(id: u32): bool {
  for (let i: u32 = 0; i < expCount; i++) {
    if (load<u32>(exps + <usize>i * EXP_SIZE, E_ID) == id) {
      removeExpectation(i);
      return true;
    }
  }
  return false;
}
