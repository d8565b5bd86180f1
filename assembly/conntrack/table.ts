// The flow table: tracked flows in linear memory of a fixed size chosen at
// configuration time, so nothing grows under a flood (conntrack-layout.ts,
// "Flow record"). Time is the packets' own timestamps (the table's clock).
//
// The index is open addressing with linear probing over twice as many slots
// as flows (load <= 1/2), one slot per flow under a hash that is the same for
// both directions; deletion shifts entries back, so there are no tombstones.
// Each index slot is a u32: the record index + 1, 0 for an empty slot.
import {
  T_FAMILY, T_PROTO, T_HAS, T_SRC, T_DST, T_DIR, T_IF_IN, T_IF_OUT, T_LENGTH, T_TCP_SEQ, T_TCP_WINDOW, T_L4_PAYLOAD,
  PROTO_TCP, PROTO_UDP, PROTO_UDPLITE, ADDR_BYTES,
} from "../layout";
import {
  FLOW_SIZE, F_FAMILY, F_PROTO, F_STATE, F_FLAGS, F_SPORT, F_DPORT, F_SRC, F_DST, F_LAST_SEEN, F_HASH,
  F_GEN, F_END0, F_WIN0, F_RULE, F_NEXT, F_PACKETS, F_IF_IN, F_IF_OUT, F_DIR, F_BYTES, F_CREATED,
  CT_FREE, CT_NONE, CT_SYN_SENT, CT_SYN_RECV, CT_ESTABLISHED, CT_CLOSED, CTF_REPLIED,
  TO_TCP_OPENING, TO_TCP_ESTABLISHED, TO_TCP_CLOSING, TO_TCP_CLOSED, TO_UDP, TO_ICMP, TO_OTHER, TO_EXPECT,
  TO_COUNT, DEFAULT_TO_TCP_OPENING, DEFAULT_TO_TCP_ESTABLISHED, DEFAULT_TO_TCP_CLOSING, DEFAULT_TO_TCP_CLOSED,
  DEFAULT_TO_UDP, DEFAULT_TO_ICMP, DEFAULT_TO_OTHER, DEFAULT_TO_EXPECT, DEFAULT_CAPACITY, MAX_CAPACITY,
  EVICT_SCAN, EVICT_SCAN_MAX, ST_COUNT, ST_CREATED, ST_EVICTED, ST_UNTRACKED, ST_EXPIRED, FOUND_REPLY,
} from "../conntrack-layout";
import { flowHash, sameAddr, isIcmp, keySport, keyDport } from "./key";

const NS: u64 = 1_000_000_000;

/** Flows the table holds (takes effect at allocation). */
export let capacity: u32 = DEFAULT_CAPACITY;
let allocated: u32 = 0; // records allocated; 0 = no table yet
/** The flow records, 0 before the table is first needed. */
export let flows: usize = 0;
let index: usize = 0;
let slotMask: u32 = 0;
let allocatedSlots: u32 = 0;
let freeHead: u32 = 0; // record index + 1; 0 = none free
/** Live flows. */
export let count: u32 = 0;
let hand: u32 = 0; // eviction and reaping cursor
/** The latest packet (or call) timestamp seen, ns. */
export let clock: u64 = 0;

/** The counters, u64 each, indexed by ST_* (conntrack-layout.ts). */
export const stats: usize = heap.alloc(ST_COUNT * 8);
memory.fill(stats, 0, ST_COUNT * 8);
const timeouts = new StaticArray<u64>(TO_COUNT);
timeouts[TO_TCP_OPENING] = <u64>DEFAULT_TO_TCP_OPENING * NS;
timeouts[TO_TCP_ESTABLISHED] = <u64>DEFAULT_TO_TCP_ESTABLISHED * NS;
timeouts[TO_TCP_CLOSING] = <u64>DEFAULT_TO_TCP_CLOSING * NS;
timeouts[TO_TCP_CLOSED] = <u64>DEFAULT_TO_TCP_CLOSED * NS;
timeouts[TO_UDP] = <u64>DEFAULT_TO_UDP * NS;
timeouts[TO_ICMP] = <u64>DEFAULT_TO_ICMP * NS;
timeouts[TO_OTHER] = <u64>DEFAULT_TO_OTHER * NS;
timeouts[TO_EXPECT] = <u64>DEFAULT_TO_EXPECT * NS;

/** Count one event of counter ST_* `i`. */
// @ts-ignore: decorator
@inline export function bump(i: i32): void {
  let p = stats + (<usize>i << 3);
  store<u64>(p, load<u64>(p) + 1);
}

/** Move the clock forward to `ns` (never back). */
// @ts-ignore: decorator
@inline export function advanceClock(ns: u64): void {
  if (ns > clock) clock = ns;
}

export function resetClock(): void {
  clock = 0;
}

// ---- configuration -----------------------------------------------------------

/** Set the capacity (flows); an existing table is re-made empty. False if out of range. */
export function setCapacity(cap: u32): bool {
  if (cap == 0 || cap > <u32>MAX_CAPACITY) return false;
  capacity = cap;
  if (allocated != 0) allocate();
  return true;
}

export function setTimeout(cls: u32, seconds: u32): bool {
  if (cls >= <u32>TO_COUNT || seconds == 0) return false;
  timeouts[cls] = <u64>seconds * NS;
  return true;
}

/** Timeout class `cls` in seconds, 0 for no such class. */
export function timeoutSeconds(cls: u32): u32 {
  return cls < <u32>TO_COUNT ? <u32>(timeouts[cls] / NS) : 0;
}

/** Timeout class `cls` in ns (cls must exist). */
// @ts-ignore: decorator
@inline export function timeoutNs(cls: i32): u64 {
  return timeouts[cls];
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
  clearFlows();
}

/** Forget every flow (records keep their generations, so old handles stay stale). */
export function clearFlows(): void {
  if (flows == 0) return;
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
}

/** Allocate the table on first use. */
// @ts-ignore: decorator
@inline export function ensureTable(): void {
  if (flows == 0) allocate();
}

// ---- records, lookup ---------------------------------------------------------

/** Flow record `id`. */
// @ts-ignore: decorator
@inline export function rec(id: u32): usize {
  return flows + <usize>id * FLOW_SIZE;
}

/**
 * The flow with this key in either direction: its record index << 1, with
 * FOUND_REPLY set when the key is the flow's reversed (a reply); -1 if none.
 */
export function find(family: u32, proto: u32, src: usize, dst: usize, sport: u32, dport: u32, h: u32): i32 {
  let slot = h & slotMask;
  while (true) {
    let e = load<u32>(index + (<usize>slot << 2));
    if (e == 0) return -1;
    let r = rec(e - 1);
    if (load<u32>(r, F_HASH) == h && <u32>load<u8>(r, F_FAMILY) == family && <u32>load<u8>(r, F_PROTO) == proto) {
      let fs = <u32>load<u16>(r, F_SPORT);
      let fd = <u32>load<u16>(r, F_DPORT);
      if (fs == sport && fd == dport && sameAddr(r + F_SRC, src) && sameAddr(r + F_DST, dst)) {
        return <i32>((e - 1) << 1);
      }
      if (fs == dport && fd == sport && sameAddr(r + F_SRC, dst) && sameAddr(r + F_DST, src)) {
        return <i32>(((e - 1) << 1) | FOUND_REPLY);
      }
    }
    slot = (slot + 1) & slotMask;
  }
  return -1;
}

function timeoutClass(r: usize): i32 {
  let proto = <u32>load<u8>(r, F_PROTO);
  if (proto == PROTO_TCP) {
    let s = <u32>load<u8>(r, F_STATE);
    if (s == CT_ESTABLISHED) return TO_TCP_ESTABLISHED;
    if (s == CT_SYN_SENT || s == CT_SYN_RECV) return TO_TCP_OPENING;
    if (s == CT_CLOSED) return TO_TCP_CLOSED;
    return TO_TCP_CLOSING;
  }
  if (proto == PROTO_UDP || proto == PROTO_UDPLITE) return TO_UDP;
  if (isIcmp(proto)) return TO_ICMP;
  return TO_OTHER;
}

/** Has flow record `r` been idle longer than its class's timeout at `now`? */
// @ts-ignore: decorator
@inline export function expired(r: usize, now: u64): bool {
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

/** Remove flow `id` from the index and free its record (its generation moves on). */
export function unlink(id: u32): void {
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

/** Remove every flow expired at `now`. */
export function sweepFlows(now: u64): void {
  if (flows == 0) return;
  for (let id: u32 = 0; id < capacity; id++) {
    let r = rec(id);
    if (load<u8>(r, F_STATE) != CT_FREE && expired(r, now)) {
      unlink(id);
      bump(ST_EXPIRED);
    }
  }
}

/** Is flow (id, gen) a live session at `now`? */
export function sessionAlive(id: u32, gen: u32, now: u64): bool {
  if (flows == 0 || id >= capacity) return false;
  let r = rec(id);
  let s = <u32>load<u8>(r, F_STATE);
  return s != CT_FREE && s != CT_CLOSED && load<u32>(r, F_GEN) == gen && !expired(r, now);
}

/**
 * A new flow for the packet of tuple `t`, whose permit came from `rule`
 * (-1: none), with CTF_* `flags`. Its record index, or -1 when the table is
 * full of flows that may not go (the packet passes untracked).
 */
export function insertFlow(t: usize, rule: i32, flags: u32): i32 {
  ensureTable();
  let now = clock;
  let id = takeRecord(now);
  if (id < 0) {
    bump(ST_UNTRACKED);
    return -1;
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
  memory.copy(r + F_SRC, t + T_SRC, ADDR_BYTES);
  memory.copy(r + F_DST, t + T_DST, ADDR_BYTES);
  store<u64>(r, now, F_LAST_SEEN);
  let h = flowHash(t + T_SRC, t + T_DST, proto, sport, dport);
  store<u32>(r, h, F_HASH);
  store<i32>(r, rule, F_RULE);
  store<u64>(r, 1, F_PACKETS);
  store<u64>(r, <u64>load<u32>(t, T_LENGTH), F_BYTES);
  store<u64>(r, now, F_CREATED);
  store<u8>(r, load<u8>(t, T_IF_IN), F_IF_IN);
  store<u8>(r, load<u8>(t, T_IF_OUT), F_IF_OUT);
  store<u8>(r, load<u8>(t, T_DIR), F_DIR);
  if (proto == PROTO_TCP) {
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
  return id;
}
