// Issue 12, items 8 and 9, for the Windows CE and InstaGate JSON forms (and
// the texts that share their numbers): hostile field names, deep nesting,
// huge strings, duplicate keys, numbers that do not fit. Each must end in a
// located `FILE:LINE:COL: error[CODE]` and exit 1, never a stack trace, and
// never be accepted with a wrong meaning. Also runs this branch's part of the
// hostile corpus (test/corpus/hostile/config-*) through the real CLI, in process.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { load as loadCe } from "./wince-helpers.ts";
import { loadInstagate } from "../host/dialects/instagate/index.ts";
import { BUILTIN_APPLIANCE_JSON, parseAppliance } from "../host/model/appliance.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-hostile-json-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const temp = (text: string, ext: string) => {
  const p = join(dir, `t${n++}.${ext}`);
  writeFileSync(p, text);
  return p;
};

async function check(file: string, dialect: string) {
  const io = bufferIO();
  // A thrown exception fails the test: that is the point.
  const code = await main(["check", file, "--dialect", dialect], io);
  return { code, out: io.stdout + io.stderr };
}
const located = (file: string) => new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: error\\[[A-Z]+\\d{3}\\]: `, "m");

const appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");
const ig = (text: string, path = "t.json") => loadInstagate([{ path, text }], { appliance, strict: false, options: {} });
const errorsOf = (ds: { severity: string; code: string; line: number; column: number; message: string }[]) => ds.filter((d) => d.severity === "error");

const RULE = (extra: string) =>
  `[{"name": "R", "dwFlags": "FWF_ALLOW | FWF_OUTBOUND", "dwMask": "FWM_PRIVATE_HOST", "PrivateHost": {"Family": "AF_INET", "AddressIPv4": "192.168.0.101"}${extra}}]`;

describe("item 8: Windows CE JSON, hostile input gets located diagnostics", () => {
  it.each(["constructor", "toString", "hasOwnProperty", "__proto__", "valueOf", "__defineGetter__"])("a field named %s is an error at its place, not a TypeError", (field) => {
    const r = loadCe(RULE(`, "${field}": 1`), undefined, "r.json");
    expect(errorsOf(r.diagnostics)).toEqual([expect.objectContaining({ code: "CE040", line: 1, column: 155, message: expect.stringContaining(`no field "${field}"`) })]);
    expect(r.policy).toBeNull();
  });
  it("a field named __proto__ holding an object changes nothing else", () => {
    const r = loadCe(RULE(`, "__proto__": {"dwFlags": 9}`), undefined, "r.json");
    expect(errorsOf(r.diagnostics).map((d) => d.code)).toEqual(["CE040"]);
  });
  it("nesting 4,000 deep (arrays and objects): CE040 with its place", async () => {
    // Each text is FW_RULE JSON in shape (a dwFlags field), so the JSON reader is reached; a text with
    // nothing of the dialect at all (a bare "[[[[...") is refused before reading, as not wince (CFG006).
    for (const text of ['[{"dwFlags": 0, "x": ' + "[".repeat(4000) + "]".repeat(4000) + "}]", '{"dwFlags": 0, "rules": ' + '{"a": '.repeat(4000) + "1" + "}".repeat(4001)]) {
      const f = temp(text, "json");
      const c = await check(f, "wince");
      expect(c.code).toBe(1);
      expect(c.out).toMatch(located(f));
      expect(c.out).toMatch(/error\[CE040\]: not valid JSON: nesting deeper than 256 levels/);
    }
  });
  it("one 10 MB string value: CE040, and the message does not carry the string", async () => {
    const f = temp(RULE(`, "wszDescription": "${"x".repeat(10_000_000)}"`), "json");
    const c = await check(f, "wince");
    expect(c.code).toBe(1);
    expect(c.out).toMatch(new RegExp(`${f}:1:\\d+: error\\[CE040\\]: not valid JSON: a string longer than 65536 characters`));
    expect(c.out.length).toBeLessThan(2000);
  });
});

describe("item 8: through bin/portcullis.js, a real process", () => {
  it("a field named constructor and nesting 4,000 deep: exit 1, located errors, no stack trace", () => {
    for (const [text, code] of [[RULE(', "constructor": 1'), "CE040"], ['[{"dwFlags": 0, "x": ' + "[".repeat(4000) + "]".repeat(4000) + "}]", "CE040"], ["[".repeat(4000) + "]".repeat(4000), "CFG006"]] as const) {
      const f = temp(text, "json");
      const r = spawnSync(process.execPath, ["bin/portcullis.js", "check", f, "--dialect", "wince"], { encoding: "utf8", timeout: 30_000 });
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`^${f}:1:\\d+: error\\[${code}\\]: `, "m"));
      expect(r.stdout + r.stderr).not.toMatch(/TypeError|RangeError|\n\s+at /);
    }
  });
});

describe("item 8: InstaGate JSON, hostile input gets located diagnostics", () => {
  it("nesting 4,000 deep: IG060 with its place", async () => {
    const f = temp('{"instagate": ' + "[".repeat(4000) + "]".repeat(4000) + "}", "json");
    const c = await check(f, "instagate");
    expect(c.code).toBe(1);
    expect(c.out).toMatch(new RegExp(`${f}:1:270: error\\[IG060\\]: JSON syntax: nesting deeper than 256 levels`));
  });
  it("one 10 MB string value: IG060", async () => {
    const f = temp('{"instagate": {"objects": [{"name": "' + "n".repeat(10_000_000) + '", "address": "10.0.0.1"}]}}', "json");
    const c = await check(f, "instagate");
    expect(c.code).toBe(1);
    expect(c.out).toMatch(/:1:37: error\[IG060\]: JSON syntax: a string longer than 65536 characters/);
    expect(c.out.length).toBeLessThan(2000);
  });
  it("keys and names after Object.prototype members are plain names", () => {
    const r = ig('{"instagate": {"__proto__": 1, "rules": [{"number": 1, "action": "Accept", "interface": "LAN", "source": {"match": "Include", "object": "constructor"}, "destination": {"match": "Include", "object": "ANY"}, "services": ["toString"]}]}}');
    expect(errorsOf(r.diagnostics).map((d) => [d.code, d.message.slice(0, 30)])).toEqual([
      ["IG061", '"instagate": unknown key "__pr'],
      ["IG030", 'unknown object "constructor" ('],
      ["IG031", 'unknown service "toString": de'],
    ]);
  });
});

describe("item 9: silently wrong acceptance", () => {
  it("Windows CE JSON: a duplicate key is an error (an ALLOW no longer silently becomes a BLOCK)", () => {
    const r = loadCe('[{"name": "Web", "dwFlags": "FWF_ALLOW | FWF_INBOUND", "dwMask": 1,\n  "PrivateHost": {"Family": 2, "AddressIPv4": "192.168.0.101"},\n  "dwFlags": "FWF_BLOCK | FWF_INBOUND"}]', undefined, "r.json");
    expect(errorsOf(r.diagnostics)).toEqual([expect.objectContaining({ code: "CE041", line: 3, column: 3, message: 'key "dwFlags" given twice in one object (first at line 1, column 18)' })]);
    expect(r.policy).toBeNull();
  });
  it("Windows CE JSON: two fields for one registry value (dwFlags and Flags, or flags) are an error", () => {
    for (const second of ['"Flags": 9', '"flags": 9', '"DWFLAGS": 9']) {
      const r = loadCe(`[{"name": "Web", "dwFlags": 10, ${second}, "dwMask": 1, "PrivateHost": {"Family": 2, "AddressIPv4": "192.168.0.101"}}]`, undefined, "r.json");
      expect(errorsOf(r.diagnostics).map((d) => d.code), second).toEqual([second === '"DWFLAGS": 9' ? "CE040" : "CE041"]);
    }
  });
  it("a duplicate key in a nested object (PrivateHost) is an error too", () => {
    const r = loadCe('[{"name": "W", "dwFlags": 10, "dwMask": 1, "PrivateHost": {"Family": 2, "AddressIPv4": "192.168.0.101", "AddressIPv4": "192.168.0.102"}}]', undefined, "r.json");
    expect(errorsOf(r.diagnostics).map((d) => d.code)).toEqual(["CE041"]);
  });
  it.each([
    ['"0x100000019"', /"0x100000019" does not fit a DWORD/],
    ['"4294967321"', /"4294967321" does not fit a DWORD/],
    ['"0x00000000000000019"', /does not fit a DWORD/],
    ["4294967321", /"4294967321" is not a whole number in 0\.\.0xffffffff/],
    ["99999999999999999999999", /"99999999999999999999999" is not a whole number/],
    ["25.5", /"25.5" is not a whole number/],
    ['"65536"', /"PortMin" is 65536, outside 0\.\.65535/],
  ])("Windows CE JSON: PortMin %s is refused, never truncated", (value, message) => {
    const r = loadCe(`[{"name": "P", "dwFlags": 10, "dwMask": 37, "Protocol": 6, "PrivateHost": {"Family": 2, "AddressIPv4": "192.168.0.101"}, "PortMin": ${value}, "PortMax": 25}]`, undefined, "r.json");
    const e = errorsOf(r.diagnostics);
    expect(e).toHaveLength(1);
    expect(e[0].message).toMatch(message);
    expect(r.policy).toBeNull();
  });
  it("Windows CE JSON: the largest DWORD still reads, as a number and as hex", () => {
    for (const v of ["4294967295", '"0xffffffff"', '"0xFFFFFFFF"']) {
      const r = loadCe(`[{"name": "P", "dwFlags": 10, "dwMask": 0, "PrivateHost": {"Family": 2}, "wszDescription": "x", "Protocol": ${v}}]`, undefined, "r.json");
      expect(r.diagnostics.map((d) => d.code), v).toEqual(["CE021"]); // Protocol without FWM_PROTOCOL: ignored with a warning; the number itself reads
    }
  });
  it.each(["toString", "__proto__", "constructor", "hasOwnProperty", "FWF_ALLOW | valueOf"])("Windows CE JSON: %j is not a flag constant", (c) => {
    const r = loadCe(`[{"name": "T", "dwFlags": "${c}", "dwMask": 0, "PrivateHost": {"Family": "AF_INET"}}]`, undefined, "r.json");
    expect(errorsOf(r.diagnostics)).toEqual([expect.objectContaining({ code: "CE004", message: expect.stringMatching(/unknown constant/) })]);
  });
  it("InstaGate: rule number 99999999999999999999999 is refused in both forms (IG014), not printed as 1e+23", async () => {
    const text = ig('{"instagate": {"rules": [{"number": 99999999999999999999999, "action": "Accept", "interface": "LAN", "source": {"match": "Include", "object": "ANY"}, "destination": {"match": "Include", "object": "ANY"}, "services": "Any"}]}}');
    expect(errorsOf(text.diagnostics)).toEqual([expect.objectContaining({ code: "IG014", line: 1, column: 37 })]);
    const f = temp("99999999999999999999999) Accept Rule\nAction Accept\nInterface LAN\nSource Match - Include\nSource Address or Network - Object - ANY\nDestination Match - Include\nDestination Address or Network - Object - ANY\nServices - Any\n", "txt");
    const c = await check(f, "instagate");
    expect(c.code).toBe(1);
    expect(c.out).toContain(`${f}:1:1: error[IG014]: rule number 99999999999999999999... is not in 1..1000000`);
    expect(c.out).not.toContain("e+23");
    const io = bufferIO();
    expect(await main(["show", f, "--dialect", "instagate"], io)).toBe(1);
    expect(io.stdout + io.stderr).not.toContain("e+23");
  });
  it("InstaGate JSON: a duplicate key is an error (IG061) with both places", () => {
    const r = ig('{"instagate": {"rules": [{"number": 1, "action": "Accept", "action": "Deny", "interface": "LAN", "source": {"match": "Include", "object": "ANY"}, "destination": {"match": "Include", "object": "ANY"}, "services": "Any"}]}}');
    expect(errorsOf(r.diagnostics)).toEqual([expect.objectContaining({ code: "IG061", line: 1, column: 60, message: 'key "action" given twice in one object (first at line 1, column 40)' })]);
    expect(r.policy).toBeNull();
  });
  it("InstaGate JSON: protocol and ICMP type numbers are range-checked as written", () => {
    for (const [svc, code] of [['{"name": "X", "protocol": 256}', "IG061"], ['{"name": "X", "protocol": 6.0000000000000001}', null], ['{"name": "X", "protocol": "ICMP", "type": 1e3}', "IG061"]] as const) {
      const r = ig(`{"instagate": {"services": [${svc}]}}`);
      expect(errorsOf(r.diagnostics).map((d) => d.code)[0] ?? null, svc).toBe(code);
    }
  });
});

describe("item 8: the .reg form of Windows CE, the same hostile sizes", () => {
  it("a 10 MB string value, a 10 MB value name and 3 million hex bytes: located errors, bounded time and messages", async () => {
    const f = temp(`REGEDIT4\n[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\R]\n"Flags"=dword:a\n"Mask"=dword:0\n"PrivateHost"=hex:02,00\n"Description"="${"x".repeat(10_000_000)}"\n"${"N".repeat(10_000_000)}"=dword:1\n"Mask"=hex:${"1,".repeat(3_000_000)}00\n`, "reg");
    const t0 = performance.now();
    const c = await check(f, "wince");
    expect(performance.now() - t0).toBeLessThan(15_000); // 25 s and 1.1 GB on 364a4a7
    expect(c.code).toBe(1);
    expect(c.out).toContain(`${f}:6:15: error[CE001]: rule "R", value "Description": a string value is at most 65536 characters here`);
    expect(c.out).toContain(`${f}:7:1: error[CE001]: a value name is at most 16383 characters`);
    expect(c.out).toContain(`${f}:8:8: error[CE004]: rule "R", value "Mask": hex data is at most 65536 bytes here, not 3000001`);
    expect(c.out.length).toBeLessThan(2000);
  });
});

describe("the hostile corpus of this branch's parsers, through the CLI in process", () => {
  const root = join(import.meta.dirname, "corpus", "hostile");
  for (const kind of ["config-wince", "config-instagate"]) {
    const files = readdirSync(join(root, kind)).sort();
    it(`${kind}: ${files.length} files, each exit 1 with a located error`, async () => {
      expect(files.length).toBeGreaterThan(10);
      for (const name of files) {
        const f = join(root, kind, name);
        const c = await check(f, kind.slice("config-".length));
        expect(c.code, name).toBe(1);
        expect(c.out, name).toMatch(located(f));
      }
    });
  }
});
