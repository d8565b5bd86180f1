// The indexed classifier's memory layout, shared by its build (build*.ts)
// and its lookup (lookup.ts), as DPDK's lib/acl shares its node encodings
// between acl_bld.c/acl_gen.c and acl_run_*.c. Every record the lookup reads
// is described here once, by named offsets.

// ---- keys ------------------------------------------------------------------
// The tree walks six u32 keys of a packet; a rule is a box over them:
//   0 family   0 for IPv4, 1 for IPv6
//   1 proto
//   2 src      word 0 of the source address
//   3 dst      word 0 of the destination address
//   4 sport    the port, or NO_PORTS when the packet has none
//   5 dport
export const DIMS: u32 = 6;
export const DIM_FAMILY: u32 = 0;
export const DIM_PROTO: u32 = 1;
export const DIM_SRC: u32 = 2;
export const DIM_DST: u32 = 3;
export const DIM_SPORT: u32 = 4;
export const DIM_DPORT: u32 = 5;
export const NO_PORTS: u32 = 65536;

// A rule's box (build scratch), BOX bytes: u32 lo[DIMS], then u32 hi[DIMS].
export const BOX: usize = 48;
export const BOX_LO: usize = 0;
export const BOX_HI: usize = 24;

// One packet's keys as the lookup reads them, KEYS bytes (16-aligned):
export const KEYS: usize = 64;
export const K_WALK: usize = 0; // u32 [DIMS]: the walk keys, by DIM_*
export const K_LACKS: usize = 24; // u32: the NEED_* bits the packet fails
export const K_ADDR: usize = 32; // u32 src, dst, ~src, ~dst (the entry's u32x4 compare)
export const K_L4: usize = 48; // u16 sport, dport, ~sport, ~dport, proto, ~proto, 0xffff x2 (its u16x8 compare)
export const WALK_KEYS: usize = 24; // the bytes of K_WALK

// ---- binary nodes (build scratch) ------------------------------------------
// NODE bytes, in depth-first order so a left child follows its parent:
//   internal  u32 dim | right << NODE_SHIFT, u32 threshold (keys < threshold go left)
//   leaf      u32 LEAF | count << NODE_SHIFT, u32 list offset of its count word
export const NODE: usize = 8;
export const NODE_WORD: usize = 0;
export const NODE_ARG: usize = 4;
export const NODE_SHIFT: u32 = 3;
export const NODE_DIM: u32 = 7; // the dim bits of an internal node's word
export const LEAF: u32 = 7; // a leaf's "dim"

// ---- quad nodes (the lookup's tree) -----------------------------------------
// Two binary levels in one, so a packet's walk has half the dependent loads.
// QUAD bytes: u32 d0 | d1 << 3 | d2 << 6, u32 t0, t1, t2, u32 child[4].
// The root's test (d0, t0) picks the left (d1, t1) or right (d2, t2) test,
// which picks the child: index (k0 >= t0) * 2 + (k1 >= t1 or k2 >= t2).
// A side that is already a leaf tests key 0 >= 0 (always true) and has the
// leaf in both of its slots. A child (and a root) is a quad index, or
// CHILD_LEAF | the list offset (in u32 words) of a leaf.
export const QUAD: usize = 32;
export const QUAD_SHIFT: u32 = 5; // log2(QUAD)
export const Q_DIMS: usize = 0;
export const Q_T0: usize = 4;
export const Q_T1: usize = 8;
export const Q_T2: usize = 12;
export const Q_CHILD: usize = 16; // u32 [4]
export const Q_DIM_BITS: u32 = 3;
export const CHILD_LEAF: u32 = 0x80000000;

// ---- leaves -----------------------------------------------------------------
// A leaf's list, in 16-byte units so its vectors are aligned: a header
// (u32 count, then padding), then per entry ENTRY bytes holding the rule's
// box in a form two vector compares test at once, and the entry word:
//   E_ADDR  u32 src lo, u32 dst lo, u32 ~src hi, u32 ~dst hi         (u32x4 >=)
//   E_L4    u16 sport lo, dport lo, ~sport hi, ~dport hi, proto lo, ~proto hi (u16x8 >=)
//   E_WORD  u32 entry word (its two u16 lanes meet the keys' 0xffff: always pass)
// Storing the complement of each upper bound turns "lo <= k <= hi" into
// "k >= lo and ~k >= ~hi", so one unsigned >= per lane tests the whole box
// against the packet's keys (K_ADDR, K_L4).
export const LEAF_HEAD: usize = 16;
export const LEAF_COUNT: usize = 0;
export const ENTRY: usize = 32;
export const E_ADDR: usize = 0;
export const E_L4: usize = 16;
export const E_WORD: usize = 28;

// The entry word: u32 global rule index | NEED_* bits << ENTRY_SHIFT | the
// rule's action and marks << ENTRY_HEAD (MAX_RULES is 2^22, so the index fits
// below; program.ts allows action 0..1 and 5 mark bits). The NEED bits are
// necessary conditions of the rule that its box cannot say (family, "has
// ports"); a rule without NEED_FULL is pure, and for a pure rule the box plus
// these bits IS the match, so neither its hot record nor its 128-byte record
// is read on the lookup, nor, thanks to the head bits, by the pipeline
// deciding what the match means.
export const ENTRY_SHIFT: u32 = 22;
export const ENTRY_INDEX: u32 = (1 << ENTRY_SHIFT) - 1;
export const ENTRY_HEAD: u32 = 26; // action at bit 26, marks at 27..31
export const NEED_FULL: u32 = 1; // impure: ruleMatches decides
export const NEED_V4: u32 = 2;
export const NEED_V6: u32 = 4;
export const NEED_PORTS: u32 = 8;
export const NEED_MASK: u32 = 15;
/** leafMatch's "no match": never an entry word (NEED_V4 and NEED_V6 are never both set). */
export const NO_ENTRY: u32 = 0xffffffff;

// ---- groups and their slots ---------------------------------------------------
// Rules are split into GROUPS groups (build-tree.ts says how); each group has
// a tree, reached through its slot, SLOT bytes:
//   SLOT_ROOT   u32 root child word, or the list offset of the root table
//   SLOT_MIN    u32 lowest global rule index of the group
//   SLOT_CUT    u32 the key (DIM_*) the root table cuts on, NO_CUT for none,
//               CUT_BITVEC for a bit-vector group (below)
//   SLOT_SHIFT  u32 the table's bucket = key >> shift
//   SLOT_FILTER u32 list offset of the group's filter, NO_FILTER for none
//   SLOT_CELL   u32 how a packet's keys give its filter cell (FILTER_CELL_*)
//   (then 8 bytes of padding)
export const GROUPS: u32 = 6;
export const SLOT: usize = 32;
export const SLOT_ROOT: usize = 0;
export const SLOT_MIN: usize = 4;
export const SLOT_CUT: usize = 8;
export const SLOT_SHIFT: usize = 12;
export const SLOT_FILTER: usize = 16;
export const SLOT_CELL: usize = 20;
export const NO_CUT: u32 = 7;

// ---- bit-vector groups ---------------------------------------------------------
// A group of few rules may instead be looked up as Lakshman and Stiliadis's
// bit vectors (build-bitvec.ts): per key, the rules' edges cut the key's
// range into intervals, and each interval has a row of one bit per rule of
// the group (in rule order) set when the rule's box spans it. Intervals
// with equal rows are one class (Gupta and McKeown's RFC "equivalence
// class"), and each class's row is stored once. A packet's key finds its
// class through a table of u32 words: the key's top bits index the first
// table (BV_SHIFT says which bits), and a word is either a class
// (BV_ROW | class) or the list offset of a 256-word table for the next 8
// bits.
// The AND of the six rows holds exactly the rules whose boxes hold the
// packet (the rows are exact on the box, so only the entry word's need
// bits, and for an impure rule ruleMatches, are left to check); its lowest
// bit that passes them is the group's answer.
// Its slot: SLOT_CUT is CUT_BITVEC, SLOT_ROOT the list offset of its record:
//   BV_WORDS    u32 u64 words per row (rules / 64, rounded up)
//   BV_ENTRIES  u32 list offset of the group's entry words (u32 each, in rule order)
//   BV_COMBINE  u32 list offset of its combine record (below), or NO_COMBINE
//   (then a word of padding)
//   BV_DIM      per key (by DIM_*), BV_DIM_BYTES: u32 first table (or
//               BV_ROW | 0 for a key no rule of the group tests: one class),
//               u32 shift, u32 list offset of its class rows, (padding)
// Rows are 8-byte aligned list words, BV_WORDS u64 words each, by class.
//
// The combine record (build-bitvec-combine.ts; RFC's later phases): the
// classes of the two addresses give an "address class" through one table,
// those of protocol and ports a "service class" through another, and the
// pair a third table's answer: the group-local index of the lowest rule
// whose row bit all five rows share (CB_NONE: none). So a packet whose
// first candidate passes its need bits (the common case) is answered by
// eight loads and no AND; any other takes the rows' AND.
//   CB_ADDR     u32 list offset of u16 [src classes][dst classes]
//   CB_DSTS     u32 dst classes
//   CB_SVC      u32 list offset of u16 [proto classes][sport classes][dport classes]
//   CB_SPORTS   u32 sport classes
//   CB_DPORTS   u32 dport classes
//   CB_FIRST    u32 list offset of u16 [address classes][service classes]
//   CB_SVCS     u32 service classes
export const CUT_BITVEC: u32 = 6;
export const BV_MAX_RULES: u32 = 512;
export const BV_WORDS: usize = 0;
export const BV_ENTRIES: usize = 4;
export const BV_COMBINE: usize = 8;
export const BV_DIM: usize = 16;
export const BV_DIM_BYTES: usize = 16;
export const BV_TABLE: usize = 0;
export const BV_SHIFT: usize = 4;
export const BV_ROWS: usize = 8;
export const BV_HEAD_WORDS: u32 = 4 + 4 * DIMS;
export const BV_ROW: u32 = 0x80000000;
export const NO_COMBINE: u32 = 0xffffffff;
export const CB_ADDR: usize = 0;
export const CB_DSTS: usize = 4;
export const CB_SVC: usize = 8;
export const CB_SPORTS: usize = 12;
export const CB_DPORTS: usize = 16;
export const CB_FIRST: usize = 20;
export const CB_SVCS: usize = 24;
export const CB_WORDS: u32 = 7;
export const CB_NONE: u32 = 0xffff;

// ---- group filters ------------------------------------------------------------
// A group's filter is a bitmap of cells over the top bits of the source and
// destination keys, sized to the group (build-tree.ts: about 64 cells per
// rule, 2^14 to 2^20 cells, whole u32 list words): the group's SLOT_CELL
// word says how many bits of each make a cell (more source bits for a group
// whose sources are narrow, more destination bits for one whose
// destinations are; the build picks the split that leaves the fewest cells
// set). A cell is set when some rule of the group has a box reaching it. A
// packet in a clear cell can match no rule of the group, so the group is
// not walked: on traffic the rules do not describe, most cells of the
// narrow groups are clear, and one load from the bitmap replaces a walk and
// a leaf.
// The cell word: u8 source shift, u8 destination shift, u8 destination bits;
// cell = (src >> source shift) << destination bits | dst >> destination shift.
export const FILTER_CELL_DST_SHIFT: u32 = 8;
export const FILTER_CELL_DST_BITS: u32 = 16;
export const NO_FILTER: u32 = 0xffffffff;

// ---- per-ruleset records -------------------------------------------------------
// IX bytes per ruleset: u32 kind (KIND_*), u32 tree count, u32 index bytes,
// u32 reason (WHY_*), u32 list offset of the narrow groups' filter (or
// NO_FILTER), u32 its cell word, then padding; its slots are GROUPS slots
// from rs * GROUPS, in ascending lowest rule, so the lookup can stop early.
// The narrow groups' filter is a group filter (above) over the rules of
// every group that is walked (all but the bit-vector group), made when
// there are two such groups or more: a packet in one of its clear cells can
// match none of them, so one probe rules out the two or three the groups'
// own filters would take (lanes.ts).
export const IX: usize = 32;
export const IX_KIND: usize = 0;
export const IX_TREES: usize = 4;
export const IX_BYTES: usize = 8;
export const IX_REASON: usize = 12;
export const IX_FILTER: usize = 16;
export const IX_CELL: usize = 20;

export const KIND_LINEAR: u32 = 0;
export const KIND_TREE: u32 = 1;

export const WHY_INDEXED: u32 = 0;
export const WHY_SMALL: u32 = 1; // fewer rules than the threshold: the scan is faster
export const WHY_FORCED_LINEAR: u32 = 2; // the host asked for the linear scan
export const WHY_TOO_LARGE: u32 = 3; // the tree would exceed its memory budget

// ---- the lookup's answer ----------------------------------------------------------
// classifierMatch's answer, a "match word": -1 for no match, else the rule's
// global index | its action << MATCH_ACTION | its marks << MATCH_MARKS (an
// entry word's head bits, moved down over the NEED bits).
export const MATCH_ACTION: u32 = ENTRY_SHIFT; // above the rule index
export const MATCH_MARKS: u32 = MATCH_ACTION + 1;
