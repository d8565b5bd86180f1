// `replay` works on every dialect, detected from the content: the seeds'
// configurations against small generated captures.
import { describe, it, expect } from "vitest";

import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { writeCaptureFile } from "../host/pcap/pcap.ts";
import { tcpPacket, udpPacket } from "../host/packet/build.ts";
import { tempDir } from "./support/tmp.ts";

const tmp = tempDir("portcullis-dialects-");
const T0 = BigInt(Date.UTC(2026, 10, 23, 12, 0, 0)) * 1000000n;

function capture(name: string, frames: Uint8Array[]): string {
  const path = join(tmp, name);
  writeCaptureFile(path, frames.map((data, i) => ({ tsNs: T0 + BigInt(i) * 1_000_000n, data })));
  return path;
}

async function replay(args: string[]) {
  const io = bufferIO();
  const code = await main(["replay", ...args, "--json"], io);
  expect(io.stderr).toBe("");
  expect(code).toBe(0);
  return JSON.parse(io.stdout);
}

describe("replay on each dialect", () => {
  it("InstaGate (seed 003, internal mail server)", async () => {
    const pcap = capture("instagate.pcap", [
      tcpPacket({ src: "192.168.0.25", dst: "10.0.0.77", sport: 40000, dport: 25, flags: "S" }), // mail server: accepted
      tcpPacket({ src: "192.168.0.50", dst: "10.0.0.77", sport: 40001, dport: 25, flags: "S" }), // another client: denied
      tcpPacket({ src: "192.168.0.50", dst: "10.0.0.77", sport: 40002, dport: 80, flags: "S" }), // not SMTP: default accept
      tcpPacket({ src: "10.0.0.77", dst: "192.168.0.50", sport: 40003, dport: 22, flags: "S" }), // new from WAN: dropped
    ]);
    const j = await replay(["test/golden/instagate/internal-mail-server.txt", "--pcap", pcap]);
    expect(j.verdicts).toEqual(["permit", "deny", "permit", "deny"]);
    expect(j.rules.filter((r: any) => r.packets > 0).map((r: any) => [r.line, r.packets])).toEqual([[4, 1], [12, 1]]);
  });

  it("Windows Firewall (seed 001's definition string)", async () => {
    const pcap = capture("winfw.pcap", [
      tcpPacket({ src: "10.0.0.1", dst: "192.168.0.10", sport: 40000, dport: 80, flags: "S" }),
      tcpPacket({ src: "10.3.4.77", dst: "192.168.0.10", sport: 40001, dport: 80, flags: "S" }),
      tcpPacket({ src: "10.0.0.3", dst: "192.168.0.10", sport: 40002, dport: 80, flags: "S" }),
      udpPacket({ src: "10.0.0.1", dst: "192.168.0.10", sport: 40003, dport: 80 }),
      tcpPacket({ src: "10.0.0.1", dst: "192.168.0.10", sport: 40004, dport: 81, flags: "S" }),
      tcpPacket({ src: "192.168.0.10", dst: "10.0.0.99", sport: 40005, dport: 443, flags: "S" }), // outbound: allowed
    ]);
    const j = await replay(["test/golden/winfw/seed.txt", "--pcap", pcap]);
    expect(j.verdicts).toEqual(["permit", "permit", "deny", "deny", "deny", "permit"]);
  });

  it("PortMaster with --in/--out forcing the direction", async () => {
    const pcap = capture("pm.pcap", [tcpPacket({ src: "198.51.100.9", dst: "192.168.1.10", sport: 1234, dport: 23, flags: "S" })]);
    const natural = await replay(["examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json", "--pcap", pcap, "--loghost", "127.0.0.1:9"]);
    expect(natural.verdicts).toEqual(["deny"]); // inbound filter, rule 60
    const forced = await replay(["examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json", "--pcap", pcap, "--in", "ether0", "--out", "ether1", "--loghost", "127.0.0.1:9"]);
    expect(forced.verdicts).toEqual(["deny"]); // outbound filter: not a LAN source, rule 50
    expect(forced.rules.find((r: any) => r.line === 25).packets).toBe(1);
  });
});
