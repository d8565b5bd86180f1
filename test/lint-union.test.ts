// The exact order lint (host/analysis/lint.ts) against the reference matcher,
// on random policies with every rule feature: a rule reported dead never
// decides a packet (random packets and packets at the edges of its own box),
// every other rule decides the example packet the analysis gives for it, and
// removing a rule reported redundant changes the verdict of no packet.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { smallPolicyArb } from "./support/arbitrary.ts";
import { lintRuleset } from "../host/analysis/lint.ts";
import { shapes, ruleBox } from "../host/analysis/space.ts";
import type { Policy } from "../host/model/rule.ts";
import type { PacketHeader, PacketMeta } from "../host/engine/header.ts";
import * as L from "../assembly/layout.ts";
import { TEST_LAYOUT, packetOf, cornerPoints, realPacketArb, isRealPoint, pointOf, type Point } from "./support/space-points.ts";

const SEED = Number(process.env.LINT_SEED ?? 20261129);
const RUNS = Number(process.env.LINT_RUNS ?? 200);

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** Does a packet between these interfaces reach ruleset rs (all do when it is bound nowhere)? */
function reaches(p: Policy, rs: number, m: PacketMeta): boolean {
  const bound = p.input.includes(rs) || p.output.includes(rs);
  return !bound || p.input[m.ifIn] === rs || p.output[m.ifOut] === rs;
}

/** The ruleset alone: its first matching rule (position) and verdict. */
function judge(p: Policy, rs: number, h: PacketHeader, m: PacketMeta): { rule: number; verdict: string } {
  const e = new ReferenceEngine(p);
  const first = p.rulesets.slice(0, rs).reduce((n, r) => n + r.rules.length, 0);
  const g = e.firstMatch(rs, h, m);
  if (g >= 0) return { rule: g - first, verdict: p.rulesets[rs].rules[g - first].action };
  const d = p.rulesets[rs].defaults;
  return { rule: -1, verdict: m.dir === L.DIR_INBOUND ? d.inbound : m.dir === L.DIR_OUTBOUND ? d.outbound : d.other };
}

function without(p: Policy, rs: number, k: number): Policy {
  return { ...p, rulesets: p.rulesets.map((r, i) => (i === rs ? { ...r, rules: r.rules.filter((_, j) => j !== k) } : r)) };
}

describe(`exact order lint (seed ${SEED})`, () => {
  it("dead rules never decide; every other rule decides its example; redundant rules change no verdict", () => {
    let dead = 0, live = 0, redundant = 0;
    fc.assert(fc.property(smallPolicyArb, fc.array(realPacketArb, { minLength: 400, maxLength: 400 }), (p, pkts) => {
      const rnd = rng(pkts.length);
      p.rulesets.forEach((rset, rs) => {
        const lint = lintRuleset(p, rs, TEST_LAYOUT);
        const deadSet = new Set(lint.dead.map((d) => d.index));
        const points: Point[] = pkts.map(([h, m]) => pointOf(h, m));
        // Packets at the edges of each dead rule's own box.
        for (const k of deadSet) {
          for (const s of shapes(3, true)) {
            const b = ruleBox(rset.rules[k], s, (n) => TEST_LAYOUT.interfaces.indexOf(n));
            if (b) points.push(...cornerPoints(b, rnd, 6));
          }
        }
        for (const [k, w] of lint.witness) points.push(...cornerPoints(w.box, rnd, 3));
        const inDomain = points.filter(isRealPoint).map(packetOf).filter(([, m]) => reaches(p, rs, m));
        for (const [h, m] of inDomain) {
          const j = judge(p, rs, h, m);
          expect(deadSet.has(j.rule), `dead rule ${j.rule} of ruleset ${rs} decided ${JSON.stringify(h)}`).toBe(false);
        }
        // Every rule not dead decides the example the analysis gives for it.
        for (let k = 0; k < rset.rules.length; k++) {
          if (deadSet.has(k)) continue;
          const w = lint.witness.get(k);
          expect(w, `rule ${k} is neither dead nor has an example`).toBeDefined();
          const [h, m] = packetOf(cornerPoints(w!.box, rnd, 1)[0]);
          expect(judge(p, rs, h, m).rule).toBe(k);
          live++;
        }
        dead += deadSet.size;
        for (const k of lint.redundant) {
          redundant++;
          const q = without(p, rs, k);
          for (const [h, m] of inDomain) expect(judge(q, rs, h, m).verdict).toBe(judge(p, rs, h, m).verdict);
        }
        for (const d of lint.dead) for (const b of d.by) expect(b).toBeLessThan(d.index);
      });
    }), { seed: SEED, numRuns: RUNS });
    expect(dead).toBeGreaterThan(5);
    expect(live).toBeGreaterThan(50);
    expect(redundant).toBeGreaterThan(5);
  }, 600_000);
});
