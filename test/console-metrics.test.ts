// /metrics writes the rule series from a per-generation template with the
// values written by hand: every value must come out as the format's number
// (small, large, beyond 2^53, zero), label sets stay distinct and escaped,
// and a new generation of rows gets its own template.
import { describe, it, expect } from "vitest";
import { renderMetrics } from "../host/console/metrics.ts";
import type { Snapshot, RuleRow } from "../host/console/snapshot.ts";

const VALUES = [0, 1, 9, 10, 99, 100, 123456789, 2 ** 53 - 1, 2 ** 53 + 2, 1e21];

function snapshot(rules: RuleRow[]): Snapshot {
  return {
    build: { version: "1.2.3", commit: "abc" }, atMs: 0, uptimeS: 5, generation: 1, loadedAtMs: 0, configs: [], dialect: "pm", warnings: [],
    lastReload: null, reloads: { applied: 0, refused: 0 }, rules, defaults: [], ports: [], drops: [], conntrack: null,
  };
}

function row(i: number, packets: number, bytes: number, over: Partial<RuleRow> = {}): RuleRow {
  return { index: i, indices: [i], ruleset: "big", name: String(i + 1), file: "/etc/big.pm", line: i + 1, text: "", action: "deny", packets, bytes, lastHitMs: null, ...over };
}

describe("/metrics rule series", () => {
  it("writes each value as a number, whatever its size", () => {
    const rules = VALUES.map((v, i) => row(i, v, VALUES[VALUES.length - 1 - i]));
    const text = renderMetrics(snapshot(rules)).toString("utf8");
    VALUES.forEach((v, i) => {
      expect(text).toContain(`portcullis_rule_packets_total{ruleset="big",rule="${i + 1}",file="/etc/big.pm",line="${i + 1}"} ${String(v)}\n`);
      expect(text).toContain(`portcullis_rule_bytes_total{ruleset="big",rule="${i + 1}",file="/etc/big.pm",line="${i + 1}"} ${String(VALUES[VALUES.length - 1 - i])}\n`);
    });
    // Families in order, each line of the rule families a sample.
    const lines = text.split("\n");
    const p = lines.indexOf("# TYPE portcullis_rule_packets_total counter"), b = lines.indexOf("# TYPE portcullis_rule_bytes_total counter");
    expect(lines.slice(p + 1, p + 1 + VALUES.length).every((l) => l.startsWith("portcullis_rule_packets_total{"))).toBe(true);
    expect(lines[p + 1 + VALUES.length]).toBe("# HELP portcullis_rule_bytes_total Bytes of the packets decided by each rule.");
    expect(lines.slice(b + 1, b + 1 + VALUES.length).every((l) => l.startsWith("portcullis_rule_bytes_total{"))).toBe(true);
    expect(lines[b + 1 + VALUES.length]).toMatch(/^# HELP portcullis_default_packets_total /);
    expect(text.endsWith('portcullis_reloads_total{result="refused"} 0\n')).toBe(true);
  });

  it("keeps label sets distinct and escaped, and follows the counters of the same rows from scrape to scrape", () => {
    const rules = [row(0, 1, 2, { name: 'a"b', ruleset: "x\\y", line: 7 }), row(1, 3, 4, { name: 'a"b', ruleset: "x\\y", line: 7 })];
    const s = snapshot(rules);
    const first = renderMetrics(s).toString("utf8");
    expect(first).toContain('portcullis_rule_packets_total{ruleset="x\\\\y",rule="a\\"b",file="/etc/big.pm",line="7"} 1\n');
    expect(first).toContain('portcullis_rule_packets_total{ruleset="x\\\\y",rule="a\\"b (2)",file="/etc/big.pm",line="7"} 3\n');
    rules[1].packets = 1234567; // the console updates a generation's rows in place
    expect(renderMetrics(s).toString("utf8")).toContain('rule="a\\"b (2)",file="/etc/big.pm",line="7"} 1234567\n');
    // A new generation's rows (a new array) get their own labels.
    const next = renderMetrics(snapshot([row(0, 5, 6, { name: "renamed" })])).toString("utf8");
    expect(next).toContain('portcullis_rule_packets_total{ruleset="big",rule="renamed",file="/etc/big.pm",line="1"} 5\n');
    expect(next).not.toContain("a\\\"b");
  });
});
