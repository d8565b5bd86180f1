// Buckets for a long first-match chain: a verdict map on the top bits of the
// IPv4 source or destination (`ip saddr vmap { 10.0.0.0/8 : goto ... }`)
// sends a packet to a chain holding, in their order, only the rules that can
// match some address of its bucket; an IPv4 packet in no bucket goes to the
// rules that can match outside every bucket. Each is the full ruleset with
// rules removed that cannot match the packets that reach it, so the first
// match, and with it the answer, is unchanged; the kernel walks ~100 rules
// instead of ~10,000 on ClassBench's acl1_10k. IPv6 packets, and rulesets
// where no split pays (most rules wild in both addresses), keep the one
// chain. A rule in several buckets has a counter in each.
import { type Rule, ruleFamily } from "../../model/rule.ts";

export const BUCKET_MIN_RULES = 256;
/** A split may at most double the rule lines. */
const MAX_GROWTH = 2;

export interface BucketPlan {
  field: "saddr" | "daddr";
  bits: number;
  buckets: { value: number; rules: number[] }[]; // value: the top `bits` of the address
  rest: number[]; // rules that can match an IPv4 address in no bucket
}

function prefixOf(r: Rule, field: "saddr" | "daddr") {
  const a = field === "saddr" ? r.src : r.dst;
  return a && !a.negate && a.prefix.family === 4 ? a.prefix : null;
}

function plan(rules: Rule[], field: "saddr" | "daddr", bits: number): BucketPlan | null {
  const v4 = rules.map((r, i) => ({ r, i })).filter(({ r }) => ruleFamily(r) !== 6);
  const values = new Set<number>();
  for (const { r } of v4) {
    const p = prefixOf(r, field);
    if (p && p.len >= bits) values.add(p.words[0] >>> (32 - bits));
  }
  if (values.size < 2) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const buckets = sorted.map((value) => ({ value, rules: [] as number[] }));
  const rest: number[] = [];
  const index = new Map(sorted.map((v, k) => [v, k]));
  for (const { r, i } of v4) {
    const p = prefixOf(r, field);
    if (p && p.len >= bits) {
      buckets[index.get(p.words[0] >>> (32 - bits))!].rules.push(i);
      continue;
    }
    // Wider than a bucket (or no test on this field): every bucket it reaches, and the rest.
    for (const b of buckets) {
      if (!p || p.len === 0 || b.value >>> (bits - p.len) === p.words[0] >>> (32 - p.len)) b.rules.push(i);
    }
    rest.push(i);
  }
  const lines = buckets.reduce((n, b) => n + b.rules.length, 0) + rest.length;
  if (lines > MAX_GROWTH * rules.length + 64) return null;
  return { field, bits, buckets, rest };
}

/** The best split for a ruleset (smallest largest chain), or null when none pays. */
export function planBuckets(rules: Rule[], minRules = BUCKET_MIN_RULES): BucketPlan | null {
  if (rules.length < minRules) return null;
  let best: BucketPlan | null = null;
  const worst = (p: BucketPlan) => Math.max(p.rest.length, ...p.buckets.map((b) => b.rules.length));
  for (const field of ["saddr", "daddr"] as const) {
    for (const bits of [8, 12, 16]) {
      const p = plan(rules, field, bits);
      if (p && (!best || worst(p) < worst(best))) best = p;
    }
  }
  return best && worst(best) * 2 <= rules.length ? best : null;
}

/** `A.B.C.D/bits` for a bucket's value. */
export function bucketPrefix(value: number, bits: number): string {
  const w = (value << (32 - bits)) >>> 0;
  return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}/${bits}`;
}
