// The indexed classifier's lookup, per packet (as DPDK's acl_run_*.c): the
// packet's keys, the walk of each group's tree to a leaf, the leaf's
// candidates, and the dispatch between the trees and the linear scan. The
// build (build.ts, build-tree.ts) lays the index out as layout.ts says;
// whatever it built, the answer is the linear first match.
import { RULE_SIZE, T_FAMILY, T_PROTO, T_FRAG, T_HAS, T_SPORT, T_DPORT, T_SRC, T_DST, HAS_PORTS, FRAG_LATER, TUPLE_SIZE } from "../layout";
import { firstMatch, ruleMatches, HOT_SIZE } from "../match";
import {
  DIM_FAMILY, DIM_PROTO, DIM_SRC, DIM_DST, DIM_SPORT, DIM_DPORT, NO_PORTS, KEYS, K_WALK, K_LACKS, K_ADDR, K_L4, WALK_KEYS,
  QUAD_SHIFT, Q_DIMS, Q_T0, Q_T1, Q_T2, Q_CHILD, Q_DIM_BITS, CHILD_LEAF, LEAF_HEAD, LEAF_COUNT, ENTRY, E_ADDR, E_L4, E_WORD,
  ENTRY_SHIFT, ENTRY_INDEX, ENTRY_HEAD, NEED_FULL, NEED_V4, NEED_V6, NEED_PORTS, NEED_MASK, NO_ENTRY,
  GROUPS, SLOT, SLOT_ROOT, SLOT_MIN, SLOT_CUT, SLOT_SHIFT, SLOT_FILTER, SLOT_CELL, NO_CUT, FILTER_CELL_DST_SHIFT, FILTER_CELL_DST_BITS, NO_FILTER,
  CUT_BITVEC, BV_WORDS, BV_ENTRIES, BV_COMBINE, BV_DIM, BV_DIM_BYTES, BV_TABLE, BV_SHIFT, BV_ROWS, BV_ROW,
  NO_COMBINE, CB_ADDR, CB_DSTS, CB_SVC, CB_SPORTS, CB_DPORTS, CB_FIRST, CB_SVCS, CB_NONE, IX, IX_KIND, IX_TREES, KIND_TREE, MATCH_ACTION, MATCH_MARKS,
} from "./layout";
import { quads, lists, table, trees, generation } from "./store";

/** Write the six walk keys of tuple `t` at `k` (K_WALK). */
// @ts-ignore: decorator
@inline export function walkKeys(t: usize, k: usize): void {
  let has = (<u32>load<u8>(t, T_HAS) & HAS_PORTS) != 0;
  store<u32>(k + K_WALK + (<usize>DIM_FAMILY << 2), load<u8>(t, T_FAMILY) == 6 ? 1 : 0);
  store<u32>(k + K_WALK + (<usize>DIM_PROTO << 2), <u32>load<u8>(t, T_PROTO));
  store<u32>(k + K_WALK + (<usize>DIM_SRC << 2), load<u32>(t, T_SRC));
  store<u32>(k + K_WALK + (<usize>DIM_DST << 2), load<u32>(t, T_DST));
  store<u32>(k + K_WALK + (<usize>DIM_SPORT << 2), has ? <u32>load<u16>(t, T_SPORT) : NO_PORTS);
  store<u32>(k + K_WALK + (<usize>DIM_DPORT << 2), has ? <u32>load<u16>(t, T_DPORT) : NO_PORTS);
}

/** Write every key of tuple `t` for walk and leafMatch at `k` (KEYS bytes, 16-aligned). */
// @ts-ignore: decorator
@inline export function loadKeys(t: usize, k: usize): void {
  let has = (<u32>load<u8>(t, T_HAS) & HAS_PORTS) != 0;
  walkKeys(t, k);
  store<u32>(k, (load<u8>(t, T_FAMILY) == 6 ? NEED_V4 : NEED_V6) | (has ? 0 : NEED_PORTS), K_LACKS);
  // The leaf compare's keys: the tuple's own values, as the scan's
  // prefilter reads them (a packet without ports has 0 there; a rule with a
  // port test needs ports, which the need bits check).
  let src = load<u32>(t, T_SRC);
  let dst = load<u32>(t, T_DST);
  let sp = <u32>load<u16>(t, T_SPORT);
  let dp = <u32>load<u16>(t, T_DPORT);
  let proto = <u32>load<u8>(t, T_PROTO);
  store<u32>(k, src, K_ADDR);
  store<u32>(k, dst, K_ADDR + 4);
  store<u32>(k, ~src, K_ADDR + 8);
  store<u32>(k, ~dst, K_ADDR + 12);
  store<u32>(k, sp | (dp << 16), K_L4);
  store<u32>(k, ~(sp | (dp << 16)), K_L4 + 4);
  store<u32>(k, proto | ((~proto & 0xffff) << 16), K_L4 + 8);
  store<u32>(k, 0xffffffff, K_L4 + 12); // the entry word's lanes: always pass
}

/** The first node (a child word) of the group of tree slot `slot` for the keys at `k`. */
// @ts-ignore: decorator
@inline export function walkRoot(slot: usize, k: usize): u32 {
  let c = load<u32>(slot, SLOT_ROOT);
  let cut = load<u32>(slot, SLOT_CUT);
  if (cut != NO_CUT) {
    let key = load<u32>(k + K_WALK + (<usize>cut << 2));
    c = load<u32>(lists.ptr + ((<usize>c + <usize>(key >> load<u32>(slot, SLOT_SHIFT))) << 2));
  }
  return c;
}

/**
 * May the keys at `k` match a rule of the group whose filter is `f`
 * (SLOT_FILTER) with cell word `cell` (SLOT_CELL)? False only if no rule's
 * box reaches their cell.
 */
// @ts-ignore: decorator
@inline export function mayMatch(f: u32, cell: u32, k: usize): bool {
  if (f == NO_FILTER) return true;
  return filterBit(f, filterCellOf(cell, load<u32>(k + K_WALK + (<usize>DIM_SRC << 2)), load<u32>(k + K_WALK + (<usize>DIM_DST << 2)))) != 0;
}

/** The cell of addresses `src`, `dst` in a filter with cell word `cell`: the source's top bits, then the destination's. */
// @ts-ignore: decorator
@inline export function filterCellOf(cell: u32, src: u32, dst: u32): u32 {
  return ((src >> (cell & 31)) << (cell >> FILTER_CELL_DST_BITS)) | (dst >> ((cell >> FILTER_CELL_DST_SHIFT) & 31));
}

/** Bit `c` of the filter at list offset `f`: 1 if some rule's box reaches cell `c`. */
// @ts-ignore: decorator
@inline export function filterBit(f: u32, c: u32): u32 {
  return (load<u32>(lists.ptr + ((<usize>f + <usize>(c >> 5)) << 2)) >> (c & 31)) & 1;
}

/** One quad level down from quad `c` for the keys at `k`. */
// @ts-ignore: decorator
@inline export function walkStep(c: u32, k: usize): u32 {
  let q = quads.ptr + (<usize>c << QUAD_SHIFT);
  let dims = load<u32>(q, Q_DIMS);
  let mask: u32 = (1 << Q_DIM_BITS) - 1;
  let b0 = load<u32>(k + K_WALK + (<usize>(dims & mask) << 2)) >= load<u32>(q, Q_T0);
  let b1 = load<u32>(k + K_WALK + (<usize>((dims >> Q_DIM_BITS) & mask) << 2)) >= load<u32>(q, Q_T1);
  let b2 = load<u32>(k + K_WALK + (<usize>((dims >> (2 * Q_DIM_BITS)) & mask) << 2)) >= load<u32>(q, Q_T2);
  let i = select<u32>(2 + <u32>b2, <u32>b1, b0);
  return load<u32>(q + Q_CHILD + (<usize>i << 2));
}

/**
 * The leaf of the group of tree slot `slot` for the keys at `k` (as
 * loadKeys writes them): its child word. Any key values give a leaf.
 */
// @ts-ignore: decorator
@inline export function walk(slot: usize, k: usize): u32 {
  let c = walkRoot(slot, k);
  while ((c & CHILD_LEAF) == 0) c = walkStep(c, k);
  return c;
}

/**
 * The entry word of the first match below global rule `best` in leaf `c` (a
 * child word from walk), for tuple `t` whose keys loadKeys wrote at `k`
 * (IPv4/IPv6, not a later fragment); NO_ENTRY if none.
 */
// @ts-ignore: decorator
@inline export function leafMatch(c: u32, rules: usize, hot: usize, t: usize, k: usize, best: u32): u32 {
  // The no-SIMD build (runtimes without 128-bit SIMD) tests the box word by word.
  if (!ASC_FEATURE_SIMD) return leafMatchScalar(c, rules, hot, t, k, best);
  let l = lists.ptr + (<usize>(c & ~CHILD_LEAF) << 2);
  let end = l + LEAF_HEAD + <usize>load<u32>(l, LEAF_COUNT) * ENTRY;
  l += LEAF_HEAD;
  let k1 = v128.load(k, K_ADDR);
  let k2 = v128.load(k, K_L4);
  let lacks = load<u32>(k, K_LACKS);
  for (; l < end; l += ENTRY) {
    let e = load<u32>(l, E_WORD);
    let i = e & ENTRY_INDEX;
    if (i >= best) break; // lists ascend: nothing better is left
    let m = v128.and(i32x4.ge_u(k1, v128.load(l, E_ADDR)), i16x8.ge_u(k2, v128.load(l, E_L4)));
    if (!i8x16.all_true(m)) continue;
    let need = (e >> ENTRY_SHIFT) & NEED_MASK;
    if (need & lacks) continue;
    if ((need & NEED_FULL) == 0) return e;
    if (ruleMatches(rules + <usize>i * RULE_SIZE, t, load<u32>(hot + <usize>i * HOT_SIZE) & 0xffff)) return e;
  }
  return NO_ENTRY;
}

/** leafMatch without SIMD: the same box test, four u32 and eight u16 unsigned comparisons. */
// @ts-ignore: decorator
@inline function leafMatchScalar(c: u32, rules: usize, hot: usize, t: usize, k: usize, best: u32): u32 {
  let l = lists.ptr + (<usize>(c & ~CHILD_LEAF) << 2);
  let end = l + LEAF_HEAD + <usize>load<u32>(l, LEAF_COUNT) * ENTRY;
  l += LEAF_HEAD;
  let lacks = load<u32>(k, K_LACKS);
  for (; l < end; l += ENTRY) {
    let e = load<u32>(l, E_WORD);
    let i = e & ENTRY_INDEX;
    if (i >= best) break; // lists ascend: nothing better is left
    if (!boxHolds(k, l)) continue;
    let need = (e >> ENTRY_SHIFT) & NEED_MASK;
    if (need & lacks) continue;
    if ((need & NEED_FULL) == 0) return e;
    if (ruleMatches(rules + <usize>i * RULE_SIZE, t, load<u32>(hot + <usize>i * HOT_SIZE) & 0xffff)) return e;
  }
  return NO_ENTRY;
}

/** The keys at `k` (u32 x4 at K_ADDR, u16 x8 at K_L4) are each >= the entry's at `l` (E_ADDR, E_L4). */
// @ts-ignore: decorator
@inline function boxHolds(k: usize, l: usize): bool {
  for (let j: usize = 0; j < 16; j += 4) if (load<u32>(k + K_ADDR + j) < load<u32>(l + E_ADDR + j)) return false;
  for (let j: usize = 0; j < 16; j += 2) if (load<u16>(k + K_L4 + j) < load<u16>(l + E_L4 + j)) return false;
  return true;
}

// ---- bit-vector groups -----------------------------------------------------------

/** Is the group of tree slot `slot` a bit-vector group (looked up by bitvecMatch, not walked)? */
// @ts-ignore: decorator
@inline export function isBitvec(slot: usize): bool {
  return load<u32>(slot, SLOT_CUT) == CUT_BITVEC;
}

/**
 * Key `d`'s class for the keys at `k` in the bit-vector record at `r`.
 * (A walk of always the deepest level's count of loads, branch-free, was
 * 1.16x-1.22x slower on the uniform traces: these branches predict well.)
 */
// @ts-ignore: decorator
@inline function bitvecClass(r: usize, d: u32, k: usize): u32 {
  let at = r + BV_DIM + <usize>d * BV_DIM_BYTES;
  let e = load<u32>(at, BV_TABLE);
  if (e & BV_ROW) return e & ~BV_ROW; // a key the group does not test: one class
  let key = load<u32>(k + K_WALK + (<usize>d << 2));
  let sh = load<u32>(at, BV_SHIFT);
  e = load<u32>(lists.ptr + ((<usize>e + <usize>(key >> sh)) << 2));
  while ((e & BV_ROW) == 0) {
    sh -= 8;
    e = load<u32>(lists.ptr + ((<usize>e + <usize>((key >> sh) & 255)) << 2));
  }
  return e & ~BV_ROW;
}

/** The address of the row of class `c` of key `d` in the bit-vector record at `r`, rows `bytes` long. */
// @ts-ignore: decorator
@inline function bitvecRow(r: usize, d: u32, c: u32, bytes: usize): usize {
  return lists.ptr + (<usize>load<u32>(r + BV_DIM + <usize>d * BV_DIM_BYTES, BV_ROWS) << 2) + <usize>c * bytes;
}

// @ts-ignore: decorator
@inline function u16At(table: u32, i: u32): u32 {
  return <u32>load<u16>(lists.ptr + (<usize>table << 2) + (<usize>i << 1));
}

/** The bit-vector record of the group of tree slot `slot` (isBitvec). */
// @ts-ignore: decorator
@inline export function bitvecRecord(slot: usize): usize {
  return lists.ptr + (<usize>load<u32>(slot, SLOT_ROOT) << 2);
}

/** Has the bit-vector record at `r` combine tables (bitvecFirst)? */
// @ts-ignore: decorator
@inline export function hasCombine(r: usize): bool {
  return load<u32>(r, BV_COMBINE) != NO_COMBINE;
}

/**
 * The group-local index of the lowest rule of the bit-vector record at `r`
 * (hasCombine) whose box holds the keys at `k`, CB_NONE if none: five
 * classes, then the combine tables, no AND of rows.
 */
// @ts-ignore: decorator
@inline export function bitvecFirst(r: usize, k: usize): u32 {
  let q = lists.ptr + (<usize>load<u32>(r, BV_COMBINE) << 2);
  let c1 = bitvecClass(r, DIM_PROTO, k);
  let c2 = bitvecClass(r, DIM_SRC, k);
  let c3 = bitvecClass(r, DIM_DST, k);
  let c4 = bitvecClass(r, DIM_SPORT, k);
  let c5 = bitvecClass(r, DIM_DPORT, k);
  let a = u16At(load<u32>(q, CB_ADDR), c2 * load<u32>(q, CB_DSTS) + c3);
  let s = u16At(load<u32>(q, CB_SVC), (c1 * load<u32>(q, CB_SPORTS) + c4) * load<u32>(q, CB_DPORTS) + c5);
  return u16At(load<u32>(q, CB_FIRST), a * load<u32>(q, CB_SVCS) + s);
}

/**
 * bitvecMatch's answer when the lowest rule whose box holds the keys is
 * `j` (bitvecFirst): that rule when it is below `best`, pure and its need
 * bits pass; else the rows' AND decides (bitvecRows).
 */
// @ts-ignore: decorator
@inline export function bitvecFinish(r: usize, rules: usize, hot: usize, t: usize, k: usize, best: u32, j: u32): u32 {
  if (j == CB_NONE) return NO_ENTRY;
  let e = load<u32>(lists.ptr + (<usize>load<u32>(r, BV_ENTRIES) << 2) + (<usize>j << 2));
  if ((e & ENTRY_INDEX) >= best) return NO_ENTRY;
  if ((((e >> ENTRY_SHIFT) & NEED_MASK) & (load<u32>(k, K_LACKS) | NEED_FULL)) == 0) return e;
  return bitvecRows(r, rules, hot, t, k, best);
}

/**
 * The entry word of the first match below global rule `best` in the
 * bit-vector group of slot `slot`, for tuple `t` whose keys loadKeys wrote
 * at `k`; NO_ENTRY if none: by the combine tables when the group has them,
 * else by its rows (bitvecRows).
 */
// @ts-ignore: decorator
@inline export function bitvecMatch(slot: usize, rules: usize, hot: usize, t: usize, k: usize, best: u32): u32 {
  let r = bitvecRecord(slot);
  if (hasCombine(r)) return bitvecFinish(r, rules, hot, t, k, best, bitvecFirst(r, k));
  return bitvecRows(r, rules, hot, t, k, best);
}

/**
 * bitvecMatch by the rows of the record at `r`: their AND holds exactly
 * the rules whose boxes hold the keys, in rule order, and what a box cannot
 * say is checked in turn: the need bits, and for an impure rule the scan's
 * own test.
 */
function bitvecRows(r: usize, rules: usize, hot: usize, t: usize, k: usize, best: u32): u32 {
  let words = <usize>load<u32>(r, BV_WORDS) << 3;
  let entries = lists.ptr + (<usize>load<u32>(r, BV_ENTRIES) << 2);
  let lacks = load<u32>(k, K_LACKS);
  let p0 = bitvecRow(r, DIM_FAMILY, bitvecClass(r, DIM_FAMILY, k), words);
  let p1 = bitvecRow(r, DIM_PROTO, bitvecClass(r, DIM_PROTO, k), words);
  let p2 = bitvecRow(r, DIM_SRC, bitvecClass(r, DIM_SRC, k), words);
  let p3 = bitvecRow(r, DIM_DST, bitvecClass(r, DIM_DST, k), words);
  let p4 = bitvecRow(r, DIM_SPORT, bitvecClass(r, DIM_SPORT, k), words);
  let p5 = bitvecRow(r, DIM_DPORT, bitvecClass(r, DIM_DPORT, k), words);
  for (let w: usize = 0; w < words; w += 8) {
    let m = load<u64>(p0 + w) & load<u64>(p1 + w) & load<u64>(p2 + w) & load<u64>(p3 + w) & load<u64>(p4 + w) & load<u64>(p5 + w);
    while (m != 0) {
      let e = load<u32>(entries + (((w << 3) + <usize>ctz<u64>(m)) << 2));
      if ((e & ENTRY_INDEX) >= best) return NO_ENTRY; // rows ascend: nothing better is left
      // The box holds the keys (the rows say so): the need bits, and for an impure rule its own test.
      let need = (e >> ENTRY_SHIFT) & NEED_MASK;
      if ((need & lacks) == 0) {
        if ((need & NEED_FULL) == 0) return e;
        let i = e & ENTRY_INDEX;
        if (ruleMatches(rules + <usize>i * RULE_SIZE, t, load<u32>(hot + <usize>i * HOT_SIZE) & 0xffff)) return e;
      }
      m &= m - 1;
    }
  }
  return NO_ENTRY;
}

// ---- a lookup's best so far --------------------------------------------------------

/** The rule index of entry word `w` (0xffffffff for NO_ENTRY): the bound a later group must beat. */
// @ts-ignore: decorator
@inline export function bestOf(w: u32): u32 {
  return w == NO_ENTRY ? 0xffffffff : w & ENTRY_INDEX;
}

/** The best so far after a group answered `x` (found below bestOf(w)): `x` if a match, else `w`. */
// @ts-ignore: decorator
@inline export function better(w: u32, x: u32): u32 {
  return x == NO_ENTRY ? w : x;
}

/** May the keys at `k` match a rule of the group of tree slot `slot` (its filter, mayMatch)? */
// @ts-ignore: decorator
@inline function slotMayMatch(slot: usize, k: usize): bool {
  return mayMatch(load<u32>(slot, SLOT_FILTER), load<u32>(slot, SLOT_CELL), k);
}

// ---- the match word ----------------------------------------------------------

/** The global rule index of a match word, or -1. */
// @ts-ignore: decorator
@inline export function matchRule(m: i32): i32 {
  return m < 0 ? -1 : m & <i32>ENTRY_INDEX;
}

/** ACTION_* of the rule of a match word (>= 0). */
// @ts-ignore: decorator
@inline export function matchAction(m: i32): u32 {
  return (<u32>m >> MATCH_ACTION) & 1;
}

/** MARK_* bits of the rule of a match word (>= 0). */
// @ts-ignore: decorator
@inline export function matchMarks(m: i32): u32 {
  return <u32>m >> MATCH_MARKS;
}

/** The match word of leaf entry word `e` (NO_ENTRY: -1, no match). */
// @ts-ignore: decorator
@inline export function entryAnswer(e: u32): i32 {
  return e == NO_ENTRY ? -1 : <i32>((e & ENTRY_INDEX) | ((e >> ENTRY_HEAD) << MATCH_ACTION));
}

// ---- dispatch ------------------------------------------------------------------

/**
 * Do the trees' keys describe tuple `t`? Later fragments (their layer-4
 * tests drop out) and anything but IPv4/IPv6 take the scan: the keys assume
 * a first fragment of a known family.
 */
// @ts-ignore: decorator
@inline export function treeKeysFit(t: usize): bool {
  let fam = load<u8>(t, T_FAMILY);
  return load<u8>(t, T_FRAG) != FRAG_LATER && (fam == 4 || fam == 6);
}

/**
 * The match word of the first match in ruleset `rs` (rules [first, first +
 * count)): the trees when it has them, else the scan.
 */
// @ts-ignore: decorator
@inline export function classifierMatch(rs: u32, rules: usize, hot: usize, first: u32, count: u32, t: usize, ahead: bool = true): i32 {
  let e = table.ptr + <usize>rs * IX;
  if (load<u32>(e, IX_KIND) == KIND_TREE && treeKeysFit(t)) return treesMatch(rs, load<u32>(e, IX_TREES), rules, hot, t, ahead);
  let i = firstMatch(rules, hot, first, count, t);
  if (i < 0) return -1;
  // The hot record's first word is the record's: action at byte 2, marks at 3.
  let h = <u32>load<u16>(hot + <usize>i * HOT_SIZE, 2);
  return i | <i32>(((h & 0xff) | ((h >> 8) << 1)) << MATCH_ACTION);
}

// The walk of the next tuple: while one packet's leaves are checked, the
// first group's walk for the tuple after it in memory (the next of a batch)
// runs too, so its loads overlap instead of queueing. The result is kept
// with the keys, ruleset and index generation it was walked for, and used
// only when all three are the packet's: a cache, right whatever the tuple.
const memoKeys = memory.data(<i32>WALK_KEYS, 16);
let memoLeaf: u32 = 0;
let memoRs: u32 = 0xffffffff;
let memoGen: u32 = 0;

const oneKeys = memory.data(<i32>KEYS, 16);

function treesMatch(rs: u32, n: u32, rules: usize, hot: usize, t: usize, ahead: bool): i32 {
  let slot = trees.ptr + <usize>rs * GROUPS * SLOT;
  if (n == 0) return -1;
  let k = oneKeys;
  loadKeys(t, k);
  // `word` is the entry word of the best match so far (bestOf: its rule).
  let word = NO_ENTRY;
  if (isBitvec(slot)) {
    if (slotMayMatch(slot, k)) word = bitvecMatch(slot, rules, hot, t, k, bestOf(word));
  } else {
    let leaf0: u32;
    if (memoRs == rs && memoGen == generation && sameKeys(k)) leaf0 = memoLeaf;
    else leaf0 = walk(slot, k);
    // Bounded: the next tuple's bytes must be in memory (they may be anything).
    let next = t + TUPLE_SIZE;
    if (ahead && next + TUPLE_SIZE <= (<usize>memory.size() << 16)) {
      walkKeys(next, memoKeys);
      memoLeaf = walk(slot, memoKeys);
      memoRs = rs;
      memoGen = generation;
    }
    if (slotMayMatch(slot, k)) word = leafMatch(leaf0, rules, hot, t, k, bestOf(word));
  }
  // The other groups, two at a time: two walks are independent, so they run
  // side by side (one step of each per round) and their loads overlap
  // instead of queueing; then the two leaves are checked in order, each
  // bounded by the best so far. Slots ascend by lowest rule: once one
  // cannot beat the best, no later one can. A group whose filter rules the
  // packet out is not walked.
  slot += SLOT;
  for (let i: u32 = 1; i < n; i += 2, slot += 2 * SLOT) {
    if (load<u32>(slot, SLOT_MIN) >= bestOf(word)) break;
    let pa = slotMayMatch(slot, k);
    let pb = i + 1 < n && load<u32>(slot + SLOT, SLOT_MIN) < bestOf(word) && slotMayMatch(slot + SLOT, k);
    // A bit-vector group is looked up at once (it has no walk to pair).
    if (pa && isBitvec(slot)) {
      word = better(word, bitvecMatch(slot, rules, hot, t, k, bestOf(word)));
      pa = false;
    }
    if (pb && isBitvec(slot + SLOT)) {
      word = better(word, bitvecMatch(slot + SLOT, rules, hot, t, k, bestOf(word)));
      pb = false;
    }
    let a: u32 = CHILD_LEAF;
    let b: u32 = CHILD_LEAF;
    if (pa) a = walkRoot(slot, k);
    if (pb) b = walkRoot(slot + SLOT, k);
    while (((a & b) & CHILD_LEAF) == 0) {
      if ((a & CHILD_LEAF) == 0) a = walkStep(a, k);
      if ((b & CHILD_LEAF) == 0) b = walkStep(b, k);
    }
    if (pa) word = better(word, leafMatch(a, rules, hot, t, k, bestOf(word)));
    if (pb && load<u32>(slot + SLOT, SLOT_MIN) < bestOf(word)) word = better(word, leafMatch(b, rules, hot, t, k, bestOf(word)));
  }
  return entryAnswer(word);
}

// @ts-ignore: decorator
@inline function sameKeys(k: usize): bool {
  return (load<u64>(k, K_WALK) ^ load<u64>(memoKeys)) == 0
    && (load<u64>(k, K_WALK + 8) ^ load<u64>(memoKeys, 8)) == 0
    && (load<u64>(k, K_WALK + 16) ^ load<u64>(memoKeys, 16)) == 0;
}
