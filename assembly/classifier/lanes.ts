// The indexed lookup for several packets at once (as DPDK's acl_run_*.c
// walks several flows interleaved). On traffic the index has not seen
// before, a packet's lookup is a chain of dependent loads that miss the
// first-level cache (slot, root table, quads, leaf), and one packet alone
// leaves the core waiting on each. Here up to LANES packets walk each group
// side by side, one step of each per round, so their loads are in flight
// together; then each lane's leaf is checked, bounded by that lane's best
// so far. Every lane gets exactly what treesMatch (lookup.ts) gives it.
import { TUPLE_SIZE } from "../layout";
import { KEYS, K_WALK, DIM_SRC, DIM_DST, GROUPS, SLOT, SLOT_MIN, SLOT_FILTER, SLOT_CELL, CHILD_LEAF, NO_ENTRY, NO_FILTER, FILTER_CELL_DST_SHIFT, FILTER_CELL_DST_BITS, IX, IX_KIND, IX_TREES, IX_FILTER, IX_CELL, KIND_TREE } from "./layout";
import { filterCellOf, filterBit, loadKeys, walkRoot, walkStep, leafMatch, entryAnswer, treeKeysFit, classifierMatch, isBitvec, bitvecMatch, bitvecRecord, hasCombine, bitvecFirst, bitvecFinish, bestOf, better } from "./lookup";
import { table, trees } from "./store";

/** Packets looked up together. */
export const LANES: u32 = 4;

const laneKeys = memory.data(<i32>(KEYS * <usize>LANES), 16);

/** Lookups made LANES packets at a time since the module started (for tests and tools). */
export let laneRuns: u32 = 0;
export function classifierLaneRuns(): u32 {
  return laneRuns;
}

/** Lanes the narrow groups' filter kept out of every walked group since the module started (for tests and tools). */
let narrowMisses: u32 = 0;
export function classifierNarrowMisses(): u32 {
  return narrowMisses;
}

// One walk step of a lane, or none if its walk has reached a leaf: no branch
// per lane (which lane finishes first is anyone's guess); a finished lane
// steps through quad 0, whatever is there, and keeps its leaf.
// @ts-ignore: decorator
@inline function laneStep(c: u32, k: usize): u32 {
  let done = (c & CHILD_LEAF) != 0;
  return select<u32>(c, walkStep(select<u32>(0, c, done), k), done);
}

// The four lanes' source addresses, then their destinations (u32 x4 each), for lanesMayMatch.
const laneAddrs = memory.data(32, 16);

// Copy the lanes' address keys (from their keys at k0..k3) to laneAddrs.
// @ts-ignore: decorator
@inline function setLaneAddrs(k0: usize, k1: usize, k2: usize, k3: usize): void {
  let s = K_WALK + (<usize>DIM_SRC << 2);
  let d = K_WALK + (<usize>DIM_DST << 2);
  if (ASC_FEATURE_SIMD) {
    // One 16-byte store each, so that lanesMayMatch's vector loads are
    // forwarded from it (four u32 stores under one load are not).
    let v = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(load<u32>(k0 + s)), 1, load<u32>(k1 + s)), 2, load<u32>(k2 + s)), 3, load<u32>(k3 + s));
    v128.store(laneAddrs, v);
    v = i32x4.replace_lane(i32x4.replace_lane(i32x4.replace_lane(i32x4.splat(load<u32>(k0 + d)), 1, load<u32>(k1 + d)), 2, load<u32>(k2 + d)), 3, load<u32>(k3 + d));
    v128.store(laneAddrs, v, 16);
    return;
  }
  store<u32>(laneAddrs, load<u32>(k0 + s));
  store<u32>(laneAddrs, load<u32>(k1 + s), 4);
  store<u32>(laneAddrs, load<u32>(k2 + s), 8);
  store<u32>(laneAddrs, load<u32>(k3 + s), 12);
  store<u32>(laneAddrs, load<u32>(k0 + d), 16);
  store<u32>(laneAddrs, load<u32>(k1 + d), 20);
  store<u32>(laneAddrs, load<u32>(k2 + d), 24);
  store<u32>(laneAddrs, load<u32>(k3 + d), 28);
}

// mayMatch for the four lanes (laneAddrs), one bit each (lane j: bit j):
// their cells computed together (one vector's shifts instead of each
// lane's), then one bitmap load per lane; the no-SIMD build computes each
// lane's cell in turn.
// @ts-ignore: decorator
@inline function lanesMayMatch(f: u32, cell: u32): u32 {
  if (f == NO_FILTER) return 15;
  let c0: u32, c1: u32, c2: u32, c3: u32;
  if (ASC_FEATURE_SIMD) {
    // filterCellOf's shifts, on the four lanes at once.
    let ss = cell & 31;
    let db = cell >> FILTER_CELL_DST_BITS;
    let ds = (cell >> FILTER_CELL_DST_SHIFT) & 31;
    let c = v128.or(i32x4.shl(i32x4.shr_u(v128.load(laneAddrs), ss), db), i32x4.shr_u(v128.load(laneAddrs, 16), ds));
    c0 = i32x4.extract_lane(c, 0);
    c1 = i32x4.extract_lane(c, 1);
    c2 = i32x4.extract_lane(c, 2);
    c3 = i32x4.extract_lane(c, 3);
  } else {
    c0 = filterCellOf(cell, load<u32>(laneAddrs), load<u32>(laneAddrs, 16));
    c1 = filterCellOf(cell, load<u32>(laneAddrs, 4), load<u32>(laneAddrs, 20));
    c2 = filterCellOf(cell, load<u32>(laneAddrs, 8), load<u32>(laneAddrs, 24));
    c3 = filterCellOf(cell, load<u32>(laneAddrs, 12), load<u32>(laneAddrs, 28));
  }
  return filterBit(f, c0) | (filterBit(f, c1) << 1) | (filterBit(f, c2) << 2) | (filterBit(f, c3) << 3);
}

/**
 * The match words (as classifierMatch gives them) of ruleset `rs` (rules
 * [first, first + count)) for the `n` <= LANES tuples from `t` (TUPLE_SIZE
 * apart), stored as i32 from `out`, `outStride` bytes apart.
 */
export function classifierMatchLanes(rs: u32, rules: usize, hot: usize, first: u32, count: u32, t: usize, n: u32, out: usize, outStride: usize): void {
  let e = table.ptr + <usize>rs * IX;
  // Four lanes or none: a shorter run, a ruleset without trees, or a tuple
  // the trees' keys do not describe (a later fragment, not IPv4 or IPv6)
  // goes one packet at a time.
  let together = n == LANES && load<u32>(e, IX_KIND) == KIND_TREE;
  for (let j: u32 = 0; together && j < n; j++) together = treeKeysFit(t + <usize>j * TUPLE_SIZE);
  if (!together) {
    // No walk ahead (classifierMatch): a run ends short where the next
    // tuple repeats the last (pipeline/classify.ts) or has another ruleset.
    for (let j: u32 = 0; j < n; j++) {
      store<i32>(out + <usize>j * outStride, classifierMatch(rs, rules, hot, first, count, t + <usize>j * TUPLE_SIZE, false));
    }
    return;
  }
  laneRuns++;
  let groups = load<u32>(e, IX_TREES);
  let t0 = t, t1 = t + TUPLE_SIZE, t2 = t + 2 * TUPLE_SIZE, t3 = t + 3 * TUPLE_SIZE;
  let k0 = laneKeys, k1 = laneKeys + KEYS, k2 = laneKeys + 2 * KEYS, k3 = laneKeys + 3 * KEYS;
  loadKeys(t0, k0);
  loadKeys(t1, k1);
  loadKeys(t2, k2);
  loadKeys(t3, k3);
  let w0 = NO_ENTRY, w1 = NO_ENTRY, w2 = NO_ENTRY, w3 = NO_ENTRY;
  setLaneAddrs(k0, k1, k2, k3);
  // The narrow groups' filter (layout.ts, IX): a lane in one of its clear cells walks no group.
  let narrow = lanesMayMatch(load<u32>(e, IX_FILTER), load<u32>(e, IX_CELL));
  narrowMisses += 4 - popcnt<u32>(narrow);
  let slot = trees.ptr + <usize>rs * GROUPS * SLOT;
  for (let g: u32 = 0; g < groups; g++, slot += SLOT) {
    // Slots ascend by lowest rule: once no lane can improve here, no later group can help.
    let min = load<u32>(slot, SLOT_MIN);
    if (min >= bestOf(w0) && min >= bestOf(w1) && min >= bestOf(w2) && min >= bestOf(w3)) break;
    let bv = isBitvec(slot);
    if (!bv && narrow == 0) continue; // no lane can match a walked group
    // A lane this group cannot improve, or whose cell its filter (or the
    // narrow groups' filter) rules out, neither walks it (CHILD_LEAF: done
    // already) nor checks its leaf.
    let live = <u32>(min < bestOf(w0)) | (<u32>(min < bestOf(w1)) << 1) | (<u32>(min < bestOf(w2)) << 2) | (<u32>(min < bestOf(w3)) << 3);
    let pass = live & (bv ? 15 : narrow) & lanesMayMatch(load<u32>(slot, SLOT_FILTER), load<u32>(slot, SLOT_CELL));
    let l0 = (pass & 1) != 0;
    let l1 = (pass & 2) != 0;
    let l2 = (pass & 4) != 0;
    let l3 = (pass & 8) != 0;
    if (bv) {
      let r = bitvecRecord(slot);
      if (hasCombine(r)) {
        // Every lane's first candidate, then their checks: the four chains
        // of loads (classes, combine tables) overlap.
        let j0 = bitvecFirst(r, k0);
        let j1 = bitvecFirst(r, k1);
        let j2 = bitvecFirst(r, k2);
        let j3 = bitvecFirst(r, k3);
        if (l0) w0 = better(w0, bitvecFinish(r, rules, hot, t0, k0, bestOf(w0), j0));
        if (l1) w1 = better(w1, bitvecFinish(r, rules, hot, t1, k1, bestOf(w1), j1));
        if (l2) w2 = better(w2, bitvecFinish(r, rules, hot, t2, k2, bestOf(w2), j2));
        if (l3) w3 = better(w3, bitvecFinish(r, rules, hot, t3, k3, bestOf(w3), j3));
        continue;
      }
      // No walk: each lane's lookup is a few independent loads already.
      if (l0) w0 = better(w0, bitvecMatch(slot, rules, hot, t0, k0, bestOf(w0)));
      if (l1) w1 = better(w1, bitvecMatch(slot, rules, hot, t1, k1, bestOf(w1)));
      if (l2) w2 = better(w2, bitvecMatch(slot, rules, hot, t2, k2, bestOf(w2)));
      if (l3) w3 = better(w3, bitvecMatch(slot, rules, hot, t3, k3, bestOf(w3)));
      continue;
    }
    let c0 = l0 ? walkRoot(slot, k0) : CHILD_LEAF;
    let c1 = l1 ? walkRoot(slot, k1) : CHILD_LEAF;
    let c2 = l2 ? walkRoot(slot, k2) : CHILD_LEAF;
    let c3 = l3 ? walkRoot(slot, k3) : CHILD_LEAF;
    while ((c0 & c1 & c2 & c3 & CHILD_LEAF) == 0) {
      c0 = laneStep(c0, k0);
      c1 = laneStep(c1, k1);
      c2 = laneStep(c2, k2);
      c3 = laneStep(c3, k3);
    }
    if (l0) w0 = better(w0, leafMatch(c0, rules, hot, t0, k0, bestOf(w0)));
    if (l1) w1 = better(w1, leafMatch(c1, rules, hot, t1, k1, bestOf(w1)));
    if (l2) w2 = better(w2, leafMatch(c2, rules, hot, t2, k2, bestOf(w2)));
    if (l3) w3 = better(w3, leafMatch(c3, rules, hot, t3, k3, bestOf(w3)));
  }
  store<i32>(out, entryAnswer(w0));
  store<i32>(out + outStride, entryAnswer(w1));
  store<i32>(out + 2 * outStride, entryAnswer(w2));
  store<i32>(out + 3 * outStride, entryAnswer(w3));
}
