// Issue 12, item 10: `--appliance FILE` is checked like a config file:
// located `FILE:LINE:COL: error[APnnn]` diagnostics and exit 1 (not the usage
// exit 2), a UTF-8 BOM accepted, and what used to pass unnoticed (duplicate
// keys, a loghost with a newline, one address on two interfaces, and the same
// class: names, roles, prefixes, time zones) refused. Also runs the corpus
// test/corpus/hostile/appliance through the CLI in process, and once through
// bin/portcullis.js.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { spawnSync } from "node:child_process";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { readApplianceText, parseAppliance, parseHostPort, ApplianceError } from "../host/model/appliance.ts";

const dir = mkdtempSync(join(tmpdir(), "portcullis-appliance-test-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const temp = (data: string | Uint8Array) => {
  const p = join(dir, `a${n++}.json`);
  writeFileSync(p, data);
  return p;
};

const CONFIG = "test/golden/wince/seed000.reg";
async function check(appliance: string, config = CONFIG) {
  const io = bufferIO();
  const code = await main(["check", config, "--appliance", appliance], io);
  return { code, out: io.stdout + io.stderr };
}
const GOOD = '{"interfaces": [\n  {"name": "lan", "role": "private", "addresses": ["192.168.0.1/24"]},\n  {"name": "wan", "role": "public", "addresses": ["10.0.0.1/24"]}],\n "loghost": "192.168.0.5:514", "timezone": "Europe/Berlin"}\n';
const errors = (text: string) => readApplianceText(text, "a.json").diagnostics.filter((d) => d.severity === "error");

describe("item 10: the appliance description is checked like a config file", () => {
  it("a good description loads (with a UTF-8 BOM too, and UTF-16 with a BOM)", async () => {
    for (const data of [GOOD, "\ufeff" + GOOD, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(GOOD, "utf16le")])]) {
      const c = await check(temp(data));
      expect(c.out).toMatch(/0 errors/);
      expect(c.code).toBe(0);
    }
  });
  it("a bad one: located diagnostics and exit 1, not the usage exit 2 (CLI in process)", async () => {
    const f = temp('{"interfaces": [\n  {"name": "lan", "role": "private", "addresses": ["192.168.0.1/24"]},\n  {"name": "wan", "role": "public", "addresses": ["192.168.0.1/24"]}],\n "loghost": "evil\\nhost:514",\n "loghost": "192.168.0.5:514"}\n');
    const c = await check(f);
    expect(c.code).toBe(1);
    expect(c.out).toContain(`${f}:3:51: error[AP014]: interface wan: address 192.168.0.1 is already on interface lan (line 2, column 52); an address belongs to one interface`);
    expect(c.out).toContain(`${f}:4:13: error[AP020]: "loghost" "evil\\nhost:514" is not HOST:PORT`);
    expect(c.out).toContain(`${f}:5:2: error[AP003]: key "loghost" given twice in one object (first at line 4, column 2)`);
    expect(c.out).not.toMatch(/\n\s+at /);
  });
  it("a missing file: AP001 at 1:1, exit 1", async () => {
    const c = await check(join(dir, "missing.json"));
    expect(c.code).toBe(1);
    expect(c.out).toContain(`${join(dir, "missing.json")}:1:1: error[AP001]: cannot read the appliance description: ENOENT`);
  });
  it("bin/portcullis.js: exit 1 and a located error for a bad description", () => {
    const f = temp('{"interfaces": [{"name": "lan", "role": "privat"}]}');
    const r = spawnSync(process.execPath, ["bin/portcullis.js", "check", CONFIG, "--appliance", f], { encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(`${f}:1:41: error[AP012]: interface lan: "role" must be "private" or "public", not "privat"`);
  });

  it.each([
    ["duplicate key", '{"interfaces": [], "interfaces": []}', "AP003"],
    ["loghost with a newline", '{"interfaces": [{"name": "lan", "role": "private"}], "loghost": "evil\\nhost:514"}', "AP020"],
    ["loghost with an escape sequence", '{"interfaces": [{"name": "lan", "role": "private"}], "loghost": "\\u001b[2Jhost"}', "AP020"],
    ["loghost port 0", '{"interfaces": [{"name": "lan", "role": "private"}], "loghost": "10.0.0.5:0"}', "AP020"],
    ["loghost port 65536", '{"interfaces": [{"name": "lan", "role": "private"}], "loghost": "10.0.0.5:65536"}', "AP020"],
    ["loghost a number", '{"interfaces": [{"name": "lan", "role": "private"}], "loghost": 514}', "AP020"],
    ["two interfaces, one address", '{"interfaces": [{"name": "a", "role": "private", "addresses": ["192.168.0.1/24"]}, {"name": "b", "role": "public", "addresses": ["192.168.0.1/16"]}]}', "AP014"],
    ["one address twice on an interface", '{"interfaces": [{"name": "a", "role": "private", "addresses": ["192.168.0.1/24", "192.168.0.1/24"]}]}', "AP014"],
    ["names differing only in case", '{"interfaces": [{"name": "lan", "role": "private"}, {"name": "LAN", "role": "public"}]}', "AP011"],
    ["a name with a newline", '{"interfaces": [{"name": "lan\\n", "role": "private"}]}', "AP010"],
    ["a name of 16 characters", '{"interfaces": [{"name": "abcdefghijklmnop", "role": "private"}]}', "AP010"],
    ["a missing name", '{"interfaces": [{"role": "private"}]}', "AP010"],
    ["role toString", '{"interfaces": [{"name": "lan", "role": "toString"}]}', "AP012"],
    ["a missing role", '{"interfaces": [{"name": "lan"}]}', "AP012"],
    ["zone guest", '{"interfaces": [{"name": "lan", "role": "private", "zone": "guest"}]}', "AP015"],
    ["prefix /33", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["192.168.0.1/33"]}]}', "AP013"],
    ["prefix /+24", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["192.168.0.1/+24"]}]}', "AP013"],
    ["no prefix", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["192.168.0.1"]}]}', "AP013"],
    ["the subnet's own address", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["192.168.0.0/24"]}]}', "AP013"],
    ["the broadcast address", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["192.168.0.255/24"]}]}', "AP013"],
    ["a multicast address", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["224.0.0.5/24"]}]}', "AP013"],
    ["0.0.0.0", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["0.0.0.0/0"]}]}', "AP013"],
    ["IPv6 ::", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["::/64"]}]}', "AP013"],
    ["IPv6 multicast", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["ff02::1/64"]}]}', "AP013"],
    ["IPv6 with a zone", '{"interfaces": [{"name": "lan", "role": "private", "addresses": ["fe80::1%eth0/64"]}]}', "AP013"],
    ["addresses a string", '{"interfaces": [{"name": "lan", "role": "private", "addresses": "192.168.0.1/24"}]}', "AP004"],
    ["an unknown time zone", '{"interfaces": [{"name": "lan", "role": "private"}], "timezone": "Mars/Olympus_Mons"}', "AP021"],
    ["a time zone with a newline", '{"interfaces": [{"name": "lan", "role": "private"}], "timezone": "UTC\\n"}', "AP021"],
    ["no interfaces", '{"interfaces": []}', "AP022"],
    ["255 interfaces", JSON.stringify({ interfaces: Array.from({ length: 255 }, (_, i) => ({ name: `e${i}`, role: "private" })) }), "AP022"],
    ["interfaces missing", "{}", "AP004"],
    ["a top-level array", "[]", "AP004"],
    ["nesting 4,000 deep", '{"interfaces": ' + "[".repeat(4000) + "]".repeat(4000) + "}", "AP002"],
    ["not JSON", "interfaces: lan", "AP002"],
    ["an empty file", "", "AP002"],
  ])("%s: %s", (_name, text, code) => {
    const e = errors(text);
    expect(e.length).toBeGreaterThan(0);
    expect(e[0].code).toBe(code);
    expect(e[0].line).toBeGreaterThanOrEqual(1);
  });

  it("an unknown key is a warning (AP005: cli.md lets later versions add keys), so a typo shows; __proto__ and constructor are plain keys", () => {
    for (const text of [
      '{"interfaces": [{"name": "lan", "role": "private"}], "timezon": "Europe/Berlin"}',
      '{"__proto__": {"interfaces": []}, "interfaces": [{"name": "lan", "role": "private"}]}',
      '{"interfaces": [{"name": "lan", "role": "private", "constructor": 1}]}',
    ]) {
      const r = readApplianceText(text, "a.json");
      expect(r.diagnostics, text).toEqual([expect.objectContaining({ severity: "warning", code: "AP005", line: 1 })]);
      expect(r.appliance!.interfaces.map((i) => i.name)).toEqual(["lan"]);
      expect(r.appliance!.timezone).toBe("UTC");
    }
  });
  it("with --strict, an unknown key fails the check (exit 1)", async () => {
    const f = temp('{"interfaces": [{"name": "lan", "role": "private", "addresses": ["192.168.0.1/24"]}, {"name": "wan", "role": "public", "addresses": ["10.0.0.1/24"]}], "timezon": "Europe/Berlin"}');
    const io = bufferIO();
    expect(await main(["check", CONFIG, "--appliance", f, "--strict"], io)).toBe(1);
    expect(io.stdout).toContain(`${f}:1:152: warning[AP005]: the appliance description: unknown key "timezon", ignored`);
  });
  it("a /31 and a /32 have no subnet or broadcast address to refuse; loopback stays usable for tests", () => {
    expect(errors('{"interfaces": [{"name": "a", "role": "private", "addresses": ["10.0.0.0/31", "10.9.9.9/32", "127.0.0.254/8", "2001:db8::/127"]}]}')).toEqual([]);
  });
  it("overlapping subnets on two interfaces are a warning (AP016), not an error", () => {
    const r = readApplianceText('{"interfaces": [{"name": "a", "role": "private", "addresses": ["192.168.0.1/16"]}, {"name": "b", "role": "public", "addresses": ["192.168.1.1/24"]}]}', "a.json");
    expect(r.appliance).not.toBeNull();
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: "warning", code: "AP016" })]);
  });
  it("a loghost is HOST[:PORT] with HOST an address or a DNS name", () => {
    expect(parseHostPort("logs.example.net:1514", 514)).toEqual({ host: "logs.example.net", port: 1514 });
    expect(parseHostPort("[2001:db8::5]:514", 514)).toEqual({ host: "2001:db8::5", port: 514 });
    expect(parseHostPort("2001:db8::5", 514)).toEqual({ host: "2001:db8::5", port: 514 });
    for (const bad of ["evil\nhost:514", "a b:514", "-x:514", "x_y:514", "[10.0.0.1]:514", "host:", "host:0514514", "\u202ehost"]) expect(parseHostPort(bad, 514), bad).toBeNull();
  });
  it("parseAppliance (a description built in memory) throws ApplianceError carrying the diagnostics", () => {
    try {
      parseAppliance({ interfaces: [{ name: "x", role: "private", zone: "guest" }] }, "mem");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ApplianceError);
      expect((e as ApplianceError).diagnostics.map((d) => d.code)).toEqual(["AP015"]);
    }
  });
});

describe("the hostile corpus: appliance descriptions, through the CLI in process", () => {
  const root = join(import.meta.dirname, "corpus", "hostile", "appliance");
  const files = readdirSync(root).sort();
  it(`${files.length} files, each exit 1 with a located error in the description`, async () => {
    expect(files.length).toBeGreaterThan(20);
    for (const name of files) {
      const f = join(root, name);
      const c = await check(f, "examples/portmaster/office.cfg");
      expect(c.code, name).toBe(1);
      expect(c.out, name).toMatch(new RegExp(`^${f.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:\\d+:\\d+: error\\[AP\\d{3}\\]: `, "m"));
    }
  });
});
