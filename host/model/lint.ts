// Rule-order lint over the rule model, shared by the ordered dialects
// (PortMaster, InstaGate): a rule that an earlier rule of the same ruleset
// fully covers can never decide a packet. `covers` is conservative: it may
// miss a cover (then no warning), but it never claims one that is not there.
import { prefixCovers } from "./addr.ts";
import { type Rule, type PortTest, type FlagsTest, portRange, hasLayer4Tests, ruleFamily } from "./rule.ts";

type Interval = [number, number];

function portSet(t: PortTest): Interval[] {
  const { lo, hi, negate } = portRange(t);
  if (lo > hi) return negate ? [[0, 65535]] : [];
  if (!negate) return [[lo, hi]];
  const out: Interval[] = [];
  if (lo > 0) out.push([0, lo - 1]);
  if (hi < 65535) out.push([hi + 1, 65535]);
  return out;
}

function intervalsCover(outer: Interval[], inner: Interval[]): boolean {
  return inner.every(([lo, hi]) => outer.some(([a, b]) => a <= lo && hi <= b));
}

function portCovers(a: PortTest | null, b: PortTest | null): boolean {
  if (!a) return true;
  if (!b) return false; // b also matches packets without ports, or any port
  return intervalsCover(portSet(a), portSet(b));
}

function addrCovers(a: Rule["src"], b: Rule["src"]): boolean {
  if (!a) return true;
  if (!b) return a.negate ? false : a.prefix.len === 0;
  if (!a.negate && !b.negate) return prefixCovers(a.prefix, b.prefix);
  if (a.negate && b.negate) return prefixCovers(b.prefix, a.prefix);
  if (a.negate && !b.negate) {
    // b's addresses must all lie outside a's prefix: the prefixes are disjoint.
    return a.prefix.family === b.prefix.family && !prefixCovers(a.prefix, b.prefix) && !prefixCovers(b.prefix, a.prefix);
  }
  return a.prefix.len === 0 && a.prefix.family === b.prefix.family;
}

function flagsCover(a: FlagsTest | null, b: FlagsTest | null): boolean {
  if (!a) return true;
  if (!b) return false;
  if (a.mode === "any") {
    if (b.mode === "any") return (b.mask & ~a.mask) === 0; // some bit of b's mask set => some bit of a's set
    return (b.value & b.mask & a.mask) !== 0;
  }
  if (b.mode === "all") return (a.mask & ~b.mask) === 0 && (b.value & a.mask) === (a.value & a.mask);
  return false;
}

export interface CoverOptions {
  /**
   * Judge only unfragmented packets and first fragments. A non-first fragment
   * carries no ports, so an earlier deny with port tests lets it through to a
   * later permit; with this option such a later rule still counts as covered,
   * since it can decide nothing but those fragments.
   */
  firstFragmentsOnly?: boolean;
}

/** Does every packet that `later` matches also match `earlier` (so `later` never decides)? */
export function covers(earlier: Rule, later: Rule, opts: CoverOptions = {}): boolean {
  // A non-first fragment skips a deny rule with layer-4 tests but is matched
  // by a permit one on its layer-3 part: see dialects.md's fragment decision.
  if (!opts.firstFragmentsOnly && hasLayer4Tests(earlier) && earlier.action === "deny" && !(hasLayer4Tests(later) && later.action === "deny")) return false;
  const fa = ruleFamily(earlier);
  if (fa !== null && fa !== ruleFamily(later)) return false;
  if (earlier.proto !== null && earlier.proto !== later.proto) return false;
  if (earlier.ifIn !== null && earlier.ifIn !== later.ifIn) return false;
  if (earlier.ifOut !== null && earlier.ifOut !== later.ifOut) return false;
  if (!addrCovers(earlier.src, later.src) || !addrCovers(earlier.dst, later.dst)) return false;
  if (!portCovers(earlier.sport, later.sport) || !portCovers(earlier.dport, later.dport)) return false;
  if (earlier.icmpType !== null && earlier.icmpType !== later.icmpType) return false;
  if (earlier.icmpCode !== null && earlier.icmpCode !== later.icmpCode) return false;
  if (!flagsCover(earlier.flags, later.flags)) return false;
  if (earlier.time && JSON.stringify(earlier.time) !== JSON.stringify(later.time)) return false;
  return true;
}

/** Both rules match exactly the same packets (as far as `covers` can tell). */
export function sameMatch(a: Rule, b: Rule): boolean {
  return covers(a, b) && covers(b, a);
}

export interface OrderFinding {
  index: number; // the rule that never decides
  by: number; // the earlier rule that covers it
  kind: "shadowed" | "redundant";
}

/**
 * For each rule, the first earlier rule that covers it: "redundant" when the
 * two match the same packets with the same action (the later one repeats the
 * earlier), "shadowed" otherwise. Quadratic; callers skip very large rulesets.
 */
export function findCoveredRules(rules: Rule[]): OrderFinding[] {
  return findCoveredRulesWithin(rules, Infinity).findings;
}

/**
 * findCoveredRules with a work budget: at most `budget` rule comparisons.
 * When it runs out, `checkedUpTo` is the number of rules fully checked (the
 * rules from there on were not compared), so a caller can say so; a
 * configuration's lint then costs at most its budget, linear in the input.
 */
export function findCoveredRulesWithin(rules: Rule[], budget: number): { findings: OrderFinding[]; checkedUpTo: number; used: number } {
  const out: OrderFinding[] = [];
  let used = 0;
  for (let j = 1; j < rules.length; j++) {
    if (used + j > budget) return { findings: out, checkedUpTo: j, used };
    for (let i = 0; i < j; i++) {
      used++;
      if (!covers(rules[i], rules[j])) continue;
      const redundant = rules[i].action === rules[j].action && sameMatch(rules[i], rules[j]);
      out.push({ index: j, by: i, kind: redundant ? "redundant" : "shadowed" });
      break;
    }
  }
  return { findings: out, checkedUpTo: rules.length, used };
}

/**
 * The exact rule-order findings of one ruleset (computed over header space by
 * host/analysis/lint.ts; plain data here so that dialects can word them).
 * Indexes are positions in the ruleset.
 */
export interface OrderReport {
  ruleset: number;
  /** Rules that never decide a packet; `by`: the earlier rules that decide their packets instead. */
  dead: { index: number; by: number[] }[];
  /** Rules that decide packets, every one of which the rest of the ruleset would give the same verdict. */
  redundant: number[];
}
