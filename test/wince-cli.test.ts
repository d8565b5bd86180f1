// The command line on Windows CE rule files: the dialect is detected from the
// content; check, show and explain work; show's output reads back to the same
// rules (the canonical form round-trips).
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { load, BUILTIN } from "./wince-helpers.ts";
import { exportReg } from "../host/dialects/wince/export.ts";
import { ruleMeaning } from "../host/dialects/wince/model.ts";

const SEED = "test/fixtures/wince/seed000.reg";
const OFFICE = "test/golden/wince/office.reg";
const OFFICE_APP = "test/golden/wince/office.appliance.json";

async function run(...args: string[]) {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("portcullis on .reg files", () => {
  it("check detects the wince dialect from the content", async () => {
    const r = await run("check", SEED, "--json");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ ok: true, dialect: "wince", errors: 0, warnings: 0 });
  });

  it("explain names the registry key and its line", async () => {
    const r = await run("explain", SEED, "--packet", "tcp 192.168.0.101:40000 > 198.51.100.7:80", "--json");
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.verdict).toBe("deny");
    expect(j.rule).toMatchObject({ file: SEED, line: 15, label: "BlockOutboundFromHost2" });
    expect(j.rule.text).toContain("[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\BlockOutboundFromHost2]");
    const text = await run("explain", SEED, "--packet", "tcp 192.168.0.101:40000 > 198.51.100.7:25");
    expect(text.out).toContain("verdict: permit");
    expect(text.out).toContain(`rule:    AllowTCPOutboundPort25 of wince outbound (${SEED}:1)`);
  });

  it("explain takes time= in the appliance's time zone", async () => {
    const at = async (t: string) => JSON.parse((await run("explain", OFFICE, "--appliance", OFFICE_APP, "--json", "--packet", `tcp 192.168.0.200:1025 > 203.0.113.9:443 in=ether0 out=ether1 time=${t}`)).out);
    expect(await at("2026-01-07T09:00")).toMatchObject({ verdict: "permit", rule: { label: "AllowGuestsWeekdays" } });
    expect(await at("2026-01-07T18:00")).toMatchObject({ verdict: "deny", rule: { label: "BlockGuests" } });
    expect(await at("2026-01-10T09:00")).toMatchObject({ verdict: "deny", rule: { label: "BlockGuests" } });
    // 07:30 UTC is 08:30 in Berlin in January.
    expect(await at("2026-01-07T07:30Z")).toMatchObject({ verdict: "permit" });
  });

  it("explain reports the LOG rule that logs a blocked inbound packet", async () => {
    const r = await run("explain", OFFICE, "--appliance", OFFICE_APP, "--packet", "udp 198.51.100.1:53 > 192.168.0.5:5353 in=ether1 out=ether0");
    expect(r.out).toContain("verdict: deny");
    expect(r.out).toContain("default block (logged by LogInboundBlocked)");
  });

  it("a config with errors is not loaded: show and explain refuse it", async () => {
    const bad = "test/golden/wince/errors.reg";
    expect((await run("show", bad)).code).toBe(1);
    const e = await run("explain", bad, "--packet", "tcp 192.168.0.101:1 > 198.51.100.7:80");
    expect(e.code).toBe(1);
    expect(e.err).toContain("error[CE010]");
  });

  it("show's output is regedit text that reads back to the same rules and shows the same", async () => {
    const dir = mkdtempSync(join(tmpdir(), "wince-"));
    try {
      for (const [src, app] of [[SEED, null], [OFFICE, OFFICE_APP], ["test/golden/wince/seed000-fwrule.json", null]] as const) {
        const extra = app ? ["--appliance", app] : [];
        const first = await run("show", src, ...extra);
        expect(first.code).toBe(0);
        const copy = join(dir, "copy.reg");
        writeFileSync(copy, first.out);
        const second = await run("show", copy, ...extra);
        expect(second.code).toBe(0);
        const strip = (t: string) => t.split("\n").filter((l) => !/^; \S+: /.test(l)).join("\n");
        expect(strip(second.out)).toBe(strip(first.out));
        const a = load(readFileSync(src, "utf8"), BUILTIN, src).rules.map(ruleMeaning);
        const b = load(first.out, BUILTIN, copy).rules.map(ruleMeaning);
        expect(b.sort((x, y) => x.name.localeCompare(y.name))).toEqual(a.sort((x, y) => x.name.localeCompare(y.name)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("exportReg(the vendor model) writes regedit's own form: header, CRLF, and the same rules back", () => {
    const res = load(readFileSync(SEED, "utf8"));
    const text = exportReg(res.vendor!);
    expect(text.startsWith("Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\")).toBe(true);
    expect(text.includes("\n") && !/[^\r]\n/.test(text)).toBe(true);
    expect(load(text).rules.map(ruleMeaning)).toEqual(res.rules.map(ruleMeaning).sort((x, y) => x.name.localeCompare(y.name)));
  });

  it("the file's own key order never changes show's rule order", async () => {
    const text = readFileSync(SEED, "utf8");
    const blocks = text.split(/\n(?=\[)/);
    const dir = mkdtempSync(join(tmpdir(), "wince-"));
    try {
      const rev = join(dir, "rev.reg");
      writeFileSync(rev, [...blocks].reverse().join("\n"));
      const strip = (t: string) => t.split("\n").filter((l) => !/^; \S+: /.test(l)).join("\n");
      expect(strip((await run("show", rev)).out)).toBe(strip((await run("show", SEED)).out));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
