// The running appliance's memory (issue 13): the compact rule book holds
// 10,000 rules in a small, bounded heap and answers exactly what the rule
// model says; the real `portcullis run` process with ClassBench acl1_10k
// stays under a generous RSS cap, its forwarding heap never sees the parsed
// model, and reloads (each checked in a worker thread) leave nothing behind.
// Caps are loose (this suite runs on shared 2-core machines), so that only a
// blow-up fails them: before the book and the worker-side load the same
// process sat at 166 MB idle with a 20 MB heap; now at about 80 MB with 7 MB.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadAllLazily } from "../host/config/compile.ts";
import { RuleBook, ruleKey } from "../host/runtime/rule-book.ts";
import { allRules, type Policy } from "../host/model/rule.ts";
import { compactPolicyTexts } from "../host/runtime/compact-texts.ts";
import { classBenchConfig, measureRss } from "../bench/appliance-rss.ts";
import { collectGarbage } from "../host/runtime/collect-garbage.ts";

const heapAfterGc = () => { collectGarbage(); collectGarbage(); return process.memoryUsage().heapUsed; };

let dir = "";
let config = "";
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pc-memory-"));
  config = classBenchConfig(dir); // 9,774 PortMaster rules
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function loadPolicy(): Promise<Policy> {
  const l = await loadAllLazily([config], {});
  expect(l.ok).toBe(true);
  return compactPolicyTexts(l.config.policy!);
}

describe("the rule book", () => {
  it("holds ClassBench acl1_10k's 9,774 rules in under 3 MB of heap (the rule model takes several times that)", async () => {
    const empty = heapAfterGc();
    const policy = await loadPolicy();
    const withPolicy = heapAfterGc();
    const book = RuleBook.fromPolicy(policy);
    const withBoth = heapAfterGc();
    expect(book.count).toBe(9774);
    const policyBytes = withPolicy - empty, bookBytes = withBoth - withPolicy; // the policy's bytes include its dialect's model
    expect(bookBytes).toBeLessThan(3 << 20);
    expect(policyBytes).toBeGreaterThan(3 * bookBytes);
    expect(allRules(policy)).toHaveLength(book.count); // both alive until here
  });

  it("answers what the rule model says, for every rule", async () => {
    const policy = await loadPolicy();
    const book = RuleBook.fromPolicy(policy);
    const copy = RuleBook.fromData(structuredClone(book.data)); // as it crosses from the worker
    const rules = allRules(policy);
    let k = 0;
    policy.rulesets.forEach((rs, s) => {
      for (const r of rs.rules) {
        for (const b of [book, copy]) {
          expect(b.origin(k)).toEqual({ ...r.origin });
          expect([b.action(k), b.log(k), b.notify(k), b.rulesetOf(k), b.rulesetName(k)]).toEqual([r.action, r.log, r.notify, s, rs.name]);
        }
        k++;
      }
    });
    expect(k).toBe(rules.length);
    expect(book.has(rules.length)).toBe(false);
    expect(book.has(-1)).toBe(false);
    // Identity: equal exactly when ruleKey is equal (line and column aside).
    const byKey = new Map<string, string>();
    rules.forEach((r, i) => {
      const key = ruleKey(book.rulesetName(i), r);
      const seen = byKey.get(book.key(i));
      if (seen !== undefined) expect(seen).toBe(key);
      byKey.set(book.key(i), key);
    });
    expect(new Set(rules.map((r, i) => ruleKey(book.rulesetName(i), r))).size).toBe(byKey.size);
  });
});

describe("portcullis run's memory", () => {
  it("runs 9,774 PortMaster rules in under 150 MB RSS and a 20 MB heap, and three reloads add under 20 MB", async () => {
    const f = await measureRss({ config, reloads: 3, settleMs: 2000 });
    expect(f.status.ruleCount).toBe(9774);
    expect(f.status.generation).toBe(4);
    expect(f.beforeReloads!.rssKb).toBeLessThan(150 * 1024);
    expect(f.status.memory.heapUsed).toBeLessThan(20 << 20);
    expect(f.rssKb - f.beforeReloads!.rssKb).toBeLessThan(20 * 1024);
  }, 180_000);
});
