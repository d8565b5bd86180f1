// The indexed classifier's life cycle: the choice per ruleset (indexInfo),
// rebuilding on reload, the fallback to the scan over budget, and the
// non-first-fragment and IPv6 paths, always against the reference.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { largePolicyArb, packetsArb } from "./support/arbitrary.ts";
import type { Policy } from "../host/model/rule.ts";
import type { PacketHeader, PacketMeta } from "../host/engine/header.ts";
import { parseClassBenchRules, parseClassBenchTrace, CLASSBENCH_META } from "../host/classbench/classbench.ts";

const sample = <T>(a: fc.Arbitrary<T>, seed: number): T => fc.sample(a, { seed, numRuns: 1 })[0];

function rulesOf(w: WasmEngine, policy: Policy, batch: [PacketHeader, PacketMeta][]) {
  return w.classifyHeaders(batch.map((b) => b[0]), batch.map((b) => b[1])).map((r) => [r.rule, r.verdict, r.monitorRule]);
}

function refRules(policy: Policy, batch: [PacketHeader, PacketMeta][]) {
  const ref = new ReferenceEngine(policy);
  return batch.map(([h, m]) => { const r = ref.classify(h, m); return [r.rule, r.verdict, r.monitorRule]; });
}

describe("indexed classifier", () => {
  let w: WasmEngine;
  beforeAll(async () => {
    w = await WasmEngine.create();
  });

  it("indexes rulesets of at least the threshold in auto mode, and says why not otherwise", () => {
    const policy = sample(largePolicyArb, 7);
    const program = encodePolicy(policy);
    w.setClassifier("auto", 32);
    w.load(program);
    expect(w.indexInfo(0)).toMatchObject({ kind: "tree", reason: "indexed" });
    expect(w.indexInfo(0).bytes).toBeGreaterThan(0);
    w.setClassifier("auto", 100_000);
    w.load(program);
    expect(w.indexInfo(0)).toEqual({ kind: "linear", bytes: 0, reason: "small" });
    w.setClassifier("linear");
    w.load(program);
    expect(w.indexInfo(0)).toEqual({ kind: "linear", bytes: 0, reason: "linear" });
    expect(() => w.indexInfo(policy.rulesets.length)).toThrow(RangeError);
    w.setClassifier("auto", 32);
  });

  it("rebuilds the index on every load: A, B, A again gives A's answers", () => {
    const a = sample(largePolicyArb, 11);
    const b = sample(largePolicyArb, 12);
    const batch = sample(packetsArb(400), 13);
    w.setClassifier("index");
    w.load(encodePolicy(a));
    const first = rulesOf(w, a, batch);
    expect(first).toEqual(refRules(a, batch));
    w.load(encodePolicy(b));
    expect(rulesOf(w, b, batch)).toEqual(refRules(b, batch));
    w.load(encodePolicy(a));
    expect(rulesOf(w, a, batch)).toEqual(first);
    w.setClassifier("auto", 32);
  });

  it("answers a packet alone, in reverse order and after a reload as it does in a batch (the next tuple's walk is only a cache)", () => {
    for (let seed = 1; seed <= 6; seed++) {
      const a = sample(largePolicyArb, 300 + seed);
      const b = sample(largePolicyArb, 400 + seed);
      const packets = sample(packetsArb(150), 500 + seed);
      // Each packet twice in a row: the second is answered from the walk
      // made for it while the first was classified.
      const batch = packets.flatMap((p) => [p, p]);
      w.setClassifier("index");
      w.load(encodePolicy(a));
      expect(rulesOf(w, a, batch)).toEqual(refRules(a, batch));
      // Same tuples, other trees: a walk of a's trees must not be reused.
      w.load(encodePolicy(b));
      const reversed = [...batch].reverse();
      expect(rulesOf(w, b, reversed)).toEqual(refRules(b, reversed));
      for (const p of packets.slice(0, 40)) expect(rulesOf(w, b, [p])).toEqual(refRules(b, [p]));
    }
    w.setClassifier("auto", 32);
  });

  it("falls back to the scan with a reason when the index would exceed its budget, and still answers right", () => {
    let fellBack = 0;
    for (let seed = 1; seed <= 20; seed++) {
      const policy = sample(largePolicyArb, 100 + seed);
      const batch = sample(packetsArb(300), 200 + seed);
      w.setClassifier("index", 0, 1); // one list entry per rule: too tight for most rulesets
      w.load(encodePolicy(policy));
      policy.rulesets.forEach((_, i) => {
        const info = w.indexInfo(i);
        if (info.kind === "linear") {
          expect(info).toEqual({ kind: "linear", bytes: 0, reason: "over-budget" });
          fellBack++;
        }
      });
      expect(rulesOf(w, policy, batch)).toEqual(refRules(policy, batch));
    }
    expect(fellBack).toBeGreaterThan(0);
    w.setClassifier("auto", 32, 48);
  });
  it("splits rules wide in one address but /6 or longer in the other into their own cut groups, or looks them up with the rules wide in both when all fit one bit-vector group, and answers as the reference", () => {
    // Built to take build-tree.ts's extra groups: many rules wide in the source
    // with destinations /6../8 (wider than a cut of log2(rules) bits) in three top-6-bit buckets (and the mirror
    // image), mixed with narrow rules and wildcards in shuffled order.
    let seed = 12345;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
    const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
    const pfx = (v: number, len: number) => `${ip(len === 0 ? 0 : (v & (~0 << (32 - len))) >>> 0)}/${len}`;
    // Port ranges with edges anywhere (too many classes for a bit-vector group of these rules), or from a short list.
    const FEW = ["0 : 1023", "53 : 53", "80 : 80", "1024 : 65535", "443 : 443"];
    const ports = (few: boolean) => {
      if (few) return rnd(2) ? "0 : 65535" : FEW[rnd(FEW.length)];
      const lo = rnd(3) === 0 ? 0 : rnd(60000);
      return rnd(2) ? "0 : 65535" : `${lo} : ${lo + rnd(5000)}`;
    };
    const proto = () => ["0x06/0xFF", "0x11/0xFF", "0x00/0x00"][rnd(3)];
    const tops = [26, 154, 220];
    const policyOf = (few: boolean, cuts: number) => {
      const lines: string[] = [];
      for (let i = 0; i < 150; i++) lines.push(`@${pfx(rnd(2 ** 31) * 2, 16 + rnd(17))}\t${pfx(rnd(2 ** 31) * 2, 16 + rnd(17))}`);
      for (let i = 0; i < cuts; i++) lines.push(`@${pfx(rnd(2 ** 31) * 2, rnd(3))}\t${pfx(((tops[rnd(3)] << 24) | rnd(2 ** 24)) >>> 0, 6 + rnd(3))}`);
      for (let i = 0; i < cuts; i++) lines.push(`@${pfx(((tops[rnd(3)] << 24) | rnd(2 ** 24)) >>> 0, 6 + rnd(3))}\t${pfx(rnd(2 ** 31) * 2, rnd(3))}`);
      for (let i = 0; i < 20; i++) lines.push(`@${pfx(rnd(2 ** 31) * 2, rnd(2))}\t${pfx(rnd(2 ** 31) * 2, rnd(2))}`);
      for (let i = lines.length - 1; i > 0; i--) { const j = rnd(i + 1); [lines[i], lines[j]] = [lines[j], lines[i]]; }
      const text = lines.map((l) => `${l}\t${ports(few)}\t${ports(few)}\t${proto()}\t0x0000/0x0000`).join("\n")
        + "\n@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\n";
      const { policy, diagnostics } = parseClassBenchRules(text, "split.rules");
      expect(diagnostics).toEqual([]);
      return policy;
    };
    // Packets at random, and inside the buckets the split groups cut on.
    const near = () => ((tops[rnd(3)] << 24) | rnd(2 ** 24)) >>> 0;
    const addr = () => (rnd(2) ? near() : rnd(2 ** 31) * 2 + rnd(2));
    const trace = Array.from({ length: 4000 }, () =>
      `${addr()}\t${addr()}\t${rnd(65536)}\t${rnd(3) === 0 ? rnd(5000) : rnd(65536)}\t${[6, 17, 1][rnd(3)]}\t0\t-1`).join("\n") + "\n";
    const headers = parseClassBenchTrace(trace, "split.trace").headers;
    const batch: [PacketHeader, PacketMeta][] = headers.map((h) => [h, CLASSBENCH_META]);
    w.setClassifier("index");
    // [few port ranges?, rules per cut group, groups, bit-vector groups]:
    // 221 rules wide in both addresses whose classes are too many for a
    // bit-vector group: the narrow rules' tree, the rest's tree and two cut
    // groups; the same with few port ranges: the narrow rules' tree and one
    // bit-vector group for all 221; 621 rules wide in both (over
    // BV_MAX_RULES): the 21 without a cut as a bit-vector group, the cut
    // groups as trees.
    // The last column: group filters (the narrow rules', and each cut
    // group's when it is a tree; none for the rules wide in both, whose
    // cells are too many, merged or not).
    const cases = [[false, 100, 4, 0, 3], [true, 100, 2, 1, 1], [true, 300, 4, 1, 3]] as const;
    for (const [few, cuts, groups, bitvec, filters] of cases) {
      const policy = policyOf(few, cuts);
      w.load(encodePolicy(policy));
      expect(w.indexInfo(0)).toMatchObject({ kind: "tree", reason: "indexed" });
      expect([few, cuts, w.x.indexGroups(0), w.x.treeStat(6), w.x.treeStat(5)]).toEqual([few, cuts, groups, bitvec, filters]);
      expect(rulesOf(w, policy, batch)).toEqual(refRules(policy, batch));
    }
    w.setClassifier("auto", 32, 48);
  });

  it("keeps a packet out of every walked group by one probe of the narrow groups' filter when its cell is clear, and answers as the reference (the SIMD and the no-SIMD build)", async () => {
    // Two walked groups (narrow in both addresses; narrow source, wide
    // destination), a few rules wide in both (a bit-vector group) and a
    // catch-all: packets at random mostly fall in clear cells of the union
    // of the two groups' boxes; packets inside the narrow rules must still
    // find them, in either group (a filter that left out a group's rules
    // would lose those).
    let seed = 777;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
    const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
    const rules: { src: number; dst: number; srcLen: number; dstLen: number }[] = [];
    for (let i = 0; i < 120; i++) rules.push({ src: rnd(2 ** 24) << 8, dst: rnd(2 ** 24) << 8, srcLen: 24, dstLen: 24 });
    for (let i = 0; i < 120; i++) rules.push({ src: rnd(2 ** 24) << 8, dst: rnd(2 ** 2) << 30, srcLen: 24, dstLen: 2 });
    for (let i = 0; i < 10; i++) rules.push({ src: rnd(2) << 31, dst: rnd(2) << 31, srcLen: 1, dstLen: 1 });
    for (let i = rules.length - 1; i > 0; i--) { const j = rnd(i + 1); [rules[i], rules[j]] = [rules[j], rules[i]]; }
    const text = rules.map((r) => `@${ip(r.src >>> 0)}/${r.srcLen}\t${ip(r.dst >>> 0)}/${r.dstLen}\t0 : 65535\t${rnd(2) ? "0 : 65535" : "80 : 80"}\t0x06/0xFF\t0x0000/0x0000`).join("\n")
      + "\n@0.0.0.0/0\t0.0.0.0/0\t0 : 65535\t0 : 65535\t0x00/0x00\t0x0000/0x0000\n";
    const { policy, diagnostics } = parseClassBenchRules(text, "narrow.rules");
    expect(diagnostics).toEqual([]);
    const inside = (r: (typeof rules)[number]) => [
      (r.src + rnd(2 ** (32 - r.srcLen))) >>> 0, (r.dst + (r.dstLen === 2 ? rnd(2 ** 30) : rnd(256))) >>> 0];
    const random = 3000;
    const lines: string[] = [];
    for (let i = 0; i < random; i++) lines.push(`${rnd(2 ** 31) * 2 + rnd(2)}\t${rnd(2 ** 31) * 2 + rnd(2)}\t${rnd(65536)}\t${rnd(2) ? 80 : rnd(65536)}\t6\t0\t-1`);
    for (let i = 0; i < 3000; i++) {
      const [s, d] = inside(rules[rnd(rules.length)]);
      lines.push(`${s}\t${d}\t${rnd(65536)}\t80\t6\t0\t-1`);
    }
    const batch: [PacketHeader, PacketMeta][] = parseClassBenchTrace(lines.join("\n") + "\n", "narrow.trace").headers.map((h) => [h, CLASSBENCH_META]);
    w.setClassifier("index");
    w.load(encodePolicy(policy));
    // Three groups: two walked, one bit-vector group; one narrow groups' filter.
    expect([w.x.indexGroups(0), w.x.treeStat(6), w.x.treeStat(8)]).toEqual([3, 1, 1]);
    const before = w.x.classifierNarrowMisses();
    const got = rulesOf(w, policy, batch);
    expect(w.x.classifierNarrowMisses() - before).toBeGreaterThan(random * 0.9);
    const want = refRules(policy, batch);
    expect(got).toEqual(want);
    // The packets inside the narrow rules found them (not only the catch-all and the wide rules).
    // (Some are taken by a rule wide in both before theirs.)
    expect(want.slice(random).filter(([r]) => rules[r as number]?.srcLen === 24).length).toBeGreaterThan(1500);
    w.setClassifier("auto", 32, 48);
    // The no-SIMD build computes the four lanes' cells one by one (lanes.ts, lanesMayMatch).
    const noSimd = await WasmEngine.create("release-nosimd");
    noSimd.setClassifier("index");
    noSimd.load(encodePolicy(policy));
    expect(noSimd.x.treeStat(8)).toBe(1);
    const missed = noSimd.x.classifierNarrowMisses();
    expect(rulesOf(noSimd, policy, batch)).toEqual(want);
    expect(noSimd.x.classifierNarrowMisses() - missed).toBeGreaterThan(random * 0.9);
  });

  it("looks up up to 512 rules wide in both addresses by bit vectors (with combine tables when their classes cross into few enough entries), more (or ones whose tables would be too large) by a tree, and answers as the reference either way", () => {
    let seed = 4242;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) >>> 0; return (seed >>> 8) % n; };
    const ip = (v: number) => [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
    // Prefixes of /0 to /5: wide in both addresses and not a cut group (build-tree.ts, G_WIDE).
    const wide = () => { const len = rnd(6); const v = len === 0 ? 0 : ((rnd(2 ** 31) * 2) & (~0 << (32 - len))) >>> 0; return `${ip(v)}/${len}`; };
    // Aligned ranges stay in the first table; ranges with edges anywhere need a table per edge;
    // ranges from a short list cross into few enough port classes for combine tables.
    const FEW = ["0 : 1023", "53 : 53", "80 : 80", "1024 : 65535", "6000 : 6063", "443 : 443"];
    const range = (aligned: boolean | "few") => {
      if (rnd(3) === 0) return "0 : 65535";
      if (aligned === "few") return FEW[rnd(FEW.length)];
      const lo = aligned ? rnd(200) * 256 : rnd(60000);
      const hi = aligned ? lo + 255 + rnd(50) * 256 : lo + rnd(5000);
      return `${lo} : ${Math.min(hi, 65535)}`;
    };
    // Four protocols, or (for "many") every other rule's another of 256 as well.
    let nth = 0;
    const proto = (many: boolean) => (many && nth++ % 2 ? `0x${((nth * 37) % 256).toString(16).padStart(2, "0")}/0xFF` : ["0x06/0xFF", "0x11/0xFF", "0x01/0xFF", "0x00/0x00"][rnd(4)]);
    const policyOf = (n: number, aligned: boolean | "few", many: boolean) => {
      const lines = Array.from({ length: n }, () => `@${wide()}\t${wide()}\t${range(aligned)}\t${range(aligned)}\t${proto(many)}\t0x0000/0x0000`);
      const { policy, diagnostics } = parseClassBenchRules(lines.join("\n") + "\n", "wide.rules");
      expect(diagnostics).toEqual([]);
      return policy;
    };
    // Packets anywhere, and on the edges the aligned rules cut (port 256k - 1, 256k).
    const port = () => (rnd(2) ? rnd(65536) : Math.max(0, rnd(257) * 256 - rnd(2)));
    const trace = Array.from({ length: 3000 }, () =>
      `${rnd(2 ** 31) * 2 + rnd(2)}\t${rnd(2 ** 31) * 2 + rnd(2)}\t${port()}\t${port()}\t${[6, 17, 1, 47][rnd(4)]}\t0\t-1`).join("\n") + "\n";
    const batch: [PacketHeader, PacketMeta][] = parseClassBenchTrace(trace, "wide.trace").headers.map((h) => [h, CLASSBENCH_META]);
    w.setClassifier("index");
    // [rules, their ports, protocols of any number, bit-vector groups, of
    // them with combine tables (build-bitvec-combine.ts: a hundred protocol
    // classes x the aligned ranges' port classes cross into more entries
    // than their budget, and the rows alone answer)].
    const cases = [
      [200, "few", false, 1, 1], [512, "few", true, 1, 1], [200, true, false, 1, 1], [200, true, true, 1, 0], [512, true, true, 1, 0],
      [513, true, false, 0, 0], [200, false, false, 0, 0],
    ] as const;
    for (const [n, aligned, many, bitvec, combine] of cases) {
      const policy = policyOf(n, aligned, many);
      w.load(encodePolicy(policy));
      expect(w.indexInfo(0)).toMatchObject({ kind: "tree", reason: "indexed" });
      expect([n, aligned, many, w.x.treeStat(6), w.x.treeStat(7)]).toEqual([n, aligned, many, bitvec, combine]);
      expect(rulesOf(w, policy, batch)).toEqual(refRules(policy, batch));
    }
    w.setClassifier("auto", 32, 48);
  });
});
