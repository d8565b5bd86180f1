// Issue 12, item 1: a configuration file that holds no statement (empty,
// blanks, comments, a bare regedit header, a BOM) is an error naming the file
// for every command and every dialect, forced or detected, unless
// --allow-empty; text that is not the forced dialect at all is an error too.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { holdsNoStatement } from "../host/config/empty.ts";
import { MAX_CONFIG_BYTES } from "../host/config/load.ts";

const dir = mkdtempSync(join(tmpdir(), "pc-empty-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(content: string | Uint8Array): string {
  const p = join(dir, `c${n++}.cfg`);
  writeFileSync(p, content);
  return p;
}
async function run(...argv: string[]) {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr, all: io.stdout + io.stderr };
}

const OFFICE_PCAP = join(import.meta.dirname, "..", "examples", "portmaster", "office.pcap");
const EMPTY_TEXTS: [string, string | Uint8Array][] = [
  ["an empty file", ""],
  ["blanks", "  \n\t\r\n\n"],
  ["CR-only line ends", "\r\r \r"],
  ["comments", "# nothing here\n; nor here\n// nor here\n"],
  ["a UTF-8 BOM", "\ufeff\n"],
  ["a UTF-16LE BOM and blanks", new Uint8Array([0xff, 0xfe, 0x20, 0x00, 0x0a, 0x00])],
  ["a bare regedit header", "Windows Registry Editor Version 5.00\r\n\r\n"],
];
const DIALECTS = ["portmaster", "wince", "winfw", "instagate"];
const COMMANDS: [string, string[]][] = [
  ["check", []],
  ["show", []],
  ["disasm", []],
  ["explain", ["--packet", "tcp 10.0.0.5:4000 > 192.168.0.10:22"]],
  ["replay", ["--pcap", OFFICE_PCAP]],
];

describe("an empty configuration", () => {
  for (const [what, content] of EMPTY_TEXTS) {
    it(`${what}: CFG005 naming the file, exit 1, for every command and dialect (forced or not)`, async () => {
      const p = file(content);
      for (const [cmd, extra] of COMMANDS) {
        for (const forced of [[], ...DIALECTS.map((d) => ["--dialect", d])]) {
          const r = await run(cmd, p, ...extra, ...forced);
          expect(r.code, `${cmd} ${forced.join(" ")}`).toBe(1);
          expect(r.all, `${cmd} ${forced.join(" ")}`).toContain(`${p}:1:1: error[CFG005]`);
          expect(r.all).not.toMatch(/verdict|permit|^\s*at /m);
        }
      }
    });
  }

  it("one empty file among good ones is still refused, naming that file", async () => {
    const good = join(import.meta.dirname, "..", "examples", "portmaster", "office.cfg");
    const p = file("\n");
    const r = await run("check", good, p, "--appliance", join(import.meta.dirname, "..", "examples", "portmaster", "office.appliance.json"));
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${p}:1:1: error[CFG005]`);
    expect(r.out).not.toContain(`${good}:1:1: error[CFG005]`);
  });

  it("--allow-empty accepts it, for every config-taking command", async () => {
    const p = file("  \n");
    for (const [cmd, extra] of COMMANDS) {
      for (const d of DIALECTS) {
        const r = await run(cmd, p, ...extra, "--dialect", d, "--allow-empty");
        expect(r.code, `${cmd} --dialect ${d}: ${r.all}`).toBe(0);
      }
    }
  });

  it("holdsNoStatement: a statement anywhere, even after many blank lines, counts", () => {
    expect(holdsNoStatement("\n".repeat(100000) + "x")).toBe(false);
    expect(holdsNoStatement("#a\r;b\rset x")).toBe(false);
    expect(holdsNoStatement("#a\r;b\r  ")).toBe(true);
    expect(holdsNoStatement("REGEDIT4\n[HKEY_LOCAL_MACHINE\\X]\n")).toBe(false);
  });
});

describe("text that is not the forced dialect at all", () => {
  it("a file of [[[...]]] under a forced wince is an error (CFG006), not a warning", async () => {
    const p = file("[[[...]]]\n");
    const r = await run("check", p, "--dialect", "wince");
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${p}:1:1: error[CFG006]: this file is not wince at all`);
  });

  it("is refused under each forced dialect", async () => {
    const p = file("hello world\nthis is a letter, not a firewall\n");
    for (const d of DIALECTS) {
      const r = await run("check", p, "--dialect", d);
      expect(r.code, d).toBe(1);
      expect(r.out, d).toContain(`error[CFG006]: this file is not ${d} at all`);
    }
  });

  it("a PortMaster file of only `delete filter` lines is still PortMaster", async () => {
    const p = file("delete filter old\n");
    const r = await run("check", p, "--dialect", "portmaster");
    expect(r.out).not.toContain("CFG006");
    expect(r.out).toContain("warning[PM024]");
  });
});

describe("a file above the size limit", () => {
  it("is refused unread (CFG007), where a 226 MB file once ended the process with a fatal V8 error", async () => {
    const p = file("");
    truncateSync(p, MAX_CONFIG_BYTES + 1); // sparse: no disk, no time
    for (const d of ["portmaster", "winfw"]) {
      const r = await run("check", p, "--dialect", d);
      expect(r.code).toBe(1);
      expect(r.out).toContain(`${p}:1:1: error[CFG007]: the file is larger than 32 MiB`);
    }
  });
});
