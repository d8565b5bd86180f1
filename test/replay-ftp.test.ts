// `replay` with state and the FTP helper: a table that permits only the FTP
// control connection lets the announced data connections through (and only
// them), and drops them with the helper off.
import { describe, it, expect } from "vitest";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { passive, active, passiveMisuse } from "./captures/make-ftp.ts";

const CFG = "examples/instagate/ftp-only.txt";

async function replay(pcap: string, extra: string[] = []) {
  const io = bufferIO();
  const code = await main(["replay", CFG, "--pcap", pcap, "--json", ...extra], io);
  expect(io.stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(io.stdout);
}

function verdictsByLabel(labels: string[], verdicts: string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  labels.forEach((l, i) => (out[l] ??= []).push(verdicts[i]));
  return out;
}

describe("replay with the FTP helper", () => {
  it("passive FTP: control by rule and state, both data connections by their pinholes", async () => {
    const j = await replay("test/captures/ftp-passive.pcap");
    const by = verdictsByLabel(passive().map((p) => p.label), j.verdicts);
    expect(new Set(by.ctl)).toEqual(new Set(["permit"]));
    expect(new Set(by.data1)).toEqual(new Set(["permit"]));
    expect(new Set(by.data2)).toEqual(new Set(["permit"]));
    expect(j.reasons).toContain("expected connection");
    expect(j.by_state).toBeGreaterThan(0);
  });

  it("active FTP: the server's connections back to the announced ports pass", async () => {
    const j = await replay("test/captures/ftp-active.pcap");
    const by = verdictsByLabel(active().map((p) => p.label), j.verdicts);
    expect(new Set([...by.ctl, ...by.data1, ...by.data2])).toEqual(new Set(["permit"]));
  });

  it("without the helper, the data connection is dropped", async () => {
    const j = await replay("test/captures/ftp-passive.pcap", ["--no-ftp-helper"]);
    const by = verdictsByLabel(passive().map((p) => p.label), j.verdicts);
    expect(new Set(by.ctl)).toEqual(new Set(["permit"]));
    expect(by.data1[0]).toBe("deny");
    expect(by.data2[0]).toBe("deny");
  });

  it("unannounced port or address, a second use, a third party and a late connection are dropped", async () => {
    const j = await replay("test/captures/ftp-passive-misuse.pcap");
    const by = verdictsByLabel(passiveMisuse().map((p) => p.label), j.verdicts);
    for (const l of ["wrong-port", "wrong-addr", "second", "third-party", "late"]) expect(by[l], l).toEqual(["deny"]);
    expect(new Set(by.data)).toEqual(new Set(["permit"]));
  });

  // Issue 12 item 18: the pinhole's packet was counted against the deny rule
  // (passive: the catch-all Deny Rule) or the default (active: WAN's) it overrode.
  for (const [name, overridden] of [["ftp-passive", "the Deny Rule"], ["ftp-active", "the WAN default"]] as const) {
    it(`${name}: a packet let in by a pinhole counts once, against the tracked state, not against ${overridden}`, async () => {
      const j = await replay(`test/captures/${name}.pcap`);
      const byRules = j.reasons.filter((r: string) => r === "matched rule" || r === "default").length;
      const counted = j.rules.reduce((n: number, r: { packets: number }) => n + r.packets, 0) +
        j.defaults.reduce((n: number, d: { packets: number }) => n + d.packets, 0);
      expect(j.reasons.filter((r: string) => r === "expected connection")).toHaveLength(2);
      expect(counted).toBe(byRules);
      expect(j.rules[1].packets).toBe(0);
      expect(j.defaults.map((d: { packets: number }) => d.packets)).toEqual([0, 0]);
      // without the helper the same packets are denied, and counted, by the rules
      const off = await replay(`test/captures/${name}.pcap`, ["--no-ftp-helper"]);
      expect(off.rules[1].packets + off.defaults[1].packets).toBeGreaterThanOrEqual(2);
    });
  }
});
