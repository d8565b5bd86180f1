// The linear first-match matcher: one header tuple against one ruleset.
// Each test is its own early-exit `if` (a long `&&` chain compiles to nested
// value blocks that ran 4.6x slower here); cheap, widely shared tests first.
import {
  RULE_SIZE, R_TESTS, R_ACTION, R_MARKS, R_FAMILY, R_PROTO, R_SRC0, R_SRC_MASK0, R_DST0, R_DST_MASK0,
  R_SPORT_LO, R_SPORT_HI, R_DPORT_LO, R_DPORT_HI, R_IF_IN, R_IF_OUT, R_ICMP_TYPE, R_ICMP_CODE,
  R_FLAGS_MASK, R_FLAGS_VALUE, R_SPORT_OP, R_DPORT_OP, R_FLAGS_MODE, R_MINUTE_FROM, R_MINUTE_TO,
  R_MONTH_MASK, R_DAY_MASK, R_DOW_MASK, R_SRC1, R_SRC_MASK1, R_DST1, R_DST_MASK1,
  TEST_FAMILY, TEST_PROTO, TEST_SRC, TEST_DST, TEST_SPORT, TEST_DPORT, TEST_ICMP_TYPE, TEST_ICMP_CODE,
  TEST_FLAGS, TEST_IFIN, TEST_IFOUT, TEST_TIME, TEST_L4,
  ACTION_DENY, MARK_SRC_NEG, MARK_DST_NEG, PORT_OP_NEQ, FLAGS_ANY,
  T_FAMILY, T_PROTO, T_FRAG, T_HAS, T_SPORT, T_DPORT, T_ICMP_TYPE, T_ICMP_CODE, T_TCP_FLAGS,
  T_IF_IN, T_IF_OUT, T_SRC, T_DST, T_MINUTE, T_DOW, T_DAY, T_MONTH, T_RULE_INPUTS,
  FRAG_LATER, HAS_PORTS, HAS_ICMP, HAS_TCP_FLAGS,
  HOT_SIZE as L_HOT_SIZE, H_HEAD, H_PROTO_MASK, H_PROTO, H_SRC0, H_SRC_MASK0, H_DST0, H_DST_MASK0,
  H_SPORT_LO, H_SPORT_HI, H_DPORT_LO, H_DPORT_HI,
} from "./layout";

// Does the address at tuple offset `ta` lie in the rule's prefix at `ra`/`rm`
// (word 0) and `ra1`/`rm1` (words 1..3, IPv6 only)?
// @ts-ignore: decorator
@inline function inPrefix(r: usize, t: usize, ra: usize, rm: usize, ra1: usize, rm1: usize, ta: usize, v6: bool): bool {
  if ((load<u32>(t + ta) & load<u32>(r + rm)) != load<u32>(r + ra)) return false;
  if (!v6) return true;
  if ((load<u32>(t + ta + 4) & load<u32>(r + rm1)) != load<u32>(r + ra1)) return false;
  if ((load<u32>(t + ta + 8) & load<u32>(r + rm1 + 4)) != load<u32>(r + ra1 + 4)) return false;
  return (load<u32>(t + ta + 12) & load<u32>(r + rm1 + 8)) == load<u32>(r + ra1 + 8);
}

// @ts-ignore: decorator
@inline function portTest(p: u32, lo: u32, hi: u32, op: u32): bool {
  let inside = p >= lo && p <= hi;
  return op == PORT_OP_NEQ ? !inside : inside;
}

// Does rule `r` match tuple `t`? `tests` is the rule's test mask, already
// reduced for a non-first fragment (see firstMatch).
export function ruleMatches(r: usize, t: usize, tests: u32): bool {
  if (tests & TEST_FAMILY) {
    if (load<u8>(r, R_FAMILY) != load<u8>(t, T_FAMILY)) return false;
  }
  if (tests & TEST_PROTO) {
    if (load<u8>(r, R_PROTO) != load<u8>(t, T_PROTO)) return false;
  }
  let v6 = load<u8>(t, T_FAMILY) == 6;
  if (tests & TEST_SRC) {
    let hit = inPrefix(r, t, R_SRC0, R_SRC_MASK0, R_SRC1, R_SRC_MASK1, T_SRC, v6);
    if (hit == ((load<u8>(r, R_MARKS) & MARK_SRC_NEG) != 0)) return false;
  }
  if (tests & TEST_DST) {
    let hit = inPrefix(r, t, R_DST0, R_DST_MASK0, R_DST1, R_DST_MASK1, T_DST, v6);
    if (hit == ((load<u8>(r, R_MARKS) & MARK_DST_NEG) != 0)) return false;
  }
  if (tests & (TEST_SPORT | TEST_DPORT)) {
    if ((load<u8>(t, T_HAS) & HAS_PORTS) == 0) return false;
    if (tests & TEST_SPORT) {
      if (!portTest(<u32>load<u16>(t, T_SPORT), <u32>load<u16>(r, R_SPORT_LO), <u32>load<u16>(r, R_SPORT_HI), <u32>load<u8>(r, R_SPORT_OP))) return false;
    }
    if (tests & TEST_DPORT) {
      if (!portTest(<u32>load<u16>(t, T_DPORT), <u32>load<u16>(r, R_DPORT_LO), <u32>load<u16>(r, R_DPORT_HI), <u32>load<u8>(r, R_DPORT_OP))) return false;
    }
  }
  if (tests & (TEST_ICMP_TYPE | TEST_ICMP_CODE)) {
    if ((load<u8>(t, T_HAS) & HAS_ICMP) == 0) return false;
    if (tests & TEST_ICMP_TYPE) {
      if (load<u8>(r, R_ICMP_TYPE) != load<u8>(t, T_ICMP_TYPE)) return false;
    }
    if (tests & TEST_ICMP_CODE) {
      if (load<u8>(r, R_ICMP_CODE) != load<u8>(t, T_ICMP_CODE)) return false;
    }
  }
  if (tests & TEST_FLAGS) {
    if ((load<u8>(t, T_HAS) & HAS_TCP_FLAGS) == 0) return false;
    let f = <u32>load<u8>(t, T_TCP_FLAGS) & <u32>load<u8>(r, R_FLAGS_MASK);
    if (load<u8>(r, R_FLAGS_MODE) == FLAGS_ANY) {
      if (f == 0) return false;
    } else if (f != <u32>load<u8>(r, R_FLAGS_VALUE)) {
      return false;
    }
  }
  if (tests & TEST_IFIN) {
    if (load<u8>(r, R_IF_IN) != load<u8>(t, T_IF_IN)) return false;
  }
  if (tests & TEST_IFOUT) {
    if (load<u8>(r, R_IF_OUT) != load<u8>(t, T_IF_OUT)) return false;
  }
  if (tests & TEST_TIME) {
    if (!timeMatches(r, t)) return false;
  }
  return true;
}

function timeMatches(r: usize, t: usize): bool {
  let m = <u32>load<u16>(t, T_MINUTE);
  let from = <u32>load<u16>(r, R_MINUTE_FROM);
  let to = <u32>load<u16>(r, R_MINUTE_TO);
  if (from <= to) {
    if (m < from || m > to) return false;
  } else if (m < from && m > to) {
    return false; // a window past midnight: [from, 1439] and [0, to]
  }
  if (((<u32>load<u8>(r, R_DOW_MASK) >> <u32>load<u8>(t, T_DOW)) & 1) == 0) return false;
  let day = <u32>load<u8>(t, T_DAY);
  if (day < 1 || ((load<u32>(r, R_DAY_MASK) >> (day - 1)) & 1) == 0) return false;
  let month = <u32>load<u8>(t, T_MONTH);
  if (month < 1 || ((<u32>load<u16>(r, R_MONTH_MASK) >> (month - 1)) & 1) == 0) return false;
  return true;
}

// The hot prefilter: a dense array, HOT_SIZE bytes per rule (layout.ts,
// H_*), derived from the rule records at load time (buildHot). It holds a
// NECESSARY condition on the fields of an IPv4 5-tuple, so the scan rejects
// most rules touching only a quarter of the cache lines the full records
// would, with no branches on which tests a rule has; a rule that passes is
// checked in full.
export const HOT_SIZE: usize = L_HOT_SIZE;

export function buildHot(rules: usize, hot: usize, count: u32): void {
  for (let i: u32 = 0; i < count; i++) {
    let r = rules + <usize>i * RULE_SIZE;
    let h = hot + <usize>i * HOT_SIZE;
    let tests = <u32>load<u16>(r, R_TESTS);
    let marks = <u32>load<u8>(r, R_MARKS);
    store<u32>(h, load<u32>(r), H_HEAD);
    let pmask: u32 = (tests & TEST_PROTO) ? 0xff : 0;
    store<u8>(h, <u8>pmask, H_PROTO_MASK);
    store<u8>(h, <u8>(<u32>load<u8>(r, R_PROTO) & pmask), H_PROTO);
    let src = (tests & TEST_SRC) != 0 && (marks & MARK_SRC_NEG) == 0;
    store<u32>(h, src ? load<u32>(r, R_SRC0) : 0, H_SRC0);
    store<u32>(h, src ? load<u32>(r, R_SRC_MASK0) : 0, H_SRC_MASK0);
    let dst = (tests & TEST_DST) != 0 && (marks & MARK_DST_NEG) == 0;
    store<u32>(h, dst ? load<u32>(r, R_DST0) : 0, H_DST0);
    store<u32>(h, dst ? load<u32>(r, R_DST_MASK0) : 0, H_DST_MASK0);
    let sp = (tests & TEST_SPORT) != 0 && <u32>load<u8>(r, R_SPORT_OP) != <u32>PORT_OP_NEQ;
    store<u16>(h, sp ? load<u16>(r, R_SPORT_LO) : 0, H_SPORT_LO);
    store<u16>(h, sp ? load<u16>(r, R_SPORT_HI) : 0xffff, H_SPORT_HI);
    let dp = (tests & TEST_DPORT) != 0 && <u32>load<u8>(r, R_DPORT_OP) != <u32>PORT_OP_NEQ;
    store<u16>(h, dp ? load<u16>(r, R_DPORT_LO) : 0, H_DPORT_LO);
    store<u16>(h, dp ? load<u16>(r, R_DPORT_HI) : 0xffff, H_DPORT_HI);
  }
}

/**
 * Do tuples `a` and `b` hold the same rule inputs (layout.ts,
 * T_RULE_INPUTS), so that every ruleset gives them the same first match?
 * The source address's first eight bytes first: on traffic without packet
 * trains they differ, and one compare says so.
 */
// @ts-ignore: decorator
@inline export function sameRuleInputs(a: usize, b: usize): bool {
  // The compares below cover bytes [0, 56) and no more.
  if (T_RULE_INPUTS != 56) ERROR("sameRuleInputs compares 56 bytes: T_RULE_INPUTS moved");
  if (load<u64>(a, T_SRC) != load<u64>(b, T_SRC)) return false;
  if (ASC_FEATURE_SIMD) {
    let d = v128.or(v128.or(v128.xor(v128.load(a), v128.load(b)), v128.xor(v128.load(a, 16), v128.load(b, 16))), v128.xor(v128.load(a, 32), v128.load(b, 32)));
    return !v128.any_true(d) && load<u64>(a, 48) == load<u64>(b, 48);
  }
  return ((load<u64>(a) ^ load<u64>(b)) | (load<u64>(a, 8) ^ load<u64>(b, 8)) | (load<u64>(a, 24) ^ load<u64>(b, 24))
    | (load<u64>(a, 32) ^ load<u64>(b, 32)) | (load<u64>(a, 40) ^ load<u64>(b, 40)) | (load<u64>(a, 48) ^ load<u64>(b, 48))) == 0;
}

// First match among `count` rules starting at record `first` of the rule
// array at `rules` (whose hot prefilter is at `hot`). Returns the global rule
// index or -1.
//
// A non-first fragment carries no layer-4 header (dialects.md, Cisco's rule):
// only the layer-3 tests of a rule apply to it; a PERMIT rule with layer-4
// tests then matches, a DENY rule with layer-4 tests is skipped.
export function firstMatch(rules: usize, hot: usize, first: u32, count: u32, t: usize): i32 {
  let later = load<u8>(t, T_FRAG) == FRAG_LATER;
  let end = first + count;
  if (!later) {
    // A packet without ports has 0 in the tuple: a prefilter reject is still
    // right, since a rule with a port test never matches such a packet.
    let proto = <u32>load<u8>(t, T_PROTO);
    let src0 = load<u32>(t, T_SRC);
    let dst0 = load<u32>(t, T_DST);
    let sport = <u32>load<u16>(t, T_SPORT);
    let dport = <u32>load<u16>(t, T_DPORT);
    let h = hot + <usize>first * HOT_SIZE;
    for (let i = first; i < end; i++, h += HOT_SIZE) {
      if ((proto & <u32>load<u8>(h, H_PROTO_MASK)) != <u32>load<u8>(h, H_PROTO)) continue;
      if ((src0 & load<u32>(h, H_SRC_MASK0)) != load<u32>(h, H_SRC0)) continue;
      if ((dst0 & load<u32>(h, H_DST_MASK0)) != load<u32>(h, H_DST0)) continue;
      if (dport < <u32>load<u16>(h, H_DPORT_LO) || dport > <u32>load<u16>(h, H_DPORT_HI)) continue;
      if (sport < <u32>load<u16>(h, H_SPORT_LO) || sport > <u32>load<u16>(h, H_SPORT_HI)) continue;
      if (ruleMatches(rules + <usize>i * RULE_SIZE, t, load<u32>(h, H_HEAD) & 0xffff)) return <i32>i;
    }
    return -1;
  }
  let r = rules + <usize>first * RULE_SIZE;
  for (let i = first; i < end; i++, r += RULE_SIZE) {
    let tests = <u32>load<u16>(r, R_TESTS);
    if (tests & TEST_L4) {
      if (load<u8>(r, R_ACTION) == ACTION_DENY) continue;
      tests &= ~TEST_L4;
    }
    if (ruleMatches(r, t, tests)) return <i32>i;
  }
  return -1;
}
