// Seeded structure-aware fuzzing of the Windows Firewall front end (issue
// 12): plain lists and regedit exports (UTF-8 and UTF-16), mutated (cut,
// duplicate, swap, drop lines and tokens, extreme numbers, control
// characters, long tokens) and loaded as the CLI loads them. Every case ends
// in a result or in located diagnostics, never an exception; a loaded case
// prints its effective exceptions, and every rule it opens is a TCP or UDP
// port 1..65535.
// PORTCULLIS_FUZZ_CASES=N runs N cases (millions locally); PORTCULLIS_FUZZ_SEED=S replays;
// PORTCULLIS_FUZZ_LOG=FILE appends each case's description before running it
// (to find a case that ends the process itself).
import { describe, it, expect, afterAll } from "vitest";
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rng, mutate, fuzzCases, fuzzSeed } from "./support/mutate.ts";
import { runCase } from "./support/fuzz-check.ts";
import { allRules } from "../host/model/rule.ts";
import { decodeText } from "../host/config/load.ts";

const GOLDEN = join(import.meta.dirname, "golden", "winfw");
const text = (f: string) => decodeText(readFileSync(join(GOLDEN, f)));
const POL = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\StandardProfile\\GloballyOpenPorts";
const LOC = "HKLM\\SYSTEM\\ControlSet001\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\StandardProfile\\GloballyOpenPorts\\List";
const REG = [
  "REGEDIT4", "", `[${POL}]`, '"Enabled"=dword:00000001', '"AllowUserPrefMerge"=dword:00000001', "",
  `[${POL}\\List]`, '"80:TCP"="80:TCP:10.0.0.1,10.3.4.0/255.255.255.0:enabled:Web \\"front\\""', '"53:UDP"="53:UDP:localsubnet:enabled:DNS"', "",
  `[${LOC}]`, '"445:TCP"="445:TCP:*:enabled:File sharing"', '"3389:TCP"="3389:TCP:*:disabled:RDP"', '"x"=hex:01,02,\\', "  03,04", "; a comment",
  `[-${POL}\\List\\Old]`, '"22:TCP"=-', "",
].join("\r\n");

const SEEDS: { name: string; text: string; values?: Record<string, unknown>; utf16?: boolean }[] = [
  { name: "office.txt", text: text("office.txt") },
  { name: "seed.txt", text: text("seed.txt") },
  { name: "strict.txt", text: text("strict.txt"), values: { strict: true } },
  { name: "ipv6.txt", text: text("ipv6.txt"), values: { appliance: join(GOLDEN, "ipv6.appliance.json") } },
  { name: "domain-utf16.reg", text: text("domain-utf16.reg"), values: { profile: "domain" }, utf16: true },
  { name: "policy-and-local.reg", text: REG },
];

const SEED = fuzzSeed() + 1;
const CASES = fuzzCases(2500);
const dir = mkdtempSync(join(tmpdir(), "pc-fuzz-wf-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function utf16(t: string): Uint8Array {
  return new Uint8Array([0xff, 0xfe, ...Buffer.from(t, "utf16le")]);
}

describe("Windows Firewall fuzz", () => {
  it(`${CASES} mutated lists and exports end in a result or located diagnostics (seed ${SEED})`, () => {
    const r = rng(SEED);
    const path = join(dir, "fuzz.txt");
    const failures: string[] = [];
    let loaded = 0;
    for (let c = 0; c < CASES && failures.length < 5; c++) {
      const seed = SEEDS[Math.floor(r() * SEEDS.length)];
      const { text: t, steps } = mutate(seed.text, r);
      if (process.env.PORTCULLIS_FUZZ_LOG) appendFileSync(`${process.env.PORTCULLIS_FUZZ_LOG}.wf`, `case ${c} seed ${SEED} from ${seed.name}: ${steps.join(" + ")} (${t.length} characters)\n`);
      const values = { dialect: "winfw", ...seed.values };
      const res = runCase(path, seed.utf16 && r() < 0.7 ? utf16(t) : t, values);
      const problems = [...res.problems];
      if (res.ok) {
        loaded++;
        for (const rule of allRules(res.loaded!.config.policy!)) {
          if (rule.action !== "permit") problems.push(`a ${rule.action} rule`);
          const tcpUdp = rule.proto === 6 || rule.proto === 17;
          const icmpEcho = (rule.proto === 1 && rule.icmpType === 8) || (rule.proto === 58 && rule.icmpType === 128);
          if (!tcpUdp && !icmpEcho) problems.push(`a rule for protocol ${rule.proto}`);
          if (tcpUdp && !(rule.dport && rule.dport.op === "eq" && rule.dport.port >= 1 && rule.dport.port <= 65535)) problems.push(`a rule for port ${JSON.stringify(rule.dport)}`);
        }
      }
      // Time bounded in proportion to the size: 2 s (a loaded machine), plus 1 s per megabyte.
      if (res.ms > 2000 + t.length / 1000) problems.push(`took ${res.ms.toFixed(0)} ms for ${t.length} characters`);
      if (problems.length) failures.push(`case ${c} (seed ${SEED}, from ${seed.name}, ${steps.join(" + ")}): ${problems.join("; ")}\n${JSON.stringify(t.slice(0, 400))}`);
    }
    expect(failures).toEqual([]);
    expect(loaded).toBeGreaterThan(CASES / 20);
  }, Math.max(120_000, CASES * 20));
});
