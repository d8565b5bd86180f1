// Issue 12, item 7: the PortMaster and Windows Firewall parsers (plain list
// and regedit forms) are linear in their input. Each case loads and compiles
// a configuration and one 10x larger, in the same run, and requires the CPU
// time ratio to stay below 20 (a linear parse gives about 10, a quadratic one
// about 100). CPU time of this process, best of five alternating rounds, after a warm-up:
// other processes on the machine then matter little.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../host/config/load.ts";
import { loadAppliance } from "../host/model/appliance.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { hasErrors } from "../host/model/diagnostic.ts";
import { loadPortmaster } from "../host/dialects/portmaster/index.ts";
import { importAllDialects } from "../host/dialects/all.ts";

// loadAll/loadConfig are the synchronous loaders (the live appliance's): every front end imported first.
await importAllDialects();

const appliance = loadAppliance(undefined);

function cpuMs(f: () => void): number {
  const t = process.cpuUsage();
  f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / 1000;
}

const dir = mkdtempSync(join(tmpdir(), "pc-scaling-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;

/** A file holding `text`, as the CLI would be given it. */
function file(text: string): string {
  const p = join(dir, `c${fileNo++}.cfg`);
  writeFileSync(p, text);
  return p;
}

/** What `check --dialect D FILE` does: load (the shared path) and compile; the diagnostics' codes. */
function check(dialect: string, path: string): string[] {
  const l = loadConfig([path], { appliance, strict: false, options: {} }, dialect);
  if (l.policy && !hasErrors(l.diagnostics)) encodePolicy(l.policy);
  return l.diagnostics.map((d) => d.code);
}

function ratio(dialect: string, gen: (n: number) => string, n: number): { small: number; large: number; ratio: number; codes: string[] } {
  const smallText = file(gen(n));
  const largeText = file(gen(n * 10));
  check(dialect, smallText); // warm-up: compile the code paths
  // Five rounds, the two sizes alternating, so that a spell of contention
  // (the other test files of a CI run share the two cores and their caches)
  // falls on both; each size's best round counts. Three rounds of each, one
  // size after the other, once let contention double every large run in CI
  // (a token of 20M characters: 194.7 ms, alone 90 ms).
  let small = Infinity, large = Infinity;
  let codes: string[] = [];
  for (let round = 0; round < 5; round++) {
    small = Math.min(small, cpuMs(() => check(dialect, smallText)));
    large = Math.min(large, cpuMs(() => { codes = check(dialect, largeText); }));
  }
  return { small, large, ratio: large / Math.max(small, 1), codes };
}

const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const CASES: [string, string, (n: number) => string, number][] = [
  // Windows Firewall, plain lists
  ["winfw: one line of N scope addresses", "winfw", (n) => `80:TCP:${Array.from({ length: n }, (_, i) => ip(i)).join(",")}:enabled:web\n`, 1000],
  ["winfw: N entries for one port (scopes combined)", "winfw", (n) => Array.from({ length: n }, (_, i) => `80:TCP:${ip(i * 256)}/24:enabled:e${i}`).join("\n") + "\n", 1500],
  ["winfw: N entries for N ports", "winfw", (n) => Array.from({ length: n }, (_, i) => `${1 + (i % 65000)}:UDP:${ip(i)}:enabled:e${i}`).join("\n") + "\n", 2000],
  ["winfw: N invalid lines among valid ones", "winfw", (n) => Array.from({ length: n }, (_, i) => (i % 2 ? `${i}:TCPX:*:on:bad` : `${1 + i}:TCP:*:enabled:ok`)).join("\n") + "\n", 1000],
  // Windows Firewall, regedit forms
  ["winfw .reg: a list string of N scope addresses", "winfw", (n) => reg(`"80:TCP"="80:TCP:${Array.from({ length: n }, (_, i) => ip(i)).join(",")}:enabled:web"`), 4000],
  ["winfw .reg: a hex value of N continuation lines", "winfw", (n) => reg(`"x"=hex:00,\\`, Array.from({ length: n }, () => "  01,02,03,04,\\"), "  05"), 40000],
  ["winfw .reg: N keys and N [-KEY] deletions", "winfw", (n) => reg(Array.from({ length: n }, (_, i) => `[HKEY_LOCAL_MACHINE\\SOFTWARE\\A\\K${i}]\r\n"v"=dword:1`), Array.from({ length: n }, (_, i) => `[-HKEY_LOCAL_MACHINE\\SOFTWARE\\B${i}]`)), 3000],
  ["winfw .reg: a key line of N ']'", "winfw", (n) => reg(`[HKEY_LOCAL_MACHINE\\SOFTWARE\\X${"]x".repeat(n)}`), 500000],
  // PortMaster
  ["portmaster: N rules in one filter (the order lint)", "portmaster", (n) => pm(n, n), 400],
  ["portmaster: N rules in filters of 200", "portmaster", (n) => pm(n, 200), 600],
  ["portmaster: N user attachments", "portmaster", (n) => "add filter f\nset filter f 1 permit 0.0.0.0/0 0.0.0.0/0\nset lan ifilter f\n" + Array.from({ length: n }, (_, i) => `set user u${i} ifilter f`).join("\n") + "\n", 10000],
  ["portmaster: one rule line of N bad tokens", "portmaster", (n) => `add filter f\nset lan ifilter f\nset filter f 1 permit 0.0.0.0/0 0.0.0.0/0 ${"x ".repeat(n)}\n`, 200000],
  ["portmaster: a token of N characters", "portmaster", (n) => `add filter f\nset lan ifilter f\nset filter f 1 permit ${"9".repeat(n)}/8 0.0.0.0/0\n`, 2000000],
];

function reg(...lines: (string | string[])[]): string {
  return ["Windows Registry Editor Version 5.00", "",
    "[HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile\\GloballyOpenPorts\\List]",
    '"22:TCP"="22:TCP:*:enabled:ssh"', ...lines.flat()].join("\r\n") + "\r\n";
}

function pm(n: number, perFilter: number): string {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const f = Math.floor(i / perFilter);
    if (i % perFilter === 0) out.push(`add filter f${f}`, `set lan ifilter f${f}`.replace("lan", f === 0 ? "lan" : `user u${f}`));
    out.push(`set filter f${f} ${(i % perFilter) + 1} permit ${ip(i * 256)}/24 0.0.0.0/0 tcp dst eq ${1 + (i % 65000)}`);
  }
  return out.join("\n") + "\n";
}

describe("parsers are linear: a 10x larger input takes less than 20x the time", () => {
  for (const [name, dialect, gen, n] of CASES) {
    it(name, () => {
      const r = ratio(dialect, gen, n);
      expect(r.ratio, `${name}: ${n} took ${r.small.toFixed(1)} ms, ${n * 10} took ${r.large.toFixed(1)} ms`).toBeLessThan(20);
    });
  }
});

describe("dialect detection (no --dialect) is linear: it reads every file", () => {
  const DETECT: [string, (n: number) => string, number][] = [
    ["a file of blank lines", (n) => "\n".repeat(n) + "x\n", 100000],
    ["a file of blanks and line ends", (n) => " \r\n".repeat(n) + "x\n", 50000],
    ["Action and a long run of blanks", (n) => `Action${" ".repeat(n)}x\n`, 500000],
    ["Services and a long run of blanks", (n) => `Services${" \t".repeat(n)}x\n`, 250000],
  ];
  const detect = (path: string) => loadConfig([path], { appliance, strict: false, options: {} });
  for (const [name, gen, n] of DETECT) {
    it(name, () => {
      const small = file(gen(n)), large = file(gen(n * 10));
      detect(small);
      const ts = Math.min(...[0, 1, 2].map(() => cpuMs(() => detect(small))));
      const tl = Math.min(...[0, 1, 2].map(() => cpuMs(() => detect(large))));
      expect(tl / Math.max(ts, 1), `${name}: ${n} took ${ts.toFixed(1)} ms, ${n * 10} took ${tl.toFixed(1)} ms`).toBeLessThan(20);
    });
  }
});

describe("the PortMaster order lint's budget", () => {
  it("a filter too large for it is linted up to the budget, and PM027 names the first rule not checked", () => {
    const text = pm(3000, 3000) + "set filter f0 3001 permit 10.0.0.0/24 0.0.0.0/0 tcp dst eq 1\n";
    const r = loadPortmaster([{ path: "big.cfg", text }], { appliance, strict: false, options: {} });
    const stopped = r.diagnostics.filter((d) => d.code === "PM027");
    expect(stopped).toHaveLength(1);
    expect(stopped[0].severity).toBe("warning");
    expect(stopped[0].message).toMatch(/^filter "f0" is too large to check its rule order in full: rules from \d+ on \(\d+ of 3001\) were not checked/);
    // The last rule repeats rule 1, but lies past the budget: not reported.
    expect(r.diagnostics.filter((d) => d.code === "PM011")).toEqual([]);
  });

  it("a filter of a PortMaster's size is linted in full", () => {
    const text = pm(255, 255) + "set filter f0 300 permit 10.0.0.0/24 0.0.0.0/0 tcp dst eq 1\n";
    const r = loadPortmaster([{ path: "ok.cfg", text }], { appliance, strict: false, options: {} });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["PM011"]);
  });
});
