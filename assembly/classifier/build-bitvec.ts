// The build of a bit-vector group (layout.ts, "bit-vector groups"; Lakshman
// and Stiliadis, SIGCOMM 1998): per key, the group's rule edges cut the
// key's range into intervals, each interval gets a row of one bit per rule,
// intervals with equal rows are one class, stored once, and a table of
// stride-8 levels (as rte_acl's multi-bit trie nodes) leads from a key's top
// bits to its interval's class; build-bitvec-combine.ts then crosses the
// classes (RFC's later phases). The group's entry words are
// written by the caller (build-tree.ts) for the same rules in the same
// order: bit j of a row is entry word j.
import { Buf, reserveBuf, growBuf } from "./buffer";
import {
  DIMS, DIM_FAMILY, DIM_PROTO, DIM_SPORT, DIM_DPORT, NO_PORTS, BOX, BOX_LO, BOX_HI,
  BV_WORDS, BV_ENTRIES, BV_COMBINE, BV_DIM, BV_DIM_BYTES, BV_TABLE, BV_SHIFT, BV_ROWS, BV_HEAD_WORDS, BV_ROW,
} from "./layout";
import { buildCombine } from "./build-bitvec-combine";
import { lists, listCount, takeWords, resetTo, quadCount } from "./store";

const FAILED: u32 = 0xffffffff;
let points = new Buf(); // the interval starts of the key being built, ascending
let classOf = new Buf(); // per interval of the key being built: u32 its class
let classes: u32 = 0; // classes of the key being built
const dimRows = memory.data(<i32>DIMS * 4, 4); // per key: list offset of its class rows
const dimClasses = memory.data(<i32>DIMS * 4, 4); // per key: its classes
let start: u32 = 0; // listCount when this group's record began
let limit: u32 = 0; // list words the record may take

/** The largest value key `d` takes (walkKeys). */
// @ts-ignore: decorator
@inline function keyMax(d: u32): u32 {
  return d == DIM_FAMILY ? 1 : d == DIM_PROTO ? 255 : d == DIM_SPORT || d == DIM_DPORT ? NO_PORTS : 0xffffffff;
}

/** The shift of key `d`'s first table: 256 (257 for ports) words at most. */
// @ts-ignore: decorator
@inline function firstShift(d: u32): u32 {
  return d == DIM_FAMILY || d == DIM_PROTO ? 0 : d == DIM_SPORT || d == DIM_DPORT ? 8 : 24;
}

// @ts-ignore: decorator
@inline function point(i: u32): u32 {
  return load<u32>(points.ptr + (<usize>i << 2));
}

// The bounds of a rule's box on key `d` as its rows use them: the box,
// widened where the entry check's need bits test the same (a row may hold a
// rule the packet fails; the check then drops it): any family (NEED_V4,
// NEED_V6), and a port range reaching 65535 also past it, to the key of a
// packet without ports (NEED_PORTS). So the keys the rules of a group only
// "test" through these bits get one interval, and no table.
// @ts-ignore: decorator
@inline function rowLo(b: usize, d: u32): u32 {
  return d == DIM_FAMILY ? 0 : load<u32>(b + BOX_LO + (<usize>d << 2));
}
// @ts-ignore: decorator
@inline function rowHi(b: usize, d: u32): u32 {
  let hi = load<u32>(b + BOX_HI + (<usize>d << 2));
  if (d == DIM_FAMILY) return 1;
  return (d == DIM_SPORT || d == DIM_DPORT) && hi == 65535 ? NO_PORTS : hi;
}

// The interval starts of key `d` over the `k` rules at `list` (local
// indices into `boxes`): 0 and every rule edge, sorted, each once; their count.
function keyPoints(boxes: usize, list: usize, k: u32, d: u32): u32 {
  let p = reserveBuf(points, (<usize>k * 2 + 1) * 4 + 16);
  let max = keyMax(d);
  let m: u32 = 1;
  store<u32>(p, 0);
  for (let i: u32 = 0; i < k; i++) {
    let b = boxes + <usize>load<u32>(list + (<usize>i << 2)) * BOX;
    let lo = rowLo(b, d);
    let hi = rowHi(b, d);
    if (lo > 0) { store<u32>(p + (<usize>m << 2), lo); m++; }
    if (hi < max) { store<u32>(p + (<usize>m << 2), hi + 1); m++; }
  }
  // Insertion sort (at most 2 * BV_MAX_RULES + 1 values), then each value once.
  for (let i: u32 = 1; i < m; i++) {
    let v = point(i);
    let j = i;
    while (j > 0 && point(j - 1) > v) {
      store<u32>(p + (<usize>j << 2), point(j - 1));
      j--;
    }
    store<u32>(p + (<usize>j << 2), v);
  }
  let n: u32 = 1;
  for (let i: u32 = 1; i < m; i++) {
    if (point(i) != point(n - 1)) { store<u32>(p + (<usize>n << 2), point(i)); n++; }
  }
  return n;
}

// The rows of key `d`'s `np` intervals, `w` u64 words each: bit j of row i
// is set when rule j's box spans interval i. Intervals with equal rows are
// then one class (classOf), and only each class's row is kept, in class
// order (classes). Returns the rows' list offset.
function keyRows(boxes: usize, list: usize, k: u32, d: u32, np: u32, w: u32): u32 {
  let pad = listCount & 1; // rows are read as u64: keep them 8-byte aligned
  let words = pad + np * w * 2;
  growBuf(lists, <usize>(listCount + words) * 4 + 16, <usize>listCount * 4);
  let at = takeWords(words) + pad;
  let rows = lists.ptr + (<usize>at << 2);
  let stride = <usize>w * 8;
  memory.fill(rows, 0, <usize>np * stride);
  for (let j: u32 = 0; j < k; j++) {
    let b = boxes + <usize>load<u32>(list + (<usize>j << 2)) * BOX;
    let lo = rowLo(b, d);
    let hi = rowHi(b, d);
    let bit: u64 = <u64>1 << <u64>(j & 63);
    let word = <usize>(j >> 6) << 3;
    for (let i: u32 = 0; i < np; i++) {
      let v = point(i);
      if (v < lo) continue;
      if (v > hi) break;
      let at8 = rows + <usize>i * stride + word;
      store<u64>(at8, load<u64>(at8) | bit);
    }
  }
  // Each interval's class: the first class with its row, else a new one,
  // moved down to its place (a class's index is never above its first
  // interval's, so the compaction reads no row it already overwrote).
  let cls = reserveBuf(classOf, <usize>np * 4 + 16);
  classes = 0;
  for (let i: u32 = 0; i < np; i++) {
    let row = rows + <usize>i * stride;
    let c: u32 = 0;
    for (; c < classes; c++) if (memory.compare(rows + <usize>c * stride, row, stride) == 0) break;
    if (c == classes) {
      if (c != i) memory.copy(rows + <usize>c * stride, row, stride);
      classes++;
    }
    store<u32>(cls + (<usize>i << 2), c);
  }
  resetTo(quadCount, at + classes * w * 2); // the rows past the last class
  return at;
}

// A table of `count` words for key `d` over the values from `base`, one
// bucket of 2^sh values per word: a bucket within one interval gets its
// class, any other a table of the next 8 bits. Returns its list offset, or
// FAILED when the record would pass its limit.
function keyTable(d: u32, base: u32, sh: u32, count: u32, np: u32): u32 {
  if (listCount + count - start > limit) return FAILED;
  growBuf(lists, <usize>(listCount + count) * 4 + 16, <usize>listCount * 4);
  let tab = takeWords(count);
  let max = keyMax(d);
  let span: u32 = (<u32>1 << sh) - 1;
  let i: u32 = 0; // the interval holding the bucket's first value
  for (let b: u32 = 0; b < count; b++) {
    let lo = base + (b << sh);
    let hi = lo + span;
    if (hi < lo || hi > max) hi = max;
    while (i + 1 < np && point(i + 1) <= lo) i++;
    let e: u32;
    if (i + 1 >= np || point(i + 1) > hi) {
      e = BV_ROW | load<u32>(classOf.ptr + (<usize>i << 2));
    } else {
      e = keyTable(d, lo, sh - 8, 256, np);
      if (e == FAILED) return FAILED;
    }
    store<u32>(lists.ptr + (<usize>(tab + b) << 2), e); // the buffer may have moved
  }
  return tab;
}

/**
 * The bit-vector record of the `k` <= BV_MAX_RULES rules at `list` (local
 * indices, ascending; boxes at `boxes`) whose entry words are at list
 * offset `entries`: its list offset, or FAILED (and nothing kept) when it would
 * take more than `maxWords` list words. Its combine tables have a budget
 * of their own (build-bitvec-combine.ts); without them it is still whole.
 */
export function buildBitvec(boxes: usize, list: usize, k: u32, entries: u32, maxWords: u32): u32 {
  start = listCount;
  limit = maxWords;
  let w = (k + 63) >> 6;
  growBuf(lists, <usize>(listCount + BV_HEAD_WORDS) * 4 + 16, <usize>listCount * 4);
  let at = takeWords(BV_HEAD_WORDS);
  for (let d: u32 = 0; d < DIMS; d++) {
    let np = keyPoints(boxes, list, k, d);
    let rows = keyRows(boxes, list, k, d, np, w);
    // A key no rule of the group tests has one interval: no table, class 0.
    let sh = firstShift(d);
    let tab = np == 1 ? BV_ROW : keyTable(d, 0, sh, (keyMax(d) >> sh) + 1, np);
    if (tab == FAILED || listCount - start > limit) {
      resetTo(quadCount, start);
      return FAILED;
    }
    let r = lists.ptr + (<usize>at << 2) + BV_DIM + <usize>d * BV_DIM_BYTES;
    store<u32>(r, tab, BV_TABLE);
    store<u32>(r, sh, BV_SHIFT);
    store<u32>(r, rows, BV_ROWS);
    store<u32>(dimRows + (<usize>d << 2), rows);
    store<u32>(dimClasses + (<usize>d << 2), classes);
  }
  let combine = buildCombine(dimRows, dimClasses, k);
  let r = lists.ptr + (<usize>at << 2);
  store<u32>(r, w, BV_WORDS);
  store<u32>(r, entries, BV_ENTRIES);
  store<u32>(r, combine, BV_COMBINE);
  return at;
}

export const BITVEC_FAILED = FAILED;
