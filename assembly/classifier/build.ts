// The indexed classifier's build, per program (as DPDK's rte_acl_build):
// when a program is loaded, each ruleset gets the linear scan or trees,
// whichever its size and the host's options call for, and a record (IX)
// saying which and why. The trees themselves come from build-tree.ts.
import { HDR_RULESET_COUNT, HDR_RULESETS_OFFSET, HDR_RULES_OFFSET, RULESET_SIZE, RS_FIRST_RULE, RS_RULE_COUNT } from "../layout";
import { reserveBuf } from "./buffer";
import {
  QUAD, GROUPS, SLOT, SLOT_MIN, IX, IX_KIND, IX_TREES, IX_BYTES, IX_REASON, IX_FILTER, IX_CELL, NO_FILTER,
  KIND_LINEAR, KIND_TREE, WHY_INDEXED, WHY_SMALL, WHY_FORCED_LINEAR, WHY_TOO_LARGE,
} from "./layout";
import { quadCount, listCount, table, tableCount, trees, resetStore, resetTo } from "./store";
import { prepareRules, buildGroup, resetTrees, setLeafSize, leafSize, groupMinRule, narrowFilter, lastFilterCell } from "./build-tree";

export const MODE_AUTO: u32 = 0;
export const MODE_LINEAR: u32 = 1;
export const MODE_INDEX: u32 = 2;

let mode: u32 = MODE_AUTO;
const slotCopy = memory.data(<i32>SLOT, 16); // a built slot on its way to its place
// Below this many rules the linear scan won in bench/classify.bench.ts.
let minRules: u32 = 32;
// Leaf entries allowed per rule before the tree is abandoned (ENTRY bytes
// each, see layout.ts). The ClassBench sets take 2 to 5 (their index bytes
// per rule are in bench/classify.bench.ts's table); randomly overlapping
// rules take many more, and this bound stops their explosion.
let maxEntriesPerRule: u32 = 48;

/**
 * Options for the next loadProgram: mode (MODE_*), minimum rules to index,
 * list-entry budget per rule, tree leaf size (0 keeps the current value).
 */
export function setClassifierOptions(m: u32, min: u32, budget: u32, leaf: u32): void {
  mode = m;
  minRules = min;
  if (budget > 0) maxEntriesPerRule = budget;
  setLeafSize(leaf);
}

/** Build the index of every ruleset of the validated program at `p`. */
export function buildIndexes(p: usize): void {
  let nSets = load<u32>(p, HDR_RULESET_COUNT);
  resetTrees();
  resetStore(nSets); // no walk of the old trees is reused
  let tab = reserveBuf(table, <usize>nSets * IX + 16);
  let tr = reserveBuf(trees, <usize>nSets * GROUPS * SLOT + 16);
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  for (let i: u32 = 0; i < nSets; i++) {
    let rs = p + load<u32>(p, HDR_RULESETS_OFFSET) + <usize>i * RULESET_SIZE;
    let first = load<u32>(rs, RS_FIRST_RULE);
    let n = load<u32>(rs, RS_RULE_COUNT);
    let e = tab + <usize>i * IX;
    store<u32>(e, KIND_LINEAR, IX_KIND);
    store<u32>(e, 0, IX_TREES);
    store<u32>(e, 0, IX_BYTES);
    store<u32>(e, NO_FILTER, IX_FILTER);
    if (mode == MODE_LINEAR) { store<u32>(e, WHY_FORCED_LINEAR, IX_REASON); continue; }
    if (mode == MODE_AUTO && n < minRules) { store<u32>(e, WHY_SMALL, IX_REASON); continue; }
    let n0 = quadCount;
    let l0 = listCount;
    prepareRules(rules, first, n, maxEntriesPerRule);
    let slots = tr + <usize>i * GROUPS * SLOT;
    let count: u32 = 0;
    let failed = false;
    let spare = slots + <usize>(GROUPS - 1) * SLOT;
    for (let g: u32 = 0; g < GROUPS; g++) {
      // Built into the last slot, then moved to its place in ascending
      // lowest rule, so the lookup can stop early.
      let built = buildGroup(n, g, spare);
      if (built == 0) continue;
      if (built < 0) { failed = true; break; }
      memory.copy(slotCopy, spare, SLOT);
      let j = count;
      while (j > 0 && load<u32>(slots + <usize>(j - 1) * SLOT, SLOT_MIN) > groupMinRule) {
        memory.copy(slots + <usize>j * SLOT, slots + <usize>(j - 1) * SLOT, SLOT);
        j--;
      }
      memory.copy(slots + <usize>j * SLOT, slotCopy, SLOT);
      count++;
    }
    if (failed) {
      resetTo(n0, l0);
      store<u32>(e, WHY_TOO_LARGE, IX_REASON);
      continue;
    }
    let nf = narrowFilter(n);
    store<u32>(e, nf, IX_FILTER);
    store<u32>(e, lastFilterCell(), IX_CELL);
    store<u32>(e, KIND_TREE, IX_KIND); // an empty ruleset too: no trees, no match
    store<u32>(e, count, IX_TREES);
    store<u32>(e, (quadCount - n0) * <u32>QUAD + (listCount - l0) * 4, IX_BYTES);
    store<u32>(e, WHY_INDEXED, IX_REASON);
  }
}

/** Index of ruleset `rs` of the active program: KIND_*, or -1 for no such ruleset. */
export function indexKind(rs: u32): i32 {
  return rs < tableCount ? <i32>load<u32>(table.ptr + <usize>rs * IX, IX_KIND) : -1;
}

/** Bytes of ruleset `rs`'s index (tree nodes and leaf lists); 0 for the scan. */
export function indexBytes(rs: u32): u32 {
  return rs < tableCount ? load<u32>(table.ptr + <usize>rs * IX, IX_BYTES) : 0;
}

/** Why ruleset `rs` has the index it has (WHY_*), -1 for no such ruleset. */
export function indexReason(rs: u32): i32 {
  return rs < tableCount ? <i32>load<u32>(table.ptr + <usize>rs * IX, IX_REASON) : -1;
}

/** Groups (trees and bit-vector groups) of ruleset `rs`'s index; 0 for the scan. */
export function indexGroups(rs: u32): u32 {
  return rs < tableCount ? load<u32>(table.ptr + <usize>rs * IX, IX_TREES) : 0;
}

/** The leaf size the trees are built with. */
export function indexLeafSize(): u32 {
  return leafSize;
}
