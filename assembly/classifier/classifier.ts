// Per-ruleset choice between the linear scan and the decision tree, made
// when a program is loaded, and the dispatch the pipeline calls instead of
// firstMatch. Whatever the choice, the answer is the linear first match.
import {
  HDR_RULESET_COUNT, HDR_RULESETS_OFFSET, HDR_RULES_OFFSET, RULESET_SIZE,
  RS_FIRST_RULE, RS_RULE_COUNT, T_FRAG, T_FAMILY, FRAG_LATER, TUPLE_SIZE,
} from "../layout";
import { firstMatch, HOT_SIZE } from "../match";
import { Buf, reserveBuf } from "./buffer";
import { prepareRules, buildGroup, resetTrees, resetTo, walk, walkKeys, leafMatch, ENTRY_INDEX, ENTRY_HEAD, NO_ENTRY, quadCount, listCount, leafSize, setLeafSize, GROUPS, groupMinRule, QUAD, SLOT, loadKeys, KEYS } from "./tree";

// Per-ruleset record, 16 bytes: u32 kind, u32 tree count, u32 index bytes,
// u32 reason; its trees are GROUPS slots of `trees` from rs * GROUPS, each
// u32 root node, u32 lowest rule, in ascending lowest rule.
export const KIND_LINEAR: u32 = 0;
export const KIND_TREE: u32 = 1;

export const WHY_INDEXED: u32 = 0;
export const WHY_SMALL: u32 = 1; // fewer rules than the threshold: the scan is faster
export const WHY_FORCED_LINEAR: u32 = 2; // the host asked for the linear scan
export const WHY_TOO_LARGE: u32 = 3; // the tree would exceed its memory budget

export const MODE_AUTO: u32 = 0;
export const MODE_LINEAR: u32 = 1;
export const MODE_INDEX: u32 = 2;

let mode: u32 = MODE_AUTO;
// Below this many rules the linear scan won in bench/classify.bench.ts.
let minRules: u32 = 32;
// Leaf entries allowed per rule before the tree is abandoned (32 bytes
// each, see tree.ts makeLeaf). The ClassBench sets take 2 to 5 (their index
// bytes per rule are in bench/classify.bench.ts's table); randomly
// overlapping rules take many more, and this bound stops their explosion.
let maxEntriesPerRule: u32 = 48;

let table = new Buf();
let trees = new Buf();
let tableCount: u32 = 0;

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

// The walk of the next tuple: while one packet's leaves are checked, the
// first group's walk for the tuple after it in memory (the next of a batch)
// runs too, so its loads overlap instead of queueing. The result is kept
// with the keys, ruleset and index generation it was walked for, and used
// only when all three are the packet's: a cache, right whatever the tuple.
const memoKeys = memory.data(24, 16);
let memoLeaf: u32 = 0;
let memoRs: u32 = 0xffffffff;
let memoGen: u32 = 0;
let generation: u32 = 1;

/** Build the index of every ruleset of the validated program at `p`. */
export function buildIndexes(p: usize): void {
  resetTrees();
  generation++; // no walk of the old trees is reused
  let nSets = load<u32>(p, HDR_RULESET_COUNT);
  tableCount = nSets;
  let tab = reserveBuf(table, <usize>nSets * 16 + 16);
  let tr = reserveBuf(trees, <usize>nSets * GROUPS * SLOT + 16);
  let rules = p + load<u32>(p, HDR_RULES_OFFSET);
  for (let i: u32 = 0; i < nSets; i++) {
    let rs = p + load<u32>(p, HDR_RULESETS_OFFSET) + <usize>i * RULESET_SIZE;
    let first = load<u32>(rs, RS_FIRST_RULE);
    let n = load<u32>(rs, RS_RULE_COUNT);
    let e = tab + <usize>i * 16;
    store<u32>(e, KIND_LINEAR);
    store<u32>(e, 0, 4);
    store<u32>(e, 0, 8);
    if (mode == MODE_LINEAR) { store<u32>(e, WHY_FORCED_LINEAR, 12); continue; }
    if (mode == MODE_AUTO && n < minRules) { store<u32>(e, WHY_SMALL, 12); continue; }
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
      let s0 = load<u64>(spare);
      let s1 = load<u64>(spare, 8);
      let j = count;
      while (j > 0 && load<u32>(slots + <usize>(j - 1) * SLOT, 4) > groupMinRule) {
        memory.copy(slots + <usize>j * SLOT, slots + <usize>(j - 1) * SLOT, SLOT);
        j--;
      }
      store<u64>(slots + <usize>j * SLOT, s0);
      store<u64>(slots + <usize>j * SLOT, s1, 8);
      count++;
    }
    if (failed) {
      resetTo(n0, l0);
      store<u32>(e, WHY_TOO_LARGE, 12);
      continue;
    }
    store<u32>(e, KIND_TREE); // an empty ruleset too: no trees, no match
    store<u32>(e, count, 4);
    store<u32>(e, (quadCount - n0) * <u32>QUAD + (listCount - l0) * 4, 8);
    store<u32>(e, WHY_INDEXED, 12);
  }
}

// classifierMatch's answer, a "match word": -1 for no match, else the
// rule's global index | its action << MATCH_ACTION | its marks << MATCH_MARKS
// (an entry word's head bits, see tree.ts): the pipeline needs them, and the
// leaf entry that matched has them in cache where the rule's hot record
// would be a miss.
const MATCH_ACTION: u32 = 22; // above the rule index (MAX_RULES is 2^22)
const MATCH_MARKS: u32 = MATCH_ACTION + 1;

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

/** The match word of the first match in ruleset `rs` (rules [first, first + count)): the trees when it has them. */
// @ts-ignore: decorator
@inline export function classifierMatch(rs: u32, rules: usize, hot: usize, first: u32, count: u32, t: usize): i32 {
  let e = table.ptr + <usize>rs * 16;
  // Later fragments (their layer-4 tests drop out) and anything but IPv4/IPv6
  // take the scan: the tree's keys assume a first fragment of a known family.
  if (load<u32>(e) == KIND_TREE && load<u8>(t, T_FRAG) != FRAG_LATER) {
    let fam = load<u8>(t, T_FAMILY);
    if (fam == 4 || fam == 6) return treesMatch(rs, load<u32>(e, 4), rules, hot, t);
  }
  let i = firstMatch(rules, hot, first, count, t);
  if (i < 0) return -1;
  // The hot record's first word is the record's: action at byte 2, marks at 3.
  let h = <u32>load<u16>(hot + <usize>i * HOT_SIZE, 2);
  return i | <i32>(((h & 0xff) | ((h >> 8) << 1)) << MATCH_ACTION);
}

const oneKeys = memory.data(<i32>KEYS, 16);

function treesMatch(rs: u32, n: u32, rules: usize, hot: usize, t: usize): i32 {
  let slot = trees.ptr + <usize>rs * GROUPS * SLOT;
  let best: u32 = 0xffffffff;
  if (n == 0) return -1;
  let k = oneKeys;
  loadKeys(t, k);
  let leaf0: u32;
  if (memoRs == rs && memoGen == generation && sameKeys(k)) leaf0 = memoLeaf;
  else leaf0 = walk(slot, k);
  // Bounded: the next tuple's bytes must be in memory (they may be anything).
  let next = t + TUPLE_SIZE;
  if (next + TUPLE_SIZE <= (<usize>memory.size() << 16)) {
    walkKeys(next, memoKeys);
    memoLeaf = walk(slot, memoKeys);
    memoRs = rs;
    memoGen = generation;
  }
  // `best` is the lowest rule index found so far, `word` its entry word.
  let word = leafMatch(leaf0, rules, hot, t, k, best);
  if (word != NO_ENTRY) best = word & ENTRY_INDEX;
  slot += SLOT;
  for (let i: u32 = 1; i < n; i++, slot += SLOT) {
    if (load<u32>(slot, 4) >= best) break;
    let w = leafMatch(walk(slot, k), rules, hot, t, k, best);
    if (w != NO_ENTRY) {
      word = w;
      best = w & ENTRY_INDEX;
    }
  }
  if (word == NO_ENTRY) return -1;
  return <i32>(best | ((word >> ENTRY_HEAD) << MATCH_ACTION));
}

// @ts-ignore: decorator
@inline function sameKeys(k: usize): bool {
  return (load<u64>(k) ^ load<u64>(memoKeys)) == 0
    && (load<u64>(k, 8) ^ load<u64>(memoKeys, 8)) == 0
    && (load<u64>(k, 16) ^ load<u64>(memoKeys, 16)) == 0;
}

/** Index of ruleset `rs` of the active program: KIND_*, or -1 for no such ruleset. */
export function indexKind(rs: u32): i32 {
  return rs < tableCount ? <i32>load<u32>(table.ptr + <usize>rs * 16) : -1;
}

/** Bytes of ruleset `rs`'s index (tree nodes and leaf lists); 0 for the scan. */
export function indexBytes(rs: u32): u32 {
  return rs < tableCount ? load<u32>(table.ptr + <usize>rs * 16, 8) : 0;
}

/** Why ruleset `rs` has the index it has (WHY_*), -1 for no such ruleset. */
export function indexReason(rs: u32): i32 {
  return rs < tableCount ? <i32>load<u32>(table.ptr + <usize>rs * 16, 12) : -1;
}

/** The leaf size the trees are built with. */
export function indexLeafSize(): u32 {
  return leafSize;
}
