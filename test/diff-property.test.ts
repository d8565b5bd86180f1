// The diff is exact (host/analysis/diff.ts): for random pairs of policies
// (every rule feature; unrelated pairs and pairs where one is an edit of the
// other), a packet's old and new decisions by the reference matcher differ
// exactly when it lies in a reported region, inside a region they are the
// reported ones, regions are disjoint, and every example packet, read as
// `explain` reads it, lies in its region and gets its decisions.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { smallPolicyArb as policyArb, ruleArb } from "./support/arbitrary.ts";
import { diffReport, type Change } from "../host/analysis/diff-report.ts";
import type { Outcome } from "../host/analysis/diff.ts";
import { ruleAt, type Policy, type Rule } from "../host/model/rule.ts";
import { parsePacketSpec } from "../host/engine/packet-spec.ts";
import {
  TEST_APPLIANCE, TEST_LAYOUT, pointOf, packetOf, inBox, cornerPoints, realPacketArb, isRealPoint, decisionKey, type Point,
} from "./support/space-points.ts";

const SEED = Number(process.env.SEMDIFF_SEED ?? 20261129);
const RUNS = Number(process.env.SEMDIFF_RUNS ?? 25);
const SAMPLE = 200;
const PACKETS = Number(process.env.SEMDIFF_PACKETS ?? 1500);

/** Unique ruleset names and rule texts, as real configurations have (identity = ruleset + text). */
function named(p: Policy, tag: string): Policy {
  return {
    ...p,
    rulesets: p.rulesets.map((rs, k) => ({
      ...rs, name: `rs${k}`,
      rules: rs.rules.map((r, i) => ({ ...r, origin: { ...r.origin, file: tag, line: i + 1, text: `${tag}${k}.${i}` } })),
    })),
  };
}

/** An edit of p: some rules dropped, replaced or inserted, perhaps a default flipped. */
const editArb = (p: Policy) => fc.record({
  drops: fc.array(fc.nat(), { maxLength: 3 }),
  inserts: fc.array(fc.tuple(fc.nat(), ruleArb), { maxLength: 3 }),
  flip: fc.option(fc.nat(), { nil: null }),
}).map(({ drops, inserts, flip }) => {
  const rulesets = p.rulesets.map((rs) => ({ ...rs, rules: [...rs.rules], defaults: { ...rs.defaults } }));
  for (const d of drops) {
    const rs = rulesets[d % rulesets.length];
    if (rs.rules.length) rs.rules.splice(d % rs.rules.length, 1);
  }
  inserts.forEach(([at, r], j) => {
    const rs = rulesets[at % rulesets.length];
    rs.rules.splice(at % (rs.rules.length + 1), 0, { ...r, origin: { ...r.origin, file: "new", line: 1000 + j, text: `ins${j}` } } as Rule);
  });
  if (flip !== null) {
    const rs = rulesets[flip % rulesets.length];
    rs.defaults.inbound = rs.defaults.inbound === "permit" ? "deny" : "permit";
  }
  return { ...p, rulesets };
});

const pairArb = fc.oneof(
  fc.tuple(policyArb, policyArb).map(([a, b]) => [named(a, "old"), named(b, "new")] as [Policy, Policy]),
  policyArb.map((p) => named(p, "old")).chain((a) => editArb(a).map((b) => [a, b] as [Policy, Policy])),
);

function expectedKey(p: Policy, o: Outcome): { verdict: string; who: string } {
  if (o.rule) {
    const at = ruleAt(p, o.rule.index)!;
    return { verdict: o.verdict, who: `rule ${at.ruleset.name} ${at.rule.origin.text}` };
  }
  return { verdict: o.verdict, who: o.defaultOf !== null ? `default ${o.defaultOf}` : "no filter" };
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

function check(a: Policy, b: Policy, verdictOnly: boolean, packets: Point[]): number {
  const report = diffReport(a, b, TEST_LAYOUT, verdictOnly);
  const ea = new ReferenceEngine(a);
  const eb = new ReferenceEngine(b);
  const rnd = rng(packets.length + report.changes.length);
  const pts = [...packets];
  // Points at region edges, where a mistake would show; a sample when there are many regions.
  const sample = (xs: Change[]) => (xs.length <= SAMPLE ? xs : Array.from({ length: SAMPLE }, () => xs[Math.floor(rnd() * xs.length)]));
  for (const c of sample(report.changes)) pts.push(...cornerPoints(c.box, rnd, 4));
  let inside = 0;
  for (const pt of pts) {
    if (!isRealPoint(pt)) continue;
    const [h, m] = packetOf(pt);
    const oa = decisionKey(a, ea, h, m);
    const ob = decisionKey(b, eb, h, m);
    const differ = verdictOnly ? oa.verdict !== ob.verdict : oa.verdict !== ob.verdict || oa.who !== ob.who;
    const hits = report.changes.filter((c) => inBox(c.box, pt));
    expect(hits.length, `regions overlap at ${JSON.stringify(pt, (_, v) => (typeof v === "bigint" ? String(v) : v))}`).toBeLessThanOrEqual(1);
    expect(hits.length === 1, `packet ${JSON.stringify(h)} ${JSON.stringify(m, (_, v) => (typeof v === "bigint" ? String(v) : v))}: old ${JSON.stringify(oa)} new ${JSON.stringify(ob)}`).toBe(differ);
    if (hits.length === 1) {
      inside++;
      const c: Change = hits[0];
      const want = { old: expectedKey(a, c.oldOutcome), new: expectedKey(b, c.newOutcome) };
      if (verdictOnly) expect({ old: oa.verdict, new: ob.verdict }).toEqual({ old: want.old.verdict, new: want.new.verdict });
      else expect({ old: oa, new: ob }).toEqual(want);
    }
  }
  for (const c of sample(report.changes)) {
    const spec = parsePacketSpec(c.example, TEST_APPLIANCE);
    expect(inBox(c.box, pointOf(spec.header, spec.meta)), `example ${c.example} outside ${c.words}`).toBe(true);
    expect(decisionKey(a, ea, spec.header, spec.meta)).toEqual(expectedKey(a, c.oldOutcome));
    expect(decisionKey(b, eb, spec.header, spec.meta)).toEqual(expectedKey(b, c.newOutcome));
  }
  return inside;
}

describe(`diff is exact (seed ${SEED})`, () => {
  for (const verdictOnly of [false, true]) {
    it(`${verdictOnly ? "verdicts only" : "verdicts and deciding rules"}: differ exactly inside the regions, with the reported decisions`, () => {
      let inside = 0;
      let changed = 0;
      fc.assert(fc.property(pairArb, fc.array(realPacketArb, { minLength: PACKETS, maxLength: PACKETS }), ([a, b], pkts) => {
        const n = check(a, b, verdictOnly, pkts.map(([h, m]) => pointOf(h, m)));
        inside += n;
        if (n > 0) changed++;
      }), { seed: SEED, numRuns: RUNS, endOnFailure: process.env.SEMDIFF_NOSHRINK === "1" });
      // The test means something only if many packets fall inside regions.
      expect(changed).toBeGreaterThan(RUNS / 3);
      expect(inside).toBeGreaterThan(RUNS * 20);
    }, 600_000);
  }
  it("a policy against itself is equivalent, and so is one whose lines only moved", () => {
    fc.assert(fc.property(policyArb, (p0) => {
      const a = named(p0, "old");
      const moved = { ...a, rulesets: a.rulesets.map((rs) => ({ ...rs, rules: rs.rules.map((r) => ({ ...r, origin: { ...r.origin, line: r.origin.line + 7 } })) })) };
      expect(diffReport(a, moved, TEST_LAYOUT, false).changes).toEqual([]);
    }), { seed: SEED, numRuns: 100 });
  });
});
