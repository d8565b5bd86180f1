// winfw through the command line: detection from the content, and `check`,
// `show`, `explain` on plain lists and (UTF-16) regedit exports.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { detectWinfw } from "../host/dialects/winfw/index.ts";

let dir = "";
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "winfw-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

async function run(...args: string[]) {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("detection", () => {
  it("recognises definition-string lists, with comments and even with typos", () => {
    expect(detectWinfw("# web\n80:TCP:*:enabled:Web\n")).toBeGreaterThan(0.5);
    expect(detectWinfw("80:TCP:*:enabled:Web\n81:TCP:*:enabeld:typo\n")).toBeGreaterThan(0.5);
    expect(detectWinfw("80:TCP:*:enabled:Web\n0:XYZ:bogus:on:x\n")).toBeGreaterThan(0.5);
  });
  it("recognises regedit text that names GloballyOpenPorts", () => {
    expect(detectWinfw('REGEDIT4\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\StandardProfile\\GloballyOpenPorts\\List]\n"80:TCP"="80:TCP:*:enabled:Web"\n')).toBeGreaterThan(0.9);
  });
  it("does not claim other dialects' text", () => {
    expect(detectWinfw('REGEDIT4\n[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\BlockHost2]\n"Flags"=dword:00000009\n')).toBe(0);
    expect(detectWinfw("add filter office\nset filter office 1 permit 0.0.0.0/0 0.0.0.0/0 tcp dst eq 80\n")).toBe(0);
    expect(detectWinfw("Action: Accept\nInterface: LAN\nServices: SMTP\n")).toBe(0);
    expect(detectWinfw("")).toBe(0);
  });
});

describe("commands", () => {
  it("check and show detect a plain list and report its conflicts", async () => {
    const p = file("list.txt", "80:TCP:*:enabled:a\n80:TCP:*:disabled:b\n");
    const c = await run("check", p);
    expect(c.code).toBe(0);
    expect(c.out).toContain(`${p}:2:1: warning[WF010]: 80/TCP: disabled at line 2 overrides enabled at line 1; the port is not opened`);
    expect(c.out).toMatch(/0 errors, 1 warnings \(winfw, 0 rules in 2 rulesets\)/);
    expect((await run("check", p, "--strict")).code).toBe(1);
    const s = await run("show", p);
    expect(s.code).toBe(0);
    expect(s.out).toContain("80:TCP:*:disabled:b\n");
  });

  it("check --json names the dialect and the codes", async () => {
    const p = file("bad.txt", "80:TCP:*:enabled:ok\n80:TCPX:*:enabled:bad\n");
    // An invalid entry opens nothing: a warning, an error with --strict.
    const c = await run("check", p, "--json");
    expect(c.code).toBe(0);
    const j = JSON.parse(c.out);
    expect(j).toMatchObject({ ok: true, dialect: "winfw", errors: 0, warnings: 1, rules: 2 });
    expect(j.diagnostics[0]).toMatchObject({ line: 2, column: 4, code: "WF004", severity: "warning" });
    const s = await run("check", p, "--json", "--strict");
    expect(s.code).toBe(1);
    expect(JSON.parse(s.out)).toMatchObject({ ok: false, errors: 1, warnings: 0 });
    expect(JSON.parse(s.out).diagnostics[0]).toMatchObject({ line: 2, column: 4, code: "WF004", severity: "error" });
  });

  it("explain names the entry that opened the port, and the default that closed another", async () => {
    const p = file("seed.txt", "80:TCP:10.0.0.1,10.0.0.2,10.3.4.0/24:enabled:Web service\n");
    const ok = await run("explain", p, "--packet", "tcp 10.3.4.77:40000 > 192.168.0.10:80 in=wan out=lan", "--json");
    expect(ok.code).toBe(0);
    const j = JSON.parse(ok.out);
    expect(j.verdict).toBe("permit");
    expect(j.rule).toMatchObject({ file: p, line: 1, text: "80:TCP:10.0.0.1,10.0.0.2,10.3.4.0/24:enabled:Web service", label: '80/TCP "Web service" from 10.3.4.0/24 to hosts behind lan' });
    const no = JSON.parse((await run("explain", p, "--packet", "tcp 10.3.5.1:40000 > 192.168.0.10:80 in=wan out=lan", "--json")).out);
    expect(no).toMatchObject({ verdict: "deny", rule: null });
    expect(no.reason).toContain("default of winfw standard profile: inbound port exceptions");
  });

  it("reads a UTF-16LE regedit export, with --profile", async () => {
    const text = "Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\\GloballyOpenPorts]\r\n\"Enabled\"=dword:00000001\r\n\r\n[HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall\\DomainProfile\\GloballyOpenPorts\\List]\r\n\"443:TCP\"=\"443:TCP:*:enabled:TLS\"\r\n";
    const p = file("gpo.reg", new Uint8Array([0xff, 0xfe, ...Buffer.from(text, "utf16le")]));
    const pkt = "tcp 198.51.100.1:40000 > 192.168.0.10:443 in=wan out=lan";
    expect(JSON.parse((await run("explain", p, "--profile", "domain", "--packet", pkt, "--json")).out).verdict).toBe("permit");
    const std = await run("explain", p, "--packet", pkt, "--json");
    expect(JSON.parse(std.out).verdict).toBe("deny");
    expect(std.err).toContain("warning[WF026]");
    expect((await run("check", p, "--profile", "home")).out).toContain('error[WF020]: unknown profile "home"');
  });

  it("--dialect winfw forces the dialect", async () => {
    const p = file("odd.cfg", "just text\n");
    const c = await run("check", p, "--dialect", "winfw");
    expect(c.code).toBe(1);
    // Text that is not winfw at all is refused as such (issue 12), not read as a list of bad entries.
    expect(c.out).toContain(`${p}:1:1: error[CFG006]`);
  });
});
