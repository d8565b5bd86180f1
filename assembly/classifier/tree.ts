// The indexed classifier: a HyperSplit-style binary decision tree over six
// packet keys, built per ruleset at load time, with short priority-ordered
// candidate lists at the leaves.
//
// Keys (all u32):
//   0 family   0 for IPv4, 1 for IPv6
//   1 proto
//   2 src      word 0 of the source address
//   3 dst      word 0 of the destination address
//   4 sport    the port, or NO_PORTS (65536) when the packet has none
//   5 dport
// Each rule is a box over these keys that CONTAINS every packet it can match
// (a necessary condition, like the linear scan's hot prefilter); tests the
// box cannot express (negation, neq, ICMP, flags, interfaces, time, IPv6
// words 1..3) widen the box. A leaf's candidates are checked in priority
// order against their boxes, stored in the leaf (see ENTRY), and the family
// and "has ports" bits; for a pure rule (below) that is exactly its test,
// for any other the very test of the scan (ruleMatches) follows; so the
// answer is the linear first match whatever the tree looks like: the tree
// only skips rules that cannot match.
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
  T_FAMILY, T_PROTO, T_HAS, T_SPORT, T_DPORT, T_SRC, T_DST, HAS_PORTS,
} from "../layout";
import { ruleMatches, HOT_SIZE } from "../match";
import { Buf, reserveBuf, growBuf } from "./buffer";

const DIMS: u32 = 6;
const BOX: usize = 48; // lo[6] then hi[6], u32 each
const NO_PORTS: u32 = 65536;
// Binary node, 8 bytes, in depth-first order so a left child follows its
// parent; the binary tree of one root is build scratch only:
//   internal  u32 dim | right << 3, u32 threshold (keys < threshold go left)
//   leaf      u32 LEAF | count << 3, u32 list offset of its count word
export const NODE: usize = 8;
// The lookup walks quad nodes instead: two binary levels in one, so a
// packet's walk has half the dependent loads. QUAD bytes:
//   u32 d0 | d1 << 3 | d2 << 6, u32 t0, t1, t2, u32 child[4]
// The root's test (d0, t0) picks the left (d1, t1) or right (d2, t2) test,
// which picks the child: index (k0 >= t0) * 2 + (k1 >= t1 or k2 >= t2).
// A side that is already a leaf tests key 0 >= 0 (always true) and has the
// leaf in both of its slots. A child (and a root) is a quad index, or
// CHILD_LEAF | the list offset of a leaf: a count word, then the entries.
export const QUAD: usize = 32;
export const CHILD_LEAF: u32 = 0x80000000;
const LEAF: u32 = 7;
const MAX_DEPTH: u32 = 64;
const PURE_TESTS: u32 = TEST_FAMILY | TEST_PROTO | TEST_SRC | TEST_DST | TEST_SPORT | TEST_DPORT;

/** Leaf size at which splitting stops (tuned by bench/classify.bench.ts). */
export let leafSize: u32 = 4;
export function setLeafSize(n: u32): void {
  if (n > 0) leafSize = n;
}

export let nodes = new Buf();
export let nodeCount: u32 = 0;
export let quads = new Buf();
export let quadCount: u32 = 0;
let leafCount: u32 = 0;
let maxLeaf: u32 = 0;
export let lists = new Buf(); // u32 global rule indices
export let listCount: u32 = 0;

let boxes = new Buf(); // per ruleset-local rule: BOX bytes
let pure = new Buf(); // per ruleset-local rule: u8 NEED_* bits

// A leaf entry's word is u32 global rule index | NEED_* bits << ENTRY_SHIFT
// | the rule's action and marks << ENTRY_HEAD (MAX_RULES is 2^22, so the
// index fits below; program.ts allows action 0..1 and 5 mark bits). The
// NEED bits are necessary conditions of the rule that its box cannot say
// (family, "has ports"); a rule without NEED_FULL is pure, and for a pure
// rule the box plus these bits IS the match, so neither its hot record nor
// its 128-byte record is read on the lookup, nor, thanks to the head bits,
// by the pipeline deciding what the match means (a cache miss per packet
// on traces that match many different rules).
const ENTRY_SHIFT: u32 = 22;
export const ENTRY_INDEX: u32 = (1 << ENTRY_SHIFT) - 1;
export const ENTRY_HEAD: u32 = 26; // action at bit 26, marks at 27..31
/** leafMatch's "no match": never an entry word (NEED_V4 and NEED_V6 are never both set). */
export const NO_ENTRY: u32 = 0xffffffff;
const NEED_FULL: u32 = 1; // impure: ruleMatches decides
const NEED_V4: u32 = 2;
const NEED_V6: u32 = 4;
const NEED_PORTS: u32 = 8;
const NEED_MASK: u32 = 15;
let scratch = new Buf(); // node candidate lists (u32 local indices), a stack
let points = new Buf(); // split-point candidates of one node
let regions = new Buf(); // the region of the node at each depth
let buildFirst: u32 = 0;
let buildRules: usize = 0; // the program's rule records, for the entries' head bits
let entryLimit: u32 = 0;
let entryStart: u32 = 0;
let entryCount: u32 = 0; // leaf entries made since resetTrees (the budget counts these)
let overBudget = false;

/** Forget every tree (a new program is being indexed). */
export function resetTrees(): void {
  nodeCount = 0;
  quadCount = 0;
  listCount = 0;
  entryCount = 0;
  leafCount = 0;
  maxLeaf = 0;
  deepest = 0;
}

/** Drop the quads and list words made since the counts were `q0` and `l0`. */
export function resetTo(q0: u32, l0: u32): void {
  quadCount = q0;
  listCount = l0;
}

// @ts-ignore: decorator
@inline function prefixBox(b: usize, d: usize, v: u32, m: u32): bool {
  // A prefix is a range when its mask is contiguous; else keep the full range
  // (the candidate check is exact anyway) and call the rule impure.
  let contiguous = (~m & (~m + 1)) == 0;
  if (!contiguous || (v & ~m) != 0) {
    store<u32>(b + d * 4, 0);
    store<u32>(b + 24 + d * 4, 0xffffffff);
    return false;
  }
  store<u32>(b + d * 4, v);
  store<u32>(b + 24 + d * 4, v | ~m);
  return true;
}

// @ts-ignore: decorator
@inline function portBox(b: usize, d: usize, r: usize, tested: bool, op: u32, lo: u32, hi: u32): bool {
  if (!tested) {
    store<u32>(b + d * 4, 0);
    store<u32>(b + 24 + d * 4, NO_PORTS);
    return true;
  }
  if (op == PORT_OP_NEQ || lo > hi) {
    store<u32>(b + d * 4, 0);
    store<u32>(b + 24 + d * 4, 65535);
    return false;
  }
  store<u32>(b + d * 4, lo);
  store<u32>(b + 24 + d * 4, hi);
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
      store<u32>(b, f == 6 ? 1 : 0);
      store<u32>(b + 24, f == 4 ? 0 : 1);
      if (f != 4 && f != 6) ok = false;
    } else {
      store<u32>(b, 0);
      store<u32>(b + 24, 1);
    }
    if (tests & TEST_PROTO) {
      store<u32>(b + 4, <u32>load<u8>(r, R_PROTO));
      store<u32>(b + 28, <u32>load<u8>(r, R_PROTO));
    } else {
      store<u32>(b + 4, 0);
      store<u32>(b + 28, 255);
    }
    if ((tests & TEST_SRC) && (marks & MARK_SRC_NEG) == 0) {
      if (!prefixBox(b, 2, load<u32>(r, R_SRC0), load<u32>(r, R_SRC_MASK0))) ok = false;
      // IPv6 words 1..3 are not keys: only a prefix of /32 or less is exact.
      if ((load<u32>(r, R_SRC_MASK1) | load<u32>(r, R_SRC_MASK1 + 4) | load<u32>(r, R_SRC_MASK1 + 8)) != 0) ok = false;
    } else {
      store<u32>(b + 8, 0);
      store<u32>(b + 32, 0xffffffff);
      if (tests & TEST_SRC) ok = false;
    }
    if ((tests & TEST_DST) && (marks & MARK_DST_NEG) == 0) {
      if (!prefixBox(b, 3, load<u32>(r, R_DST0), load<u32>(r, R_DST_MASK0))) ok = false;
      if ((load<u32>(r, R_DST_MASK1) | load<u32>(r, R_DST_MASK1 + 4) | load<u32>(r, R_DST_MASK1 + 8)) != 0) ok = false;
    } else {
      store<u32>(b + 12, 0);
      store<u32>(b + 36, 0xffffffff);
      if (tests & TEST_DST) ok = false;
    }
    // Any port test needs a packet with ports: the untested side then spans
    // the real ports only (ruleMatches checks HAS_PORTS for both).
    let ports = (tests & (TEST_SPORT | TEST_DPORT)) != 0;
    if (!portBox(b, 4, r, ports, (tests & TEST_SPORT) ? <u32>load<u8>(r, R_SPORT_OP) : 0,
      (tests & TEST_SPORT) ? <u32>load<u16>(r, R_SPORT_LO) : 0, (tests & TEST_SPORT) ? <u32>load<u16>(r, R_SPORT_HI) : 65535)) ok = false;
    if (!portBox(b, 5, r, ports, (tests & TEST_DPORT) ? <u32>load<u8>(r, R_DPORT_OP) : 0,
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

// A leaf's list, in 16-byte units so its vectors are aligned: a header
// (u32 count, then padding), then per entry 32 bytes holding the rule's box
// in a form two vector compares test at once, and the entry word:
//   0  u32 src lo, u32 dst lo, u32 ~src hi, u32 ~dst hi        (u32x4 >=)
//  16  u16 sport lo, dport lo, ~sport hi, ~dport hi, proto lo, ~proto hi (u16x8 >=)
//  28  u32 entry word: rule index | NEED_* bits << ENTRY_SHIFT
// Storing the complement of each upper bound turns "lo <= k <= hi" into
// "k >= lo and ~k >= ~hi", so one unsigned >= per lane tests the whole box
// against the packet's keys (loadKeys writes them the same way; the lanes of
// the entry word are compared with 0xffff and always pass). The box is the
// rule's, from ruleBoxes: exactly its match set for a pure rule (with the
// need bits), a superset for an impure one, which ruleMatches then decides.
// So a candidate is checked from the leaf's own cache lines, without
// reading its hot record.
export const ENTRY: usize = 32;
const LEAF_HEAD: u32 = 4; // words

function makeLeaf(list: usize, n: u32, region: usize): u32 {
  let id = newNode();
  let words = LEAF_HEAD + n * (<u32>ENTRY >> 2);
  growBuf(lists, <usize>(listCount + words) * 4 + 16, <usize>listCount * 4);
  let node = nodes.ptr + <usize>id * NODE;
  store<u32>(node, LEAF | (n << 3));
  store<u32>(node, listCount, 4);
  let out = lists.ptr + <usize>listCount * 4;
  store<u32>(out, n);
  store<u32>(out, 0, 4);
  store<u64>(out, 0, 8);
  out += <usize>LEAF_HEAD * 4;
  for (let i: u32 = 0; i < n; i++, out += ENTRY) {
    let r = load<u32>(list + <usize>i * 4);
    let b = boxes.ptr + <usize>r * BOX;
    store<u32>(out, load<u32>(b, 8));
    store<u32>(out, load<u32>(b, 12), 4);
    store<u32>(out, ~load<u32>(b, 32), 8);
    store<u32>(out, ~load<u32>(b, 36), 12);
    // Port boxes end at NO_PORTS for a rule without port tests: any port.
    let sh = load<u32>(b, 40);
    let dh = load<u32>(b, 44);
    store<u16>(out, <u16>load<u32>(b, 16), 16);
    store<u16>(out, <u16>load<u32>(b, 20), 18);
    store<u16>(out, <u16>~(sh > 65535 ? 65535 : sh), 20);
    store<u16>(out, <u16>~(dh > 65535 ? 65535 : dh), 22);
    store<u16>(out, <u16>load<u32>(b, 4), 24);
    store<u16>(out, <u16>~load<u32>(b, 28), 26);
    let rec = buildRules + <usize>(buildFirst + r) * RULE_SIZE;
    let head = <u32>load<u8>(rec, R_ACTION) | (<u32>load<u8>(rec, R_MARKS) << 1);
    store<u32>(out, (buildFirst + r) | (<u32>load<u8>(pure.ptr + r) << ENTRY_SHIFT) | (head << ENTRY_HEAD), 28);
  }
  listCount += words;
  leafCount++;
  if (n > maxLeaf) maxLeaf = n;
  entryCount += n;
  if (entryCount - entryStart > entryLimit) overBudget = true;
  return id;
}

// Does rule `r`'s box contain the whole region?
// @ts-ignore: decorator
@inline function covers(r: u32, region: usize): bool {
  let b = boxes.ptr + <usize>r * BOX;
  for (let d: usize = 0; d < <usize>DIMS; d++) {
    if (load<u32>(b + d * 4) > load<u32>(region + d * 4)) return false;
    if (load<u32>(b + 24 + d * 4) < load<u32>(region + 24 + d * 4)) return false;
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
    let rlo = load<u32>(region + <usize>d * 4);
    let rhi = load<u32>(region + 24 + <usize>d * 4);
    if (rlo == rhi) continue;
    let m: i32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX;
      let lo = load<u32>(b + <usize>d * 4);
      let hi = load<u32>(b + 24 + <usize>d * 4);
      if (lo > rlo) { store<u32>(pts + (<usize>m << 2), lo); m++; }
      if (hi < rhi) { store<u32>(pts + (<usize>m << 2), hi + 1); m++; }
    }
    if (m == 0) continue;
    let t = selectK(pts, m, m >> 1);
    let nl: u32 = 0;
    let nr: u32 = 0;
    for (let i: u32 = 0; i < n; i++) {
      let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX;
      if (load<u32>(b + <usize>d * 4) < t) nl++;
      if (load<u32>(b + 24 + <usize>d * 4) >= t) nr++;
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
  let dOff = <usize>bestDim * 4;
  // Left: keys < bestT.
  memory.copy(child, region, BOX);
  store<u32>(child + 24 + dOff, bestT - 1);
  let nl = splitList(base, n, top, bestDim, bestT, true);
  buildNode(top, nl, depth + 1); // the left child is node id + 1
  if (overBudget) return id;
  // Right: keys >= bestT (the left build reused the deeper scratch and regions).
  region = regions.ptr + <usize>depth * BOX;
  child = region + BOX;
  memory.copy(child, region, BOX);
  store<u32>(child + dOff, bestT);
  let nr = splitList(base, n, top, bestDim, bestT, false);
  let right = buildNode(top, nr, depth + 1);
  let node = nodes.ptr + <usize>id * NODE;
  store<u32>(node, bestDim | (right << 3));
  store<u32>(node, bestT, 4);
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
    let inside = left ? load<u32>(b + <usize>d * 4) < t : load<u32>(b + 24 + <usize>d * 4) >= t;
    if (inside) { store<u32>(dst + <usize>k * 4, r); k++; }
  }
  return k;
}

// The quad tree of the binary subtree at node `b` (see QUAD); returns its child word.
function quadify(b: u32): u32 {
  let w = load<u32>(nodes.ptr + <usize>b * NODE);
  if ((w & 7) == LEAF) return CHILD_LEAF | load<u32>(nodes.ptr + <usize>b * NODE, 4);
  let id = quadCount++;
  growBuf(quads, <usize>quadCount * QUAD, <usize>id * QUAD);
  let t0 = load<u32>(nodes.ptr + <usize>b * NODE, 4);
  store<u32>(quads.ptr + <usize>id * QUAD, w & 7);
  store<u32>(quads.ptr + <usize>id * QUAD, t0, 4);
  quadSide(id, 0, b + 1);
  quadSide(id, 1, w >> 3);
  return id;
}

// Side `s` (0 left, 1 right) of quad `id`: the test and children of binary node `c`.
function quadSide(id: u32, s: u32, c: u32): void {
  let wc = load<u32>(nodes.ptr + <usize>c * NODE);
  let lo: u32;
  let hi: u32;
  let dim: u32 = 0;
  let t: u32 = 0; // key 0 >= 0: a leaf side always takes its second slot
  if ((wc & 7) == LEAF) {
    lo = CHILD_LEAF | load<u32>(nodes.ptr + <usize>c * NODE, 4);
    hi = lo;
  } else {
    dim = wc & 7;
    t = load<u32>(nodes.ptr + <usize>c * NODE, 4);
    lo = quadify(c + 1);
    hi = quadify(wc >> 3);
  }
  // The children may have grown the buffer: address the quad only now.
  let q = quads.ptr + <usize>id * QUAD;
  store<u32>(q, load<u32>(q) | (dim << (3 + 3 * s)));
  store<u32>(q + 8 + <usize>s * 4, t);
  store<u32>(q + 16 + <usize>s * 8, lo);
  store<u32>(q + 20 + <usize>s * 8, hi);
}

// Rules are split into groups by which of the two address keys are wide,
// and each group gets its own tree (as CutSplit does): a rule wide in a key
// would be copied into every subtree split on that key, and mixing wide and
// narrow rules is what makes a single tree explode on firewall sets.
// Rules wide in both keys are split once more: those whose destination (4),
// else source (5), is still a /6 or longer get a group of their own, cut on
// that key's top bits, when that cut leaves at least half of its buckets
// empty. Left together they overlap on every split (acl1_100k: 236 such
// rules made a tree 14 levels deep with leaves of 23 entries, and a uniform
// packet spent half its time in it); cut apart, most addresses land in an
// empty bucket. A split that empties few buckets only adds a walk to every
// packet (fw1_10k, ipc1_10k: slower), so those rules stay in group 3.
export const GROUPS: u32 = 6;
const WIDE: u32 = 0xffff; // an address range wider than a /16 is wide
const MEDIUM: u32 = 0x3ffffff; // a /6 or longer
let groupOf = new Buf(); // per ruleset-local rule: u8

/** Compute the boxes and groups of the `n` rules starting at global rule `first`. */
export function prepareRules(rules: usize, first: u32, n: u32, maxEntriesPerRule: u32): void {
  ruleBoxes(rules, first, n);
  entryStart = entryCount;
  let lim = <u64>n * <u64>maxEntriesPerRule + 64;
  entryLimit = lim > <u64>0xffffffff ? 0xffffffff : <u32>lim;
  reserveBuf(groupOf, <usize>n + 16);
  for (let i: u32 = 0; i < n; i++) {
    let b = boxes.ptr + <usize>i * BOX;
    let srcWidth = load<u32>(b + 32) - load<u32>(b + 8);
    let dstWidth = load<u32>(b + 36) - load<u32>(b + 12);
    let g: u32 = (srcWidth > WIDE ? 2 : 0) | (dstWidth > WIDE ? 1 : 0);
    if (g == 3 && dstWidth <= MEDIUM) g = 4;
    else if (g == 3 && srcWidth <= MEDIUM) g = 5;
    store<u8>(groupOf.ptr + i, <u8>g);
  }
  keepSplit(n, 4, 3);
  keepSplit(n, 5, 2);
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
    let b = boxes.ptr + <usize>load<u32>(list + <usize>i * 4) * BOX + <usize>cut * 4;
    let w = load<u32>(b, 24) - load<u32>(b);
    if (w > widest) widest = w;
  }
  let fit = <u32>clz<u32>(widest);
  return bits > fit ? fit : bits;
}

// Keep group `g` (cut on key `cut`) only if its table leaves at least half
// of its buckets empty; else its rules go back to group 3.
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
      let j = load<u32>(boxes.ptr + <usize>load<u32>(scratch.ptr + <usize>i * 4) * BOX + <usize>cut * 4) >> (32 - bits);
      if (load<u8>(seen + j) == 0) { store<u8>(seen + j, 1); used++; }
    }
    keep = used * 2 <= nb;
  }
  if (keep) return;
  for (let i: u32 = 0; i < k; i++) store<u8>(groupOf.ptr + load<u32>(scratch.ptr + <usize>i * 4), 3);
}

/** The lowest global rule index of the last group built. */
export let groupMinRule: u32 = 0;

// A tree slot, SLOT bytes: u32 root node (or first entry of the root table),
// u32 lowest rule, u32 cut key (NO_CUT: no root table), u32 shift.
// A group whose rules are all narrow in an address key is first cut on that
// key's top bits by a direct table: a prefix of /16 or longer falls in exactly
// one bucket, so the cut saves a dozen tree levels and copies no rule.
export const SLOT: usize = 16;
const NO_CUT: u32 = 7;
let bucketCounts = new Buf();

function initRegion(): usize {
  reserveBuf(regions, <usize>(MAX_DEPTH + 1) * BOX);
  let reg = regions.ptr;
  for (let d: usize = 0; d < <usize>DIMS; d++) store<u32>(reg + d * 4, 0);
  store<u32>(reg + 24, 1);
  store<u32>(reg + 28, 255);
  store<u32>(reg + 32, 0xffffffff);
  store<u32>(reg + 36, 0xffffffff);
  store<u32>(reg + 40, NO_PORTS);
  store<u32>(reg + 44, NO_PORTS);
  return reg;
}

/**
 * Build the index of group `g` of the prepared rules into the slot at
 * `slot`. Returns 1 when built, 0 for an empty group, -1 when the ruleset's
 * lists would exceed the budget given to prepareRules.
 */
export function buildGroup(n: u32, g: u32, slot: usize): i32 {
  reserveBuf(scratch, <usize>n * 8 + 16);
  let k: u32 = 0;
  for (let i: u32 = 0; i < n; i++) {
    if (<u32>load<u8>(groupOf.ptr + i) == g) {
      store<u32>(scratch.ptr + <usize>k * 4, i);
      k++;
    }
  }
  if (k == 0) return 0;
  groupMinRule = buildFirst + load<u32>(scratch.ptr);
  store<u32>(slot, groupMinRule, 4);
  overBudget = false;
  // Groups 0, 1 and 5 have narrow sources, groups 2 and 4 narrow destinations.
  let cut: u32 = g == 3 ? NO_CUT : g == 2 || g == 4 ? 3 : 2;
  let bits: u32 = cut == NO_CUT ? 0 : cutBits(scratch.ptr, k, cut);
  if (cut == NO_CUT || bits == 0) {
    initRegion();
    nodeCount = 0;
    let top = buildNode(0, k, 0);
    if (overBudget) return -1; // the tree is unfinished: no quads of it
    store<u32>(slot, quadify(top));
    store<u32>(slot, NO_CUT, 8);
    store<u32>(slot, 0, 12);
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
    let j = load<u32>(boxes.ptr + <usize>r * BOX + <usize>cut * 4) >> shift;
    store<u32>(cnt + <usize>(j + 1) * 4, load<u32>(cnt + <usize>(j + 1) * 4) + 1);
  }
  for (let j: u32 = 0; j < nb; j++) store<u32>(cnt + <usize>(j + 1) * 4, load<u32>(cnt + <usize>(j + 1) * 4) + load<u32>(cnt + <usize>j * 4));
  for (let i: u32 = 0; i < k; i++) {
    let r = load<u32>(scratch.ptr + <usize>i * 4);
    let j = load<u32>(boxes.ptr + <usize>r * BOX + <usize>cut * 4) >> shift;
    let at = load<u32>(cnt + <usize>j * 4);
    store<u32>(sorted + <usize>at * 4, r);
    store<u32>(cnt + <usize>j * 4, at + 1);
  }
  memory.copy(scratch.ptr, sorted, <usize>k * 4);
  // cnt[j] is now the end of bucket j (the start of bucket j + 1).
  let table = listCount;
  growBuf(lists, <usize>(listCount + nb) * 4 + 16, <usize>listCount * 4);
  listCount += nb;
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
      store<u32>(reg + <usize>cut * 4, <u32>j << shift);
      store<u32>(reg + 24 + <usize>cut * 4, ((<u32>j + 1) << shift) - 1);
      root = buildNode(start, end - start, 0);
      if (overBudget) return -1;
      root = quadify(root);
    }
    store<u32>(lists.ptr + <usize>(table + <u32>j) * 4, root);
  }
  store<u32>(slot, table);
  store<u32>(slot, cut, 8);
  store<u32>(slot, shift, 12);
  return 1;
}

// The keys of one packet, KEYS bytes: the six walk keys (u32), the NEED_*
// bits the packet fails (lacks) at 24, then at 32 and 48 the two key vectors
// of a leaf entry's compare (see ENTRY).
export const KEYS: usize = 64;

/** Write the six walk keys of tuple `t` at `k`. */
// @ts-ignore: decorator
@inline export function walkKeys(t: usize, k: usize): void {
  let has = (<u32>load<u8>(t, T_HAS) & HAS_PORTS) != 0;
  store<u32>(k, load<u8>(t, T_FAMILY) == 6 ? 1 : 0, 0);
  store<u32>(k, <u32>load<u8>(t, T_PROTO), 4);
  store<u32>(k, load<u32>(t, T_SRC), 8);
  store<u32>(k, load<u32>(t, T_DST), 12);
  store<u32>(k, has ? <u32>load<u16>(t, T_SPORT) : NO_PORTS, 16);
  store<u32>(k, has ? <u32>load<u16>(t, T_DPORT) : NO_PORTS, 20);
}

/** Write every key of tuple `t` for walk and leafMatch at `k` (KEYS bytes, 16-aligned). */
// @ts-ignore: decorator
@inline export function loadKeys(t: usize, k: usize): void {
  let has = (<u32>load<u8>(t, T_HAS) & HAS_PORTS) != 0;
  walkKeys(t, k);
  store<u32>(k, (load<u8>(t, T_FAMILY) == 6 ? NEED_V4 : NEED_V6) | (has ? 0 : NEED_PORTS), 24);
  // The leaf compare's keys: the tuple's own values, as the scan's
  // prefilter reads them (a packet without ports has 0 there; a rule with a
  // port test needs ports, which the need bits check).
  let src = load<u32>(t, T_SRC);
  let dst = load<u32>(t, T_DST);
  let sp = <u32>load<u16>(t, T_SPORT);
  let dp = <u32>load<u16>(t, T_DPORT);
  let proto = <u32>load<u8>(t, T_PROTO);
  store<u32>(k, src, 32);
  store<u32>(k, dst, 36);
  store<u32>(k, ~src, 40);
  store<u32>(k, ~dst, 44);
  store<u32>(k, sp | (dp << 16), 48);
  store<u32>(k, ~(sp | (dp << 16)), 52);
  store<u32>(k, proto | ((~proto & 0xffff) << 16), 56);
  store<u32>(k, 0xffffffff, 60); // the entry word's lanes: always pass
}

/** The first node (a child word) of the group of tree slot `slot` for the keys at `k`. */
// @ts-ignore: decorator
@inline export function walkRoot(slot: usize, k: usize): u32 {
  let c = load<u32>(slot);
  let cut = load<u32>(slot, 8);
  if (cut != NO_CUT) {
    let key = load<u32>(k + (<usize>cut << 2));
    c = load<u32>(lists.ptr + ((<usize>c + <usize>(key >> load<u32>(slot, 12))) << 2));
  }
  return c;
}

/** One quad level down from quad `c` for the keys at `k`. */
// @ts-ignore: decorator
@inline export function walkStep(c: u32, k: usize): u32 {
  let q = quads.ptr + (<usize>c << 5);
  let dims = load<u32>(q);
  let b0 = load<u32>(k + (<usize>(dims & 7) << 2)) >= load<u32>(q, 4);
  let b1 = load<u32>(k + (<usize>((dims >> 3) & 7) << 2)) >= load<u32>(q, 8);
  let b2 = load<u32>(k + (<usize>((dims >> 6) & 7) << 2)) >= load<u32>(q, 12);
  let i = select<u32>(2 + <u32>b2, <u32>b1, b0);
  return load<u32>(q + 16 + (<usize>i << 2));
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
  let end = l + <usize>LEAF_HEAD * 4 + <usize>load<u32>(l) * ENTRY;
  l += <usize>LEAF_HEAD * 4;
  let k1 = v128.load(k, 32);
  let k2 = v128.load(k, 48);
  let lacks = load<u32>(k, 24);
  for (; l < end; l += ENTRY) {
    let e = load<u32>(l, 28);
    let i = e & ENTRY_INDEX;
    if (i >= best) break; // lists ascend: nothing better is left
    let m = v128.and(i32x4.ge_u(k1, v128.load(l)), i16x8.ge_u(k2, v128.load(l, 16)));
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
  let end = l + <usize>LEAF_HEAD * 4 + <usize>load<u32>(l) * ENTRY;
  l += <usize>LEAF_HEAD * 4;
  let lacks = load<u32>(k, 24);
  for (; l < end; l += ENTRY) {
    let e = load<u32>(l, 28);
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

/** The keys at `k` (u32 x4 at 32, u16 x8 at 48) are each >= the entry's at `l` (u32 x4 at 0, u16 x8 at 16). */
// @ts-ignore: decorator
@inline function boxHolds(k: usize, l: usize): bool {
  for (let j: usize = 0; j < 16; j += 4) if (load<u32>(k + j, 32) < load<u32>(l + j)) return false;
  for (let j: usize = 0; j < 16; j += 2) if (load<u16>(k + j, 48) < load<u16>(l + j, 16)) return false;
  return true;
}

/** Shape of all trees (for tuning): 0 quads, 1 leaves, 2 largest leaf, 3 list words, 4 binary depth. */
export function treeStat(which: u32): u32 {
  if (which == 4) return deepest;
  return which == 0 ? quadCount : which == 1 ? leafCount : which == 2 ? maxLeaf : listCount;
}
