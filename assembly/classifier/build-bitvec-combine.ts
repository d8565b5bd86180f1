// The combine tables of a bit-vector group (layout.ts, "the combine
// record"): the later phases of Gupta and McKeown's Recursive Flow
// Classification (SIGCOMM 1999). build-bitvec.ts gives each key's classes
// and their rows; here the source and destination classes are crossed into
// address classes (the distinct ANDs of their rows), protocol and port
// classes into service classes, and every pair of an address and a service
// class gets the index of the lowest rule their rows share. The lookup
// then needs no AND of rows for a packet whose first candidate passes its
// need bits: the answer is one load away from the two classes.
//
// The tables take u16 entries from the list words, at most COMBINE_BASE +
// COMBINE_PER_RULE per rule of the group; a group whose classes cross
// into more keeps no combine record (its rows alone answer, as before).
import { Buf, reserveBuf, growBuf } from "./buffer";
import {
  DIM_FAMILY, DIM_PROTO, DIM_SRC, DIM_DST, DIM_SPORT, DIM_DPORT,
  NO_COMBINE, CB_ADDR, CB_DSTS, CB_SVC, CB_SPORTS, CB_DPORTS, CB_FIRST, CB_SVCS, CB_WORDS, CB_NONE,
} from "./layout";
import { lists, listCount, takeWords, resetTo, quadCount } from "./store";

const COMBINE_BASE: u64 = 65536;
const COMBINE_PER_RULE: u64 = 256;
const MAX_CLASSES: u32 = 0xfffe; // below CB_NONE: a class is a u16 entry
const MAX_PROBES: u32 = 64;
const TOO_LONG: u32 = 0xffffffff;

let addrRows = new Buf(); // the address classes' rows, w u64 words each
let svcRows = new Buf(); // the service classes' rows
let slots = new Buf(); // the interning hash table: u32 class + 1, 0 for empty
let acc = new Buf(); // one row being made
let slotMask: u32 = 0;
let interned: u32 = 0; // classes in the set being interned

/** Combine records made since the last resetCombines (treeStat 7). */
export let combineCount: u32 = 0;
export function resetCombines(): void {
  combineCount = 0;
}

// @ts-ignore: decorator
@inline function rowsOf(dimRows: usize, d: u32): usize {
  return lists.ptr + (<usize>load<u32>(dimRows + (<usize>d << 2)) << 2);
}

// @ts-ignore: decorator
@inline function countOf(dimClasses: usize, d: u32): u32 {
  return load<u32>(dimClasses + (<usize>d << 2));
}

/** Begin a set of rows to intern, of at most `most` classes. */
function beginSet(most: u32): void {
  let size: u32 = 16;
  while (size < most * 2) size <<= 1;
  let s = reserveBuf(slots, <usize>size * 4 + 16);
  memory.fill(s, 0, <usize>size * 4);
  slotMask = size - 1;
  interned = 0;
}

/**
 * The class in `set` of the `stride`-byte row at `row`: an earlier equal
 * row's, or a new one; TOO_LONG when its probe passes MAX_PROBES slots.
 * The table is at most half full, so that takes rows made to collide: the
 * rules are the configuration's, and their build must not take time out
 * of proportion to their number (the group then keeps its rows alone).
 */
function intern(set: Buf, row: usize, stride: usize): u32 {
  let h: u64 = 0;
  for (let i: usize = 0; i < stride; i += 8) h = (h ^ load<u64>(row + i)) * 0x9e3779b97f4a7c15;
  let at = <u32>(h >> 32) & slotMask;
  for (let probes: u32 = 0; ; probes++) {
    let e = load<u32>(slots.ptr + (<usize>at << 2));
    if (e == 0) break;
    if (memory.compare(set.ptr + <usize>(e - 1) * stride, row, stride) == 0) return e - 1;
    if (probes == MAX_PROBES) return TOO_LONG;
    at = (at + 1) & slotMask;
  }
  let c = interned++;
  growBuf(set, <usize>interned * stride + 16, <usize>c * stride);
  memory.copy(set.ptr + <usize>c * stride, row, stride);
  store<u32>(slots.ptr + (<usize>at << 2), c + 1);
  return c;
}

/** Drop the list words taken since `start`: no combine record. */
function giveUp(start: u32): u32 {
  resetTo(quadCount, start);
  return NO_COMBINE;
}

/** Take list words for `n` u16 entries; their offset. */
function takeEntries(n: u32): u32 {
  let words = (n + 1) >> 1;
  growBuf(lists, <usize>(listCount + words) * 4 + 16, <usize>listCount * 4);
  return takeWords(words);
}

// @ts-ignore: decorator
@inline function putEntry(table: u32, i: u32, v: u32): void {
  store<u16>(lists.ptr + (<usize>table << 2) + (<usize>i << 1), <u16>v);
}

/**
 * The combine record of a bit-vector group of `k` rules whose key `d` has
 * dimClasses[d] classes with rows (u64 words, (k + 63) / 64 a row) at list
 * offset dimRows[d]: its list offset, or NO_COMBINE (and no words kept) when
 * its tables would pass the budget.
 */
export function buildCombine(dimRows: usize, dimClasses: usize, k: u32): u32 {
  // The family key is never tested by the rows (build-bitvec.ts widens it).
  if (countOf(dimClasses, DIM_FAMILY) != 1) return NO_COMBINE;
  let budget = COMBINE_BASE + COMBINE_PER_RULE * <u64>k;
  let srcs = countOf(dimClasses, DIM_SRC);
  let dsts = countOf(dimClasses, DIM_DST);
  let protos = countOf(dimClasses, DIM_PROTO);
  let sports = countOf(dimClasses, DIM_SPORT);
  let dports = countOf(dimClasses, DIM_DPORT);
  let addrCount = <u64>srcs * <u64>dsts;
  let svcCount = <u64>protos * <u64>sports * <u64>dports;
  if (addrCount + svcCount > budget) return NO_COMBINE;
  let w = (k + 63) >> 6;
  let stride = <usize>w * 8;
  let start = listCount;
  let rec = takeEntries(CB_WORDS * 2);
  let row = reserveBuf(acc, stride + 16);

  // Address classes: the distinct ANDs of a source and a destination row.
  let addr = takeEntries(<u32>addrCount);
  beginSet(<u32>addrCount);
  for (let s: u32 = 0; s < srcs; s++) {
    for (let d: u32 = 0; d < dsts; d++) {
      let a = rowsOf(dimRows, DIM_SRC) + <usize>s * stride;
      let b = rowsOf(dimRows, DIM_DST) + <usize>d * stride;
      for (let i: usize = 0; i < stride; i += 8) store<u64>(row + i, load<u64>(a + i) & load<u64>(b + i));
      let c = intern(addrRows, row, stride);
      if (c == TOO_LONG) return giveUp(start);
      putEntry(addr, s * dsts + d, c);
    }
  }
  let addrs = interned;

  // Service classes: the distinct ANDs of a protocol and two port rows.
  let svc = takeEntries(<u32>svcCount);
  beginSet(<u32>svcCount);
  for (let p: u32 = 0; p < protos; p++) {
    for (let s: u32 = 0; s < sports; s++) {
      for (let d: u32 = 0; d < dports; d++) {
        let a = rowsOf(dimRows, DIM_PROTO) + <usize>p * stride;
        let b = rowsOf(dimRows, DIM_SPORT) + <usize>s * stride;
        let c = rowsOf(dimRows, DIM_DPORT) + <usize>d * stride;
        for (let i: usize = 0; i < stride; i += 8) store<u64>(row + i, load<u64>(a + i) & load<u64>(b + i) & load<u64>(c + i));
        let x = intern(svcRows, row, stride);
        if (x == TOO_LONG) return giveUp(start);
        putEntry(svc, (p * sports + s) * dports + d, x);
      }
    }
  }
  let svcs = interned;

  // Per address and service class: the lowest rule of both rows.
  let firstCount = <u64>addrs * <u64>svcs;
  if (addrs > MAX_CLASSES || svcs > MAX_CLASSES || addrCount + svcCount + firstCount > budget) return giveUp(start);
  let first = takeEntries(<u32>firstCount);
  for (let a: u32 = 0; a < addrs; a++) {
    let ra = addrRows.ptr + <usize>a * stride;
    for (let s: u32 = 0; s < svcs; s++) {
      let rs = svcRows.ptr + <usize>s * stride;
      let j = CB_NONE;
      for (let i: usize = 0; i < stride; i += 8) {
        let m = load<u64>(ra + i) & load<u64>(rs + i);
        if (m != 0) {
          j = <u32>(i << 3) + <u32>ctz<u64>(m);
          break;
        }
      }
      putEntry(first, a * svcs + s, j);
    }
  }

  let r = lists.ptr + (<usize>rec << 2);
  store<u32>(r, addr, CB_ADDR);
  store<u32>(r, dsts, CB_DSTS);
  store<u32>(r, svc, CB_SVC);
  store<u32>(r, sports, CB_SPORTS);
  store<u32>(r, dports, CB_DPORTS);
  store<u32>(r, first, CB_FIRST);
  store<u32>(r, svcs, CB_SVCS);
  combineCount++;
  return rec;
}
