// Replies pass by state in the stateful dialects (Windows CE seed 000,
// InstaGate, Windows Firewall), through `replay` with the capture's clock,
// and idle flows expire.
import { describe, it, expect } from "vitest";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { writeCaptureFile } from "../host/pcap/pcap.ts";
import { tcpPacket, udpPacket } from "../host/packet/build.ts";
import { tempDir } from "./support/tmp.ts";

const tmp = tempDir("portcullis-state-");
const T0 = BigInt(Date.UTC(2026, 10, 23, 12, 0, 0)) * 1000000n;
const SEC = 1_000_000_000n;

async function replay(cfg: string, frames: [bigint, Uint8Array][]) {
  const pcap = join(tmp, `c${Math.random().toString(36).slice(2)}.pcap`);
  writeCaptureFile(pcap, frames.map(([dt, data]) => ({ tsNs: T0 + dt, data })));
  const io = bufferIO();
  const code = await main(["replay", cfg, "--pcap", pcap, "--json"], io);
  expect(io.stderr).toBe("");
  expect(code).toBe(0);
  const j = JSON.parse(io.stdout);
  return j.verdicts.map((v: string, i: number) => `${v} ${j.reasons[i]}`);
}

const HOST2 = "192.168.0.101", OTHER = "192.168.0.102", MAIL = "198.51.100.7";

describe("Windows CE seed 000 with state", () => {
  const cfg = "test/fixtures/wince/seed000.reg";
  it("replies to Host2's mail connections pass; unsolicited inbound does not", async () => {
    expect(await replay(cfg, [
      [0n, tcpPacket({ src: HOST2, dst: MAIL, sport: 40000, dport: 25, flags: "S", seq: 1 })],
      [1n, tcpPacket({ src: MAIL, dst: HOST2, sport: 25, dport: 40000, flags: "SA", seq: 9, ack: 2 })],
      [2n, tcpPacket({ src: HOST2, dst: MAIL, sport: 40000, dport: 25, flags: "A", seq: 2, ack: 10 })],
      [3n, tcpPacket({ src: HOST2, dst: MAIL, sport: 40001, dport: 110, flags: "S", seq: 1 })],
      [4n, tcpPacket({ src: MAIL, dst: HOST2, sport: 110, dport: 40001, flags: "SA", seq: 9, ack: 2 })],
      [5n, tcpPacket({ src: MAIL, dst: HOST2, sport: 80, dport: 40002, flags: "SA", seq: 9, ack: 2 })],
      [6n, tcpPacket({ src: MAIL, dst: HOST2, sport: 40003, dport: 22, flags: "S", seq: 9 })],
    ])).toEqual([
      "permit matched rule", "permit tracked flow", "permit tracked flow",
      "permit matched rule", "permit tracked flow",
      "deny default", "deny default",
    ]);
  });

  it("another host's DNS (allowed by the outbound default) gets its reply, until the UDP flow idles out (60 s)", async () => {
    expect(await replay(cfg, [
      [0n, udpPacket({ src: OTHER, dst: MAIL, sport: 5353, dport: 53 })],
      [1n * SEC, udpPacket({ src: MAIL, dst: OTHER, sport: 53, dport: 5353 })],
      [1n * SEC + 59n * SEC, udpPacket({ src: MAIL, dst: OTHER, sport: 53, dport: 5353 })],
      [1n * SEC + 59n * SEC + 61n * SEC, udpPacket({ src: MAIL, dst: OTHER, sport: 53, dport: 5353 })],
      [200n * SEC, udpPacket({ src: HOST2, dst: MAIL, sport: 5353, dport: 53 })],
    ])).toEqual(["permit default", "permit tracked flow", "permit tracked flow", "deny default", "deny matched rule"]);
  });
});

describe("InstaGate and Windows Firewall with state", () => {
  it("InstaGate: the reply to an accepted LAN connection passes, new connections from WAN do not", async () => {
    expect(await replay("test/golden/instagate/internal-mail-server.txt", [
      [0n, tcpPacket({ src: "192.168.0.25", dst: "10.0.0.77", sport: 40000, dport: 25, flags: "S", seq: 1 })],
      [1n, tcpPacket({ src: "10.0.0.77", dst: "192.168.0.25", sport: 25, dport: 40000, flags: "SA", seq: 9, ack: 2 })],
      [2n, tcpPacket({ src: "10.0.0.77", dst: "192.168.0.25", sport: 25, dport: 40001, flags: "S", seq: 9 })],
    ])).toEqual(["permit matched rule", "permit tracked flow", "deny default"]);
  });

  it("Windows Firewall: replies to outbound connections pass; an admitted inbound connection's replies go out", async () => {
    expect(await replay("test/golden/winfw/seed.txt", [
      [0n, tcpPacket({ src: "192.168.0.10", dst: "10.0.0.99", sport: 40000, dport: 443, flags: "S", seq: 1 })],
      [1n, tcpPacket({ src: "10.0.0.99", dst: "192.168.0.10", sport: 443, dport: 40000, flags: "SA", seq: 9, ack: 2 })],
      [2n, tcpPacket({ src: "10.0.0.1", dst: "192.168.0.10", sport: 41000, dport: 80, flags: "S", seq: 1 })],
      [3n, tcpPacket({ src: "192.168.0.10", dst: "10.0.0.1", sport: 80, dport: 41000, flags: "SA", seq: 9, ack: 2 })],
      [4n, tcpPacket({ src: "10.0.0.99", dst: "192.168.0.10", sport: 443, dport: 40009, flags: "SA", seq: 9, ack: 2 })],
    ])).toEqual(["permit default", "permit tracked flow", "permit matched rule", "permit tracked flow", "deny default"]);
  });
});
