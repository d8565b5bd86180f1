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
});
