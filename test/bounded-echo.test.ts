// Issue 12, items 2 (its root in the config) and 11 (bounded echoes):
// - a 55 KB Windows Firewall line of 5,000 scope addresses yields ~10,000
//   rules; their provenance text is a bounded excerpt of the line (with a
//   marker), not 10,000 copies of it in every listing;
// - no diagnostic echoes more than a bounded excerpt of a bad token, in any
//   dialect (a 10 MB PortMaster token was echoed whole).
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { loadConfig } from "../host/config/load.ts";
import { loadAppliance } from "../host/model/appliance.ts";
import { allRules } from "../host/model/rule.ts";
import { excerpt, MESSAGE_EXCERPT, RULE_TEXT_EXCERPT } from "../host/model/excerpt.ts";
import { importAllDialects } from "../host/dialects/all.ts";

// loadAll/loadConfig are the synchronous loaders (the live appliance's): every front end imported first.
await importAllDialects();

const dir = mkdtempSync(join(tmpdir(), "pc-bounded-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string): string {
  const p = join(dir, `f${n++}.cfg`);
  writeFileSync(p, text);
  return p;
}
async function run(...argv: string[]) {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}
const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
const longestLine = (t: string) => Math.max(0, ...t.split("\n").map((l) => l.length));

describe("one long Windows Firewall line behind thousands of rules", () => {
  const line = `80:TCP:${Array.from({ length: 5000 }, (_, i) => ip(i)).join(",")}:enabled:web`;
  const path = file(line + "\n");

  it("the line is ~55 KB and yields ~10,000 rules, each with a bounded excerpt of it", () => {
    expect(line.length).toBeGreaterThan(55000);
    const l = loadConfig([path], { appliance: loadAppliance(undefined), strict: false, options: {} });
    const rules = allRules(l.policy!);
    expect(rules.length).toBeGreaterThanOrEqual(10000);
    for (const r of rules) {
      expect(r.origin.text.length).toBeLessThan(RULE_TEXT_EXCERPT + 40);
      expect(r.origin.line).toBe(1); // the location still points at the whole line
    }
    expect(rules[0].origin.text).toBe(excerpt(line, RULE_TEXT_EXCERPT));
    expect(rules[0].origin.text).toMatch(/… \[\d+ more characters\]$/);
    // Every rule's listing together stays small: 10,000 copies of the line would be 550 MB.
    expect(JSON.stringify(rules).length).toBeLessThan(10_000_000);
  });

  it("explain and replay --json print the excerpt, not the line", async () => {
    const e = await run("explain", path, "--packet", "tcp 10.0.0.5:4000 > 192.168.0.10:80 in=wan out=lan", "--json");
    expect(e.code).toBe(0);
    const j = JSON.parse(e.out);
    expect(j.verdict).toBe("permit");
    expect(j.rule.text).toBe(excerpt(line, RULE_TEXT_EXCERPT));
    const r = await run("replay", path, "--pcap", join(import.meta.dirname, "..", "examples", "portmaster", "office.pcap"), "--json");
    expect(r.code).toBe(0);
    expect(r.out.length).toBeLessThan(5_000_000);
  });
});

describe("diagnostics quote a bounded excerpt of a bad token", () => {
  const big = (c: string, len: number) => c.repeat(len);
  const CASES: [string, string, () => string][] = [
    ["portmaster: a 10 MB token", "portmaster", () => `add filter f\nset lan ifilter f\nset filter f 1 permit ${big("9", 10_000_000)}/8 0.0.0.0/0\n`],
    ["portmaster: a 1 MB keyword", "portmaster", () => `add filter f\nset lan ifilter f\nset filter f 1 permit 0.0.0.0/0 0.0.0.0/0 ${big("x", 1_000_000)}\n`],
    ["portmaster: a 1 MB filter name", "portmaster", () => `add filter ${big("n", 1_000_000)}\n`],
    ["portmaster: a 1 MB interface name", "portmaster", () => `add filter f\nset ${big("e", 1_000_000)} ifilter f\n`],
    ["portmaster: a 1 MB rule number", "portmaster", () => `add filter f\nset filter f ${big("1", 1_000_000)} permit\n`],
    ["portmaster: a 1 MB user name", "portmaster", () => `add filter f\nset user ${big("u", 1_000_000)} ifilter f\n`],
    ["winfw: a 1 MB port", "winfw", () => `${big("8", 1_000_000)}:TCP:*:enabled:x\n80:TCP:*:enabled:ok\n`],
    ["winfw: a 1 MB transport", "winfw", () => `80:${big("T", 1_000_000)}:*:enabled:x\n80:TCP:*:enabled:ok\n`],
    ["winfw: a 1 MB scope item", "winfw", () => `80:TCP:${big("z", 1_000_000)}:enabled:x\n80:TCP:*:enabled:ok\n`],
    ["winfw: a 1 MB status", "winfw", () => `80:TCP:*:${big("s", 1_000_000)}:x\n80:TCP:*:enabled:ok\n`],
    ["winfw: a 1 MB mask", "winfw", () => `80:TCP:10.0.0.0/${big("2", 1_000_000)}:enabled:x\n80:TCP:*:enabled:ok\n`],
    ["winfw: 5,000 scopes combined (WF011)", "winfw", () => Array.from({ length: 5000 }, (_, i) => `80:TCP:${ip(i * 256)}/24:enabled:e${i}`).join("\n") + "\n"],
    ["winfw .reg: 1 MB after a value", "winfw", () => `REGEDIT4\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile\\GloballyOpenPorts\\List]\n"80:TCP"="80:TCP:*:enabled:x" ${big("j", 1_000_000)}\n`],
    ["winfw .reg: 1 MB after a key", "winfw", () => `REGEDIT4\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile\\GloballyOpenPorts\\List]${big("k", 1_000_000)}\n`],
    ["winfw .reg: a 1 MB hex byte", "winfw", () => `REGEDIT4\n[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile\\GloballyOpenPorts\\List]\n"x"=hex:${big("q", 1_000_000)}\n`],
    // The other dialects get the shared bound on every message (host/config/load.ts).
    ["wince: a 1 MB line", "wince", () => `Windows Registry Editor Version 5.00\n\n[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\r1]\n${big("w", 1_000_000)}\n`],
    ["instagate: a 1 MB line", "instagate", () => `1) Rule\nAction Accept\n${big("i", 1_000_000)}\n`],
    ["instagate JSON: a 50 KB action", "instagate", () => `{"instagate": {"rules": [{"number": 1, "title": "R", "action": "${big("a", 50_000)}", "interface": "LAN"}]}}\n`],
  ];
  for (const [name, dialect, gen] of CASES) {
    it(name, async () => {
      const p = file(gen());
      const r = await run("check", p, "--dialect", dialect);
      expect(r.code, r.out.slice(0, 500)).toBeLessThanOrEqual(1);
      expect(r.out).toMatch(/:\d+:\d+: (error|warning)\[/);
      expect(longestLine(r.out + r.err) - p.length).toBeLessThan(MESSAGE_EXCERPT + 100);
      // The cut is visible, with the one marker every reader uses (host/model/excerpt.ts),
      // also for the .reg and JSON readers' quoted excerpts.
      if (dialect === "portmaster" || dialect === "winfw" || name.includes("JSON")) expect(r.out).toMatch(/… \[\d+ more characters\]/);
    });
  }
});
