// The indexed classifier's build, one ruleset's rules at a time (as DPDK's
// acl_bld.c and acl_gen.c): each rule's box over the six keys, the split of
// the rules into groups, and per group a HyperSplit-style binary decision
// tree, turned into the quad nodes and leaf lists the lookup walks
// (layout.ts says what each record holds, lookup.ts reads them).
//
// A rule's box CONTAINS every packet it can match (a necessary condition,
// like the linear scan's hot prefilter); tests the box cannot express
// (negation, neq, ICMP, flags, interfaces, time, IPv6 words 1..3) widen the
// box. A leaf's candidates are checked in priority order against their
// boxes and the family and "has ports" bits; for a pure rule that is
// exactly its test, for any other the very test of the scan (ruleMatches)
// follows; so the answer is the linear first match whatever the tree looks
// like: the tree only skips rules that cannot match.
//
// A rule whose box is EXACTLY its match set ("pure") and that covers a
// node's whole region matches every packet reaching that node, so no rule
// after it is kept there; this is what keeps catch-all rules and the
// wildcard-heavy firewall sets small.
import {
  RULE_SIZE, R_TESTS, R_ACTION, R_MARKS, R_FAMILY, R_PROTO, R_SRC0, R_SRC_MASK0, R_DST0, R_DST_MASK0,
  R_SPORT_LO, R_SPORT_HI, R_DPORT_LO, R_DPORT_HI, R_SPORT_OP, R_DPORT_OP, R_SRC_MASK1, R_DST_MASK1,
  TEST_FAMILY, TEST_PROTO, TEST_SRC, TEST_DST, TEST_SPORT, TEST_DPORT,
  MARK_SRC_NEG, MARK_DST_NEG, PORT_OP_NEQ,
} from "../layout";
import { Buf, reserveBuf, growBuf } from "./buffer";
import {
  DIMS, DIM_FAMILY, DIM_PROTO, DIM_SRC, DIM_DST, DIM_SPORT, DIM_DPORT, NO_PORTS, BOX, BOX_LO, BOX_HI,
  NODE, NODE_WORD, NODE_ARG, NODE_SHIFT, NODE_DIM, LEAF, QUAD, Q_DIMS, Q_T0, Q_T1, Q_CHILD, Q_DIM_BITS, CHILD_LEAF,
  LEAF_HEAD, LEAF_COUNT, ENTRY, E_ADDR, E_L4, E_WORD, ENTRY_SHIFT, ENTRY_HEAD,
  NEED_FULL, NEED_V4, NEED_V6, NEED_PORTS, SLOT_ROOT, SLOT_MIN, SLOT_CUT, SLOT_SHIFT, SLOT_FILTER, NO_CUT,
  SLOT_CELL, FILTER_CELL_DST_SHIFT, FILTER_CELL_DST_BITS, NO_FILTER, CUT_BITVEC, BV_MAX_RULES,
} from "./layout";
import { quads, quadCount, lists, listCount, takeQuads, takeWords, resetTo } from "./store";
import { buildBitvec, BITVEC_FAILED } from "./build-bitvec";
import { combineCount, resetCombines } from "./build-bitvec-combine";

const MAX_DEPTH: u32 = 64;
const PURE_TESTS: u32 = TEST_FAMILY | TEST_PROTO | TEST_SRC | TEST_DST | TEST_SPORT | TEST_DPORT;

// A box's bounds on key `d`.
// @ts-ignore: decorator
@inline function boxLo(b: usize, d: u32): u32 {
  return load<u32>(b + BOX_LO + (<usize>d << 2));
}
// @ts-ignore: decorator
@inline function boxHi(b: usize, d: u32): u32 {
  return load<u32>(b + BOX_HI + (<usize>d << 2));
}
// @ts-ignore: decorator
@inline function setBox(b: usize, d: u32, l: u32, h: u32): void {
  store<u32>(b + BOX_LO + (<usize>d << 2), l);
  store<u32>(b + BOX_HI + (<usize>d << 2), h);
}

/** Leaf size at which splitting stops (tuned by bench/classify.bench.ts). */
export let leafSize: u32 = 4;
export function setLeafSize(n: u32): void {
  if (n > 0) leafSize = n;
}

let nodes = new Buf(); // binary nodes of the group being built (NODE bytes)
let nodeCount: u32 = 0;
let leafCount: u32 = 0;
let maxLeaf: u32 = 0;
let boxes = new Buf(); // per ruleset-local rule: BOX bytes
let pure = new Buf(); // per ruleset-local rule: u8 NEED_* bits
let scratch = new Buf(); // node candidate lists (u32 local indices), a stack
let points = new Buf(); // split-point candidates of one node
let regions = new Buf(); // the region of the node at each depth
let buildFirst: u32 = 0;
let buildRules: usize = 0; // the program's rule records, for the entries' head bits
let entryLimit: u32 = 0;
let entryStart: u32 = 0;
let entryCount: u32 = 0; // leaf entries made since resetTrees (the budget counts these)
let overBudget = false;

/** Forget the build statistics (a new program is being indexed; store.ts forgets the trees). */
export function resetTrees(): void {
  filterCount = 0;
  narrowCount = 0;
  bitvecCount = 0;
  resetCombines();
  nodeCount = 0;
  entryCount = 0;
  leafCount = 0;
  maxLeaf = 0;
  deepest = 0;
}

// @ts-ignore: decorator
@inline function prefixBox(b: usize, d: u32, v: u32, m: u32): bool {
  // A prefix is a range when its mask is contiguous; else keep the full range
  // (the candidate check is exact anyway) and call the rule impure.
  let contiguous = (~m & (~m + 1)) == 0;
  if (!contiguous || (v & ~m) != 0) {
    setBox(b, d, 0, 0xffffffff);
    return false;
  }
  setBox(b, d, v, v | ~m);
  return true;
}

// The box on address key `d` of rule record `r`, whose prefix is at `at`
// (word 0) with masks at `mask0` and `mask1` (words 1..3): true when the box
// is exactly the rule's address test (`tested`, not negated).
// @ts-ignore: decorator
@inline function addressBox(b: usize, d: u32, r: usize, tested: bool, negated: bool, at: usize, mask0: usize, mask1: usize): bool {
  if (!tested || negated) {
    setBox(b, d, 0, 0xffffffff);
    return !tested;
  }
  let exact = prefixBox(b, d, load<u32>(r + at), load<u32>(r + mask0));
  // IPv6 words 1..3 are not keys: only a prefix of /32 or less is exact.
  return exact && (load<u32>(r + mask1) | load<u32>(r + mask1 + 4) | load<u32>(r + mask1 + 8)) == 0;
}

// @ts-ignore: decorator
@inline function portBox(b: usize, d: u32, tested: bool, op: u32, lo: u32, hi: u32): bool {
  if (!tested) {
    setBox(b, d, 0, NO_PORTS);
    return true;
  }
  if (op == PORT_OP_NEQ || lo > hi) {
    setBox(b, d, 0, 65535);
    return false;
  }
  setBox(b, d, lo, hi);
  return true;
}

// Box and purity of each rule of the ruleset.
function ruleBoxes(rules: usize, first: u32, n: u32): void {
  reserveBuf(boxes, <usize>n * BOX + 16);
  reserveBuf(pure, <usize>n + 16);
  for (let i: u32 = 0; i < n; i++) {
    let r = rules + <usize>(first + i) * RULE_SIZE;
    let b = boxes.ptr + <usize>i * BOX;
    let tests = <u32>load<u16>(r, R_TESTS);
    let marks = <u32>load<u8>(r, R_MARKS);
    let ok = (tests & ~PURE_TESTS) == 0;
    if (tests & TEST_FAMILY) {
      let f = <u32>load<u8>(r, R_FAMILY);
      setBox(b, DIM_FAMILY, f == 6 ? 1 : 0, f == 4 ? 0 : 1);
      if (f != 4 && f != 6) ok = false;
    } else {
      setBox(b, DIM_FAMILY, 0, 1);
    }
    if (tests & TEST_PROTO) {
      setBox(b, DIM_PROTO, <u32>load<u8>(r, R_PROTO), <u32>load<u8>(r, R_PROTO));
    } else {
      setBox(b, DIM_PROTO, 0, 255);
    }
    if (!addressBox(b, DIM_SRC, r, (tests & TEST_SRC) != 0, (marks & MARK_SRC_NEG) != 0, R_SRC0, R_SRC_MASK0, R_SRC_MASK1)) ok = false;
    if (!addressBox(b, DIM_DST, r, (tests & TEST_DST) != 0, (marks & MARK_DST_NEG) != 0, R_DST0, R_DST_MASK0, R_DST_MASK1)) ok = false;
    // Any port test needs a packet with ports: the untested side then spans
    // the real ports only (ruleMatches checks HAS_PORTS for both).
    let ports = (tests & (TEST_SPORT | TEST_DPORT)) != 0;
    if (!portBox(b, DIM_SPORT, ports, (tests & TEST_SPORT) ? <u32>load<u8>(r, R_SPORT_OP) : 0,
      (tests & TEST_SPORT) ? <u32>load<u16>(r, R_SPORT_LO) : 0, (tests & TEST_SPORT) ? <u32>load<u16>(r, R_SPORT_HI) : 65535)) ok = false;
    if (!portBox(b, DIM_DPORT, ports, (tests & TEST_DPORT) ? <u32>load<u8>(r, R_DPORT_OP) : 0,
      (tests & TEST_DPORT) ? <u32>load<u16>(r, R_DPORT_LO) : 0, (tests & TEST_DPORT) ? <u32>load<u16>(r, R_DPORT_HI) : 65535)) ok = false;
    let need: u32 = ok ? 0 : NEED_FULL;
    if (tests & TEST_FAMILY) {
      let f = <u32>load<u8>(r, R_FAMILY);
      if (f == 4) need |= NEED_V4;
      else if (f == 6) need |= NEED_V6;
    }
    if (ports) need |= NEED_PORTS; // ruleMatches: any port test needs HAS_PORTS
    store<u8>(pure.ptr + i, <u8>need);
  }
}

// The k-th smallest of `m` u32 values at `a` (Hoare quickselect, in place).
function selectK(a: usize, m: i32, k: i32): u32 {
  let lo = 0;
  let hi = m - 1;
  while (lo < hi) {
    let pivot = load<u32>(a + (<usize>(lo + ((hi - lo) >> 1)) << 2));
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (load<u32>(a + (<usize>i << 2)) < pivot) i++;
      while (load<u32>(a + (<usize>j << 2)) > pivot) j--;
      if (i <= j) {
        let x = load<u32>(a + (<usize>i << 2));
        store<u32>(a + (<usize>i << 2), load<u32>(a + (<usize>j << 2)));
        store<u32>(a + (<usize>j << 2), x);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return load<u32>(a + (<usize>k << 2));
}

function newNode(): u32 {
  growBuf(nodes, <usize>(nodeCount + 1) * NODE, <usize>nodeCount * NODE);
  return nodeCount++;
}

// A leaf's list (layout.ts): its entries hold each candidate's box as two
// vector compares test it, from ruleBoxes: exactly its match set for a pure
// rule (with the need bits), a superset for an impure one, which
// ruleMatches then decides. So a candidate is checked from the leaf's own
// cache lines, without reading its hot record.
function makeLeaf(list: usize, n: u32, region: usize): u32 {
  let id = newNode();
  let words = <u32>(LEAF_HEAD >> 2) + n * (<u32>ENTRY >> 2);
  growBuf(lists, <usize>(listCount + words) * 4 + 16, <usize>listCount * 4);
  let at = takeWords(words);
  let node = nodes.ptr + <usize>id * NODE;
  store<u32>(node, LEAF | (n << NODE_SHIFT), NODE_WORD);
  store<u32>(node, at, NODE_ARG);
  let out = lists.ptr + <usize>at * 4;
  store<u32>(out, n, LEAF_COUNT);
  memory.fill(out + LEAF_COUNT + 4, 0, LEAF_HEAD - LEAF_COUNT - 4);
  out += LEAF_HEAD;
  for (let i: u32 = 0; i < n; i++, out += ENTRY) {
    let r = load<u32>(list + <usize>i * 4);
    let b = boxes.ptr + <usize>r * BOX;
    store<u32>(out, boxLo(b, DIM_SRC), E_ADDR);
    store<u32>(out, boxLo(b, DIM_DST), E_ADDR + 4);
    store<u32>(out, ~boxHi(b, DIM_SRC), E_ADDR + 8);
    store<u32>(out, ~boxHi(b, DIM_DST), E_ADDR + 12);
    // Port boxes end at NO_PORTS for a rule without port tests: any port.
    let sh = boxHi(b, DIM_SPORT);
    let dh = boxHi(b, DIM_DPORT);
    store<u16>(out, <u16>boxLo(b, DIM_SPORT), E_L4);
    store<u16>(out, <u16>boxLo(b, DIM_DPORT), E_L4 + 2);
    store<u16>(out, <u16>~(sh > 65535 ? 65535 : sh), E_L4 + 4);
    store<u16>(out, <u16>~(dh > 65535 ? 65535 : dh), E_L4 + 6);
    store<u16>(out, <u16>boxLo(b, DIM_PROTO), E_L4 + 8);
    store<u16>(out, <u16>~boxHi(b, DIM_PROTO), E_L4 + 10);
    store<u32>(out, entryWord(r), E_WORD);
  }
  leafCount++;
  if (n > maxLeaf) maxLeaf = n;
  entryCount += n;
  if (entryCount - entryStart > entryLimit) overBudget = true;
  return id;
}

// The entry word (layout.ts) of ruleset-local rule `r`.
function entryWord(r: u32): u32 {
  let rec = buildRules + <usize>(buildFirst + r) * RULE_SIZE;
  let head = <u32>load<u8>(rec, R_ACTION) | (<u32>load<u8>(rec, R_MARKS) << 1);
  return (buildFirst + r) | (<u32>load<u8>(pure.ptr + r) << ENTRY_SHIFT) | (head << ENTRY_HEAD);
}

// Does rule `r`'s box contain the whole region?
// @ts-ignore: decorator
@inline function covers(r: u32, region: usize): bool {
  let b = boxes.ptr + <usize>r * BOX;
  for (let d: u32 = 0; d < DIMS; d++) {
    if (boxLo(b, d) > boxLo(region, d)) return false;
    if (boxHi(b, d) < boxHi(region, d)) return false;
  }
  return true;
}

// Build the subtree for the `n` candidates at scratch[base..] (ascending
// rule order) over the region at `depth`; returns its node id.
let deepest: u32 = 0;
function buildNode(base: u32, n: u32, depth: u32): u32 {
  if (depth > deepest) deepest = depth;
  let region = regions.ptr + <usize>depth * BOX;
  let list = scratch.ptr + <usize>base * 4;
  for (let i: u32 = 0; i < n; i++) {
    let r = load<u32>(list + <usize>i * 4);
    if ((<u32>load<u8>(pure.ptr + r) & NEED_FULL) == 0 && covers(r, region)) {
      n = i + 1;
      break;
    }
  }
  if (n <= leafSize || depth + 1 >= MAX_DEPTH || overBudget) return makeLeaf(list, n, region);

  // Per key: the median of the rule edges strictly inside the region; keep
  // the key whose split leaves the larger side smallest (then the fewest copies).
  reserveBuf(points, <usize>n * 8 + 16);
  let pts = points.ptr;
  let bestDim: u32 = DIMS;
  let bestT: u32 = 0;
  let bestMax: u32 = n;
  let bestSum: u32 = n << 1;
  for (let d: u32 = 0; d < DIMS; d++) {
    let rlo = boxLo(region, d);
    let rhi = boxHi(region, d);
    if (rlo == rhi) continue;
    let m: i32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX;
      let lo = boxLo(b, d);
      let hi = boxHi(b, d);
      if (lo > rlo) { store<u32>(pts + (<usize>m << 2), lo); m++; }
      if (hi < rhi) { store<u32>(pts + (<usize>m << 2), hi + 1); m++; }
    }
    if (m == 0) continue;
    let t = selectK(pts, m, m >> 1);
    let nl: u32 = 0;
    let nr: u32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX;
      if (boxLo(b, d) < t) nl++;
      if (boxHi(b, d) >= t) nr++;
    }
    let mx = nl > nr ? nl : nr;
    if (mx < bestMax || (mx == bestMax && nl + nr < bestSum)) {
      bestMax = mx;
      bestSum = nl + nr;
      bestDim = d;
      bestT = t;
    }
  }
  if (bestDim == DIMS || bestMax >= n) return makeLeaf(list, n, region);

  let id = newNode();
  let child = region + BOX;
  let top = base + n;
  // Left: keys < bestT.
  memory.copy(child, region, BOX);
  setBox(child, bestDim, boxLo(region, bestDim), bestT - 1);
  let nl = splitList(base, n, top, bestDim, bestT, true);
  buildNode(top, nl, depth + 1); // the left child is node id + 1
  if (overBudget) return id;
  // Right: keys >= bestT (the left build reused the deeper scratch and regions).
  region = regions.ptr + <usize>depth * BOX;
  child = region + BOX;
  memory.copy(child, region, BOX);
  setBox(child, bestDim, bestT, boxHi(region, bestDim));
  let nr = splitList(base, n, top, bestDim, bestT, false);
  let right = buildNode(top, nr, depth + 1);
  let node = nodes.ptr + <usize>id * NODE;
  store<u32>(node, bestDim | (right << NODE_SHIFT), NODE_WORD);
  store<u32>(node, bestT, NODE_ARG);
  return id;
}

// Copy the candidates at scratch[base, base+n) that reach one side of the
// split to scratch[top..]; returns how many.
function splitList(base: u32, n: u32, top: u32, d: u32, t: u32, left: bool): u32 {
  growBuf(scratch, <usize>(top + n) * 4 + 16, <usize>top * 4);
  let src = scratch.ptr + <usize>base * 4;
  let dst = scratch.ptr + <usize>top * 4;
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let r = load<u32>(src + <usize>i * 4);
    let b = boxes.ptr + <usize>r * BOX;
    let inside = left ? boxLo(b, d) < t : boxHi(b, d) >= t;
    if (inside) { store<u32>(dst + <usize>k * 4, r); k++; }
  }
  return k;
}

// The quad tree of the binary subtree at node `b` (see QUAD); returns its child word.
function quadify(b: u32): u32 {
  let w = load<u32>(nodes.ptr + <usize>b * NODE, NODE_WORD);
  if ((w & NODE_DIM) == LEAF) return CHILD_LEAF | load<u32>(nodes.ptr + <usize>b * NODE, NODE_ARG);
  growBuf(quads, <usize>(quadCount + 1) * QUAD, <usize>quadCount * QUAD);
  let id = takeQuads(1);
  let t0 = load<u32>(nodes.ptr + <usize>b * NODE, NODE_ARG);
  store<u32>(quads.ptr + <usize>id * QUAD, w & NODE_DIM, Q_DIMS);
  store<u32>(quads.ptr + <usize>id * QUAD, t0, Q_T0);
  quadSide(id, 0, b + 1);
  quadSide(id, 1, w >> NODE_SHIFT);
  return id;
}

// Side `s` (0 left, 1 right) of quad `id`: the test and children of binary node `c`.
function quadSide(id: u32, s: u32, c: u32): void {
  let wc = load<u32>(nodes.ptr + <usize>c * NODE, NODE_WORD);
  let lo: u32;
  let hi: u32;
  let dim: u32 = 0;
  let t: u32 = 0; // key 0 >= 0: a leaf side always takes its second slot
  if ((wc & NODE_DIM) == LEAF) {
    lo = CHILD_LEAF | load<u32>(nodes.ptr + <usize>c * NODE, NODE_ARG);
    hi = lo;
  } else {
    dim = wc & NODE_DIM;
    t = load<u32>(nodes.ptr + <usize>c * NODE, NODE_ARG);
    lo = quadify(c + 1);
    hi = quadify(wc >> NODE_SHIFT);
  }
  // The children may have grown the buffer: address the quad only now.
  let q = quads.ptr + <usize>id * QUAD;
  store<u32>(q, load<u32>(q, Q_DIMS) | (dim << (Q_DIM_BITS * (1 + s))), Q_DIMS);
  store<u32>(q + Q_T1 + <usize>s * 4, t);
  store<u32>(q + Q_CHILD + <usize>s * 8, lo);
  store<u32>(q + Q_CHILD + 4 + <usize>s * 8, hi);
}

// Rules are split into groups by which of the two address keys are wide,
// and each group gets its own tree (as CutSplit does): a rule wide in a key
// would be copied into every subtree split on that key, and mixing wide and
// narrow rules is what makes a single tree explode on firewall sets.
// Rules wide in both keys are split once more: those whose destination
// (G_CUT_DST), else source (G_CUT_SRC), is still a /6 or longer get a group of their own, cut on
// that key's top bits, when that cut leaves at least half of its buckets
// empty. Left together they overlap on every split (acl1_100k: 236 such
// rules made a tree 14 levels deep with leaves of 23 entries, and a uniform
// packet spent half its time in it); cut apart, most addresses land in an
// empty bucket. A split that empties few buckets only adds a walk to every
// packet (fw1_10k, ipc1_10k: slower), so those rules stay in G_WIDE.
// (GROUPS, in layout.ts, is their count.)
const G_NARROW: u32 = 0; // narrow source and destination
const G_WIDE_DST: u32 = 1; // narrow source, wide destination
const G_WIDE_SRC: u32 = 2; // wide source, narrow destination
const G_WIDE: u32 = 3; // both wide
const G_CUT_DST: u32 = 4; // both wide, the destination a /6 or longer
const G_CUT_SRC: u32 = 5; // both wide, the source a /6 or longer
const WIDE: u32 = 0xffff; // an address range wider than a /16 is wide
const MEDIUM: u32 = 0x3ffffff; // a /6 or longer
let groupOf = new Buf(); // per ruleset-local rule: u8
// The cut groups' rules are looked up in G_WIDE's bit-vector group, when all
// the rules wide in both addresses fit in one (BV_MAX_RULES): a cut group's
// tree is one more group every packet tries, and on traffic the rules do
// not describe its filter still lets a few percent through to a walk and a
// leaf (acl1_100k's uniform trace: 83 rules cut on the destination, 7.5% of
// packets walked them), while the bit-vector group's combine tables answer
// for any number of its rules in the same eight loads. bench/wasm-ab.ts,
// new / old: acl1_100k uniform 0.843; no other ClassBench set has cut
// groups that fit. If the merged group cannot be a bit-vector group after
// all, the cut groups are built as before (buildGroup).
let cutsMerged = false;
let narrowCount: u32 = 0; // narrow groups' filters made since resetTrees
let wideBitvec = false; // G_WIDE (with the cut groups' rules when merged) is a bit-vector group

/**
 * The narrow groups' filter (layout.ts, IX) of the `n` prepared rules, once
 * their groups are built: its list offset (lastFilterCell says its cells),
 * or NO_FILTER when fewer than two groups are walked or no split leaves
 * enough cells clear.
 */
export function narrowFilter(n: u32): u32 {
  reserveBuf(scratch, <usize>n * 8 + 16);
  let k: u32 = 0;
  let seen: u32 = 0; // the groups walked, one bit each
  for (let i: u32 = 0; i < n; i++) {
    let g = <u32>load<u8>(groupOf.ptr + i);
    // (cutsMerged holds only if G_WIDE became that bit-vector group: buildGroup clears it otherwise.)
    if (wideBitvec && (g == G_WIDE || (cutsMerged && g > G_WIDE))) continue;
    seen |= 1 << g;
    store<u32>(scratch.ptr + <usize>k * 4, i);
    k++;
  }
  if (popcnt<u32>(seen) < 2) return NO_FILTER;
  let f = groupFilter(scratch.ptr, k);
  if (f != NO_FILTER) {
    narrowCount++;
    filterCount--; // counted apart from the groups' own
  }
  return f;
}

/** The cell word of the last filter made (groupFilter, narrowFilter). */
export function lastFilterCell(): u32 {
  return filterCell;
}

/** Compute the boxes and groups of the `n` rules starting at global rule `first`. */
export function prepareRules(rules: usize, first: u32, n: u32, maxEntriesPerRule: u32): void {
  ruleBoxes(rules, first, n);
  entryStart = entryCount;
  let lim = <u64>n * <u64>maxEntriesPerRule + 64;
  entryLimit = lim > <u64>0xffffffff ? 0xffffffff : <u32>lim;
  reserveBuf(groupOf, <usize>n + 16);
  for (let i: u32 = 0; i < n; i++) {
    let b = boxes.ptr + <usize>i * BOX;
    let srcWidth = boxHi(b, DIM_SRC) - boxLo(b, DIM_SRC);
    let dstWidth = boxHi(b, DIM_DST) - boxLo(b, DIM_DST);
    let g: u32 = (srcWidth > WIDE ? G_WIDE_SRC : G_NARROW) | (dstWidth > WIDE ? G_WIDE_DST : G_NARROW);
    if (g == G_WIDE && dstWidth <= MEDIUM) g = G_CUT_DST;
    else if (g == G_WIDE && srcWidth <= MEDIUM) g = G_CUT_SRC;
    store<u8>(groupOf.ptr + i, <u8>g);
  }
  keepSplit(n, G_CUT_DST, DIM_DST);
  keepSplit(n, G_CUT_SRC, DIM_SRC);
  let both: u32 = 0;
  let cut: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let g = <u32>load<u8>(groupOf.ptr + i);
    if (g >= G_WIDE) both++;
    if (g > G_WIDE) cut++;
  }
  cutsMerged = cut > 0 && both <= BV_MAX_RULES;
  wideBitvec = false;
  buildFirst = first;
  buildRules = rules;
}

// The table bits of a cut on key `cut` for the `k` rules at `list` (local
// indices): 0 for no table (too few rules), else up to 16, and no more than
// the shortest prefix on that key, so that every rule lies in one bucket
// (its boxes are aligned prefixes).
function cutBits(list: usize, k: u32, cut: u32): u32 {
  let bits: u32 = k < 64 ? 0 : 31 - clz<u32>(k) + 1;
  if (bits > 16) bits = 16;
  let widest: u32 = 0;
  for (let i: u32 = 0; i < k; i++) {
    let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX;
    let w = boxHi(b, cut) - boxLo(b, cut);
    if (w > widest) widest = w;
  }
  let fit = <u32>clz<u32>(widest);
  return bits > fit ? fit : bits;
}

// Keep group `g` (cut on key `cut`) only if its table leaves at least half
// of its buckets empty; else its rules go back to G_WIDE.
function keepSplit(n: u32, g: u32, cut: u32): void {
  reserveBuf(scratch, <usize>n * 8 + 16);
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (<u32>load<u8>(groupOf.ptr + i) == g) {
      store<u32>(scratch.ptr + <usize>k * 4, i);
      k++;
    }
  }
  if (k == 0) return;
  let bits = cutBits(scratch.ptr, k, cut);
  let keep = false;
  if (bits > 0) {
    let nb: u32 = 1 << bits;
    let seen = reserveBuf(bucketCounts, <usize>nb + 16);
    memory.fill(seen, 0, <usize>nb);
    let used: u32 = 0;
    for (let i: u32 = 0; i < k; i++) {
      let j = boxLo(boxes.ptr + <usize>load<u32>(scratch.ptr + <usize>i * 4) * BOX, cut) >> (32 - bits);
      if (load<u8>(seen + j) == 0) { store<u8>(seen + j, 1); used++; }
    }
    keep = used * 2 <= nb;
  }
  if (keep) return;
  for (let i: u32 = 0; i < k; i++) store<u8>(groupOf.ptr + load<u32>(scratch.ptr + <usize>i * 4), <u8>G_WIDE);
}

// A group's filter (layout.ts, "group filters") is made only for a group
// of at least FILTER_MIN_RULES rules (a small group's walk is short). It has
// about 64 cells per rule (FILTER_MIN_BITS to FILTER_MAX_BITS bits of cell
// number: 8 bytes per rule, 2 to 128 KB), so that a group's scattered
// narrow prefixes still leave most cells clear. (64 against 32 cells a
// rule, bench/wasm-ab.ts new / old: fw1_10k uniform 0.904 and 0.915, its
// own trace 0.961 and 0.965, the other cells 0.92-1.02; 128 cells cost
// fw1_10k's own trace 1.04x.) Splits of the cell's bits
// between source and destination are tried (2 source bits to 2
// destination bits, in steps of 2); a split is given up when marking its
// rules' cells would take more than FILTER_WORK word writes (which bounds
// the build's work), and the split with the fewest cells set is kept,
// unless even it sets more than a quarter of them (a filter that passes
// many packets costs a load for little).
const FILTER_MIN_RULES: u32 = 64;
const FILTER_MIN_BITS: u32 = 14;
const FILTER_MAX_BITS: u32 = 20;
const FILTER_WORK: u32 = 1 << 19;
let cells = new Buf(); // the filter being made
let bestCells = new Buf(); // the best split's filter so far
let filterCount: u32 = 0; // filters made since resetTrees
/** The cell word of the last filter groupFilter made. */
let filterCell: u32 = 0;

/**
 * Mark in `bm` (2^(sb + db) bits) the cells of the `k` rules at `list` with
 * `sb` source and `db` destination bits; the number of cells set, or
 * 0xffffffff if over FILTER_WORK.
 */
function markCells(bm: usize, list: usize, k: u32, sb: u32, db: u32): u32 {
  let bytes = <usize>1 << (sb + db - 3);
  memory.fill(bm, 0, bytes);
  let work: u32 = 0;
  for (let i: u32 = 0; i < k; i++) {
    let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX;
    let s0 = boxLo(b, DIM_SRC) >> (32 - sb);
    let s1 = boxHi(b, DIM_SRC) >> (32 - sb);
    let d0 = boxLo(b, DIM_DST) >> (32 - db);
    let d1 = boxHi(b, DIM_DST) >> (32 - db);
    // Cells d0..d1 of each row s0..s1 (a row is 2^db bits), a word at a time.
    work += (s1 - s0 + 1) * ((d1 >> 5) - (d0 >> 5) + 1);
    if (work > FILTER_WORK) return 0xffffffff;
    for (let s = s0; s <= s1; s++) {
      let from = (s << db) | d0;
      let to = (s << db) | d1;
      for (let w = from >> 5; w <= to >> 5; w++) {
        let lo = w << 5 < from ? from & 31 : 0;
        let hi = (w << 5) + 31 > to ? to & 31 : 31;
        let at = bm + (<usize>w << 2);
        store<u32>(at, load<u32>(at) | ((0xffffffff >> (31 - hi)) & (0xffffffff << lo)));
      }
    }
  }
  let set: u32 = 0;
  for (let w: usize = 0; w < bytes; w += 4) set += popcnt<u32>(load<u32>(bm + w));
  return set;
}

/** The filter of the `k` rules at `list` (local indices): its list offset (filterCell says its cells), or NO_FILTER. */
function groupFilter(list: usize, k: u32): u32 {
  if (k < FILTER_MIN_RULES) return NO_FILTER;
  let bits: u32 = 32 - <u32>clz<u32>(k) + 6; // about 64 cells per rule
  if (bits < FILTER_MIN_BITS) bits = FILTER_MIN_BITS;
  if (bits > FILTER_MAX_BITS) bits = FILTER_MAX_BITS;
  let bytes = <usize>1 << (bits - 3);
  let bm = reserveBuf(cells, bytes);
  let keep = reserveBuf(bestCells, bytes);
  let least: u32 = 0xffffffff;
  let bestSb: u32 = 0;
  for (let sb: u32 = 2; sb <= bits - 2; sb += 2) {
    let set = markCells(bm, list, k, sb, bits - sb);
    if (set < least) {
      least = set;
      bestSb = sb;
      memory.copy(keep, bm, bytes);
    }
  }
  if (least == 0xffffffff || least > (1 << (bits - 2))) return NO_FILTER;
  let db = bits - bestSb;
  filterCell = (32 - bestSb) | ((32 - db) << FILTER_CELL_DST_SHIFT) | (db << FILTER_CELL_DST_BITS);
  let words = 1 << (bits - 5);
  growBuf(lists, <usize>(listCount + words) * 4 + 16, <usize>listCount * 4);
  let at = takeWords(words);
  memory.copy(lists.ptr + (<usize>at << 2), keep, bytes);
  filterCount++;
  return at;
}

/** The lowest global rule index of the last group built. */
export let groupMinRule: u32 = 0;

// A group whose rules are all narrow in an address key is first cut on that
// key's top bits by a direct table (its slot's SLOT_CUT and SLOT_SHIFT): a
// prefix of /16 or longer falls in exactly one bucket, so the cut saves a
// dozen tree levels and copies no rule.
let bucketCounts = new Buf();

function initRegion(): usize {
  reserveBuf(regions, <usize>(MAX_DEPTH + 1) * BOX);
  let reg = regions.ptr;
  setBox(reg, DIM_FAMILY, 0, 1);
  setBox(reg, DIM_PROTO, 0, 255);
  setBox(reg, DIM_SRC, 0, 0xffffffff);
  setBox(reg, DIM_DST, 0, 0xffffffff);
  setBox(reg, DIM_SPORT, 0, NO_PORTS);
  setBox(reg, DIM_DPORT, 0, NO_PORTS);
  return reg;
}

/**
 * Build the index of group `g` of the prepared rules into the slot at
 * `slot`. Returns 1 when built, 0 for an empty group, -1 when the ruleset's
 * lists would exceed the budget given to prepareRules.
 */
export function buildGroup(n: u32, g: u32, slot: usize): i32 {
  if (cutsMerged && g > G_WIDE) return 0; // in G_WIDE's bit-vector group
  reserveBuf(scratch, <usize>n * 8 + 16);
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    let gi = <u32>load<u8>(groupOf.ptr + i);
    if (gi == g || (cutsMerged && g == G_WIDE && gi > G_WIDE)) {
      store<u32>(scratch.ptr + <usize>k * 4, i);
      k++;
    }
  }
  if (k == 0) return 0;
  let l0 = listCount;
  groupMinRule = buildFirst + load<u32>(scratch.ptr);
  store<u32>(slot, groupMinRule, SLOT_MIN);
  store<u32>(slot, groupFilter(scratch.ptr, k), SLOT_FILTER);
  store<u32>(slot, filterCell, SLOT_CELL);
  overBudget = false;
  if (g == G_WIDE && k <= BV_MAX_RULES && bitvecGroup(k, slot)) {
    wideBitvec = true;
    return 1;
  }
  if (g == G_WIDE && cutsMerged) {
    // Too large a record for the merged rules: G_WIDE without them, and the cut groups as trees.
    if (load<u32>(slot, SLOT_FILTER) != NO_FILTER) filterCount--; // the filter given up below
    cutsMerged = false;
    resetTo(quadCount, l0);
    return buildGroup(n, g, slot);
  }
  // G_NARROW, G_WIDE_DST and G_CUT_SRC have narrow sources, G_WIDE_SRC and G_CUT_DST narrow destinations.
  let cut: u32 = g == G_WIDE ? NO_CUT : g == G_WIDE_SRC || g == G_CUT_DST ? DIM_DST : DIM_SRC;
  let bits: u32 = cut == NO_CUT ? 0 : cutBits(scratch.ptr, k, cut);
  if (cut == NO_CUT || bits == 0) {
    initRegion();
    nodeCount = 0;
    let top = buildNode(0, k, 0);
    if (overBudget) return -1; // the tree is unfinished: no quads of it
    store<u32>(slot, quadify(top), SLOT_ROOT);
    store<u32>(slot, NO_CUT, SLOT_CUT);
    store<u32>(slot, 0, SLOT_SHIFT);
    return overBudget ? -1 : 1;
  }
  // Counting sort of the group by bucket (stable: each bucket stays in rule
  // order) into scratch[0, k); buckets are then built last to first, so each
  // one's subtree scratch above it only overwrites buckets already built.
  let shift = 32 - bits;
  let nb: u32 = 1 << bits;
  let cnt = reserveBuf(bucketCounts, <usize>(nb + 1) * 4 + 16);
  memory.fill(cnt, 0, <usize>(nb + 1) * 4);
  let sorted = scratch.ptr + <usize>k * 4;
  for (let i: u32 = 0; i < k; i++) {
    let r = load<u32>(scratch.ptr + <usize>i * 4);
    let j = boxLo(boxes.ptr + <usize>r * BOX, cut) >> shift;
    store<u32>(cnt + <usize>(j + 1) * 4, load<u32>(cnt + <usize>(j + 1) * 4) + 1);
  }
  for (let j: u32 = 0; j < nb; j++) store<u32>(cnt + <usize>(j + 1) * 4, load<u32>(cnt + <usize>(j + 1) * 4) + load<u32>(cnt + <usize>j * 4));
  for (let i: u32 = 0; i < k; i++) {
    let r = load<u32>(scratch.ptr + <usize>i * 4);
    let j = boxLo(boxes.ptr + <usize>r * BOX, cut) >> shift;
    let at = load<u32>(cnt + <usize>j * 4);
    store<u32>(sorted + <usize>at * 4, r);
    store<u32>(cnt + <usize>j * 4, at + 1);
  }
  memory.copy(scratch.ptr, sorted, <usize>k * 4);
  // cnt[j] is now the end of bucket j (the start of bucket j + 1).
  growBuf(lists, <usize>(listCount + nb) * 4 + 16, <usize>listCount * 4);
  let table = takeWords(nb);
  let empty: u32 = 0xffffffff;
  let reg = initRegion();
  for (let j = <i32>nb - 1; j >= 0; j--) {
    let start: u32 = j == 0 ? 0 : load<u32>(bucketCounts.ptr + <usize>(j - 1) * 4);
    let end = load<u32>(bucketCounts.ptr + <usize>j * 4);
    let root: u32;
    nodeCount = 0;
    if (end == start) {
      if (empty == 0xffffffff) empty = quadify(makeLeaf(scratch.ptr, 0, reg));
      root = empty;
    } else {
      setBox(reg, cut, <u32>j << shift, ((<u32>j + 1) << shift) - 1);
      root = buildNode(start, end - start, 0);
      if (overBudget) return -1;
      root = quadify(root);
    }
    store<u32>(lists.ptr + <usize>(table + <u32>j) * 4, root);
  }
  store<u32>(slot, table, SLOT_ROOT);
  store<u32>(slot, cut, SLOT_CUT);
  store<u32>(slot, shift, SLOT_SHIFT);
  return 1;
}

// The rules wide in both addresses (G_WIDE) overlap on every split: a tree
// over them is deep and its leaves long (fw1_10k: 248 rules, 5.3 quad
// levels and 4.4 entries per packet of the uniform trace), and every packet
// the narrow groups cannot claim ends there. When there are few of them,
// the group is looked up by bit vectors instead (layout.ts), unless its
// record would take more than BV_WORDS_PER_RULE list words per rule.
const BV_WORDS_PER_RULE: u32 = 64;
const BV_BASE_WORDS: u32 = 4096;
let bitvecCount: u32 = 0; // bit-vector groups made since resetTrees

// Make the `k` rules at scratch[0..] a bit-vector group in `slot`; false
// (nothing kept) when its record would be too large.
function bitvecGroup(k: u32, slot: usize): bool {
  let l0 = listCount;
  growBuf(lists, <usize>(listCount + k) * 4 + 16, <usize>listCount * 4);
  let entries = takeWords(k);
  for (let i: u32 = 0; i < k; i++) store<u32>(lists.ptr + (<usize>(entries + i) << 2), entryWord(load<u32>(scratch.ptr + (<usize>i << 2))));
  entryCount += k;
  let at = buildBitvec(boxes.ptr, scratch.ptr, k, entries, BV_BASE_WORDS + k * BV_WORDS_PER_RULE);
  if (at == BITVEC_FAILED) {
    resetTo(quadCount, l0);
    return false;
  }
  store<u32>(slot, at, SLOT_ROOT);
  store<u32>(slot, CUT_BITVEC, SLOT_CUT);
  store<u32>(slot, 0, SLOT_SHIFT);
  bitvecCount++;
  return true;
}

/** Shape of all trees (for tuning): 0 quads, 1 leaves, 2 largest leaf, 3 list words, 4 binary depth, 5 group filters, 6 bit-vector groups, 7 of them with combine tables, 8 narrow groups' filters. */
export function treeStat(which: u32): u32 {
  if (which == 8) return narrowCount;
  if (which == 7) return combineCount;
  if (which == 6) return bitvecCount;
  if (which == 5) return filterCount;
  if (which == 4) return deepest;
  return which == 0 ? quadCount : which == 1 ? leafCount : which == 2 ? maxLeaf : listCount;
}
