// `show -v`: the engine's view of each ruleset and, with --pcap, the counters
// of a replay; and replay's progress display on a terminal.
import { describe, it, expect } from "vitest";

import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { writeCaptureFile, PcapWriter } from "../host/pcap/pcap.ts";
import { writeFileSync } from "node:fs";
import { tcpPacket } from "../host/packet/build.ts";
import { tempDir } from "./support/tmp.ts";

const CFG = "examples/portmaster/office.cfg";
const APPLIANCE = "examples/portmaster/office.appliance.json";

describe("show -v", () => {
  it("describes each ruleset and, given a capture, prints its counters", async () => {
    const io = bufferIO();
    const code = await main(["show", CFG, "--appliance", APPLIANCE, "-v", "--pcap", "examples/portmaster/office.pcap"], io);
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/ruleset 0 inbound: 6 rules; default inbound=deny outbound=deny other=deny; input of ether1; /);
    expect(io.stdout).toMatch(/ruleset 1 outbound: 8 rules; .*output of ether1; /);
    expect(io.stdout).toMatch(/# counters \(replay of examples\/portmaster\/office\.pcap, 21 packets\)/);
    expect(io.stdout).toMatch(/office\.cfg:24\s+filter outbound rule 40\s+packets=6 bytes=348/);
  });
});

describe("show -v with a capture it cannot read", () => {
  it("a missing file or an unsupported link type: exit 1 with the reason, as replay does", async () => {
    const dir = tempDir("portcullis-showv-");
    const missing = bufferIO();
    expect(await main(["show", CFG, "--appliance", APPLIANCE, "-v", "--pcap", join(dir, "nope.pcap")], missing)).toBe(1);
    expect(missing.stderr).toMatch(/portcullis show: cannot read .*nope\.pcap: ENOENT/);
    const wifi = join(dir, "wifi.pcap");
    writeFileSync(wifi, new PcapWriter(105).add(1n, new Uint8Array(40)).toBuffer());
    for (const cmd of ["show", "replay"]) {
      const io = bufferIO();
      const args = cmd === "show" ? ["show", CFG, "--appliance", APPLIANCE, "-v", "--pcap", wifi] : ["replay", CFG, "--appliance", APPLIANCE, "--pcap", wifi];
      expect(await main(args, io), cmd).toBe(1);
      expect(io.stderr, cmd).toMatch(/link type 105 is not supported \(Ethernet or raw IP\)/);
    }
  });
});

describe("replay progress", () => {
  it("shows progress on a terminal for a long capture, and not otherwise", async () => {
    const t0 = 1_700_000_000_000_000_000n;
    const frame = tcpPacket({ src: "192.168.1.10", dst: "198.51.100.80", sport: 40000, dport: 80, flags: "A" });
    const pcap = join(tempDir("portcullis-progress-"), "long.pcap");
    writeCaptureFile(pcap, Array.from({ length: 25_000 }, (_, i) => ({ tsNs: t0 + BigInt(i) * 1000n, data: frame })));
    const ttyIo = Object.assign(bufferIO(), { isTTY: true });
    expect(await main(["replay", CFG, "--appliance", APPLIANCE, "--pcap", pcap, "-q", "--loghost", "127.0.0.1:9"], ttyIo)).toBe(0);
    expect(ttyIo.stderr).toMatch(/\rreplay: 25000 packets \(100%\)\n$/);
    expect(ttyIo.stdout).toMatch(/summary: 25000 packets, 25000 permitted/);
    const plain = bufferIO();
    expect(await main(["replay", CFG, "--appliance", APPLIANCE, "--pcap", pcap, "-q", "--loghost", "127.0.0.1:9"], plain)).toBe(0);
    expect(plain.stderr).toBe("");
  });
});
