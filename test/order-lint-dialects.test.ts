// `check`'s exact order lint in each dialect's words: a rule covered by
// several earlier rules together (PM010 naming them all), a rule whose
// removal changes no verdict (PM028; not for a rule that logs), and an
// InstaGate block with no effect (IG052).
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { key, HOST2 } from "./wince-helpers.ts";

async function check(name: string, text: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "portcullis-order-"));
  try {
    const f = join(dir, name);
    writeFileSync(f, text);
    const io = bufferIO();
    await main(["check", f], io);
    return io.stdout.split("\n").filter((l) => l.includes("warning[")).map((l) => l.slice(l.indexOf("warning[")));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("exact order lint in check", () => {
  it("PortMaster: a rule covered by two earlier rules together is PM010, naming both", async () => {
    const w = await check("u.cfg", [
      "add filter f", "set lan ifilter f",
      "set filter f 10 deny 10.0.0.0/9 0.0.0.0/0 tcp",
      "set filter f 20 deny 10.128.0.0/9 0.0.0.0/0 tcp",
      "set filter f 30 permit 10.0.0.0/8 0.0.0.0/0 tcp dst eq 80",
      "set filter f 40 permit 0.0.0.0/0 0.0.0.0/0",
    ].join("\n") + "\n");
    expect(w).toContain('warning[PM010]: rule 30 of filter "f" is shadowed by rules 10 and 20 (lines 3, 4), which together match every packet it matches; it never decides a packet (its permit never takes effect)');
  });
  it("PortMaster: a rule the rules after it would judge the same is PM028; a rule that logs is not", async () => {
    const w = await check("r.cfg", [
      "add filter f", "set lan ifilter f",
      "set filter f 10 permit 10.0.0.0/8 0.0.0.0/0 tcp dst eq 80",
      "set filter f 20 deny 0.0.0.0/0 0.0.0.0/0 udp log",
      "set filter f 30 permit 0.0.0.0/0 0.0.0.0/0 tcp",
      "set filter f 40 deny log",
    ].join("\n") + "\n");
    expect(w).toEqual(['warning[PM028]: rule 10 of filter "f" is redundant: every packet it decides would get the same verdict (permit) from the rules after it or the filter\'s default; removing it changes no verdict']);
  });
  it("InstaGate: a block every packet of which the default judges the same is IG052", async () => {
    const w = await check("t.txt", [
      "1) Accept Rule", "Action Accept", "Interface LAN", "Source Match - Include",
      "Source Address or Network - Network - 192.168.0.25 - Subnet 255.255.255.255",
      "Destination Match - Include", "Destination Address or Network - Object - ANY", "Services - Selected - SMTP",
    ].join("\n") + "\n");
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^warning\[IG052\]: rule 1 \(Accept "Accept Rule"\) has no effect on lan/);
  });
  it("Windows CE: a BLOCK two ALLOWs cover together (morning and afternoon) is CE030, naming both", async () => {
    const text = "Windows Registry Editor Version 5.00\r\n\r\n" +
      key("B", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 }) +
      key("Morning", { Flags: "dword:12", Mask: "dword:81", PrivateHost: HOST2, HourStart: "dword:0", HourEnd: "dword:c" }) +
      key("Afternoon", { Flags: "dword:12", Mask: "dword:81", PrivateHost: HOST2, HourStart: "dword:c", HourEnd: "dword:0" });
    const w = await check("c.reg", text);
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^warning\[CE030\]: rule "B": this BLOCK never blocks anything: ALLOW rule "Afternoon" \(\S+c\.reg:15\) and ALLOW rule "Morning" \(\S+c\.reg:8\) together allow every packet it matches, and an ALLOW always wins$/);
  });
});
