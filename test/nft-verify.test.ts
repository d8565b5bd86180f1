// `verify` end to end, as root in scratch namespaces: the demo capture and
// the lab's configurations, exported, verify with 0 differences; one accept
// flipped to drop makes verify report exactly the packets it changes; time
// windows agree when the packets carry the kernel's clock; without root,
// exit 2.
import { describe, it, expect, vi, afterEach } from "vitest";
import { mkdtempSync, rmSync, writeFileSync, readFileSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { writeCaptureFile } from "../host/pcap/pcap.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { noKernel, kernelWhyNot } from "./support/kernel.ts";
import { labTraffic } from "./support/lab-traffic.ts";

const OFFICE = ["examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json"];

async function cli(...argv: string[]) {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

function tmp(): { dir: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "pc-verify-"));
  return { dir, done: () => rmSync(dir, { recursive: true, force: true }) };
}

afterEach(() => vi.restoreAllMocks());

describe("verify without root", () => {
  it("is a clear error with exit 2", async () => {
    vi.spyOn(process, "getuid").mockReturnValue(1000);
    const r = await cli("verify", "--nft", "x.nft", ...OFFICE, "--pcap", "examples/portmaster/office.pcap");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/needs root/);
  });
  it("wants --nft and --pcap (exit 2)", async () => {
    expect((await cli("verify", ...OFFICE, "--pcap", "examples/portmaster/office.pcap")).code).toBe(2);
    expect((await cli("verify", "--nft", "x.nft", ...OFFICE)).code).toBe(2);
  });
});

describe.skipIf(noKernel)(`verify in the kernel${kernelWhyNot ? ` (skipped: ${kernelWhyNot})` : ""}`, () => {
  it("the demo capture, exported, verifies with 0 differences", async () => {
    const t = tmp();
    try {
      const nft = join(t.dir, "office.nft");
      const e = await cli("export", "--to", "nft", ...OFFICE, "--lossy", "-o", nft);
      expect(e.code).toBe(0);
      expect(e.err).toMatch(/office\.cfg:23:1: warning\[EXP001\]/);
      const v = await cli("verify", "--nft", nft, ...OFFICE, "--pcap", "examples/portmaster/office.pcap", "--json");
      const j = JSON.parse(v.out);
      expect({ code: v.code, compared: j.compared, differ: j.differ }).toEqual({ code: 0, compared: 21, differ: 0 });
    } finally {
      t.done();
    }
  });

  it("mutation: one accept flipped to drop is reported on exactly the packets it changes", async () => {
    const t = tmp();
    try {
      const nft = join(t.dir, "office.nft");
      expect((await cli("export", "--to", "nft", ...OFFICE, "--lossy", "-o", nft)).code).toBe(0);
      const text = readFileSync(nft, "utf8");
      // office.cfg:24 `permit 192.168.1.0/24 0.0.0.0/0 ip`: its accept (a return to the base chain) becomes a drop.
      const line = text.split("\n").find((l) => l.includes("counter return") && l.includes("office.cfg:24"))!;
      expect(line).toBeDefined();
      writeFileSync(nft, text.replace(line, line.replace("counter return", "counter drop")));
      const v = await cli("verify", "--nft", nft, ...OFFICE, "--pcap", "examples/portmaster/office.pcap", "--json");
      expect(v.code).toBe(1);
      const j = JSON.parse(v.out);
      const replay = JSON.parse((await cli("replay", ...OFFICE, "--pcap", "examples/portmaster/office.pcap", "--json")).out);
      const byRule24 = replay.rules.find((r: { line: number }) => r.line === 24).packets;
      expect(j.differ).toBe(byRule24);
      expect(byRule24).toBeGreaterThan(0);
      for (const d of j.differences) expect({ kernel: d.kernel, portcullis: d.portcullis, line: d.rule.line, cls: d.class }).toEqual({ kernel: "deny", portcullis: "permit", line: 24, cls: null });
      // The text output lists them too, with the deciding rule.
      const plain = await cli("verify", "--nft", nft, ...OFFICE, "--pcap", "examples/portmaster/office.pcap");
      expect(plain.out).toMatch(/kernel=deny  portcullis=permit by filter outbound rule 40 \(examples\/portmaster\/office\.cfg:24\)/);
      expect(plain.out).toMatch(new RegExp(`${byRule24} differ`));
    } finally {
      t.done();
    }
  });

  it("labels a difference of a class the kernel has by nature (routing: a TTL that expires at the router)", async () => {
    const t = tmp();
    try {
      const nft = join(t.dir, "office.nft");
      expect((await cli("export", "--to", "nft", ...OFFICE, "--lossy", "-o", nft)).code).toBe(0);
      const pcap = join(t.dir, "ttl.pcap");
      writeCaptureFile(pcap, [64, 1].map((ttl, i) => ({
        tsNs: BigInt(i) * 1_000_000n,
        data: tcpPacket({ src: "192.168.1.10", dst: "198.51.100.80", sport: 40000 + i, dport: 80, flags: "S", ttl }),
      })));
      const v = await cli("verify", "--nft", nft, ...OFFICE, "--pcap", pcap, "--json");
      expect(v.code).toBe(1);
      const j = JSON.parse(v.out);
      expect(j.differences.map((d: { number: number; kernel: string; portcullis: string; class: string }) => [d.number, d.kernel, d.portcullis, d.class.split(":")[0]]))
        .toEqual([[2, "deny", "permit", "routing"]]);
      const plain = await cli("verify", "--nft", nft, ...OFFICE, "--pcap", pcap);
      expect(plain.out).toMatch(/\[routing: the hop limit expires at the router/);
      expect(plain.out).toMatch(/^  1 routing: /m);
    } finally {
      t.done();
    }
  });

  const labConfigs = readdirSync("lab/configs").map((f) => join("lab/configs", f));
  it.each(labConfigs)("lab configuration %s, exported, verifies with 0 differences", async (cfg) => {
    const t = tmp();
    try {
      const nft = join(t.dir, "lab.nft");
      const pcap = join(t.dir, "lab.pcap");
      writeCaptureFile(pcap, labTraffic());
      const e = await cli("export", "--to", "nft", cfg, "-o", nft);
      expect(e.err).toBe("");
      expect(e.code).toBe(0);
      const v = await cli("verify", "--nft", nft, cfg, "--pcap", pcap, "--json");
      const j = JSON.parse(v.out);
      expect(j.differences.slice(0, 5)).toEqual([]);
      expect({ code: v.code, differ: j.differ, compared: j.compared }).toEqual({ code: 0, differ: 0, compared: labTraffic().length });
    } finally {
      t.done();
    }
  });

  it("time windows agree when the packets carry the kernel's clock (UTC)", async () => {
    const t = tmp();
    try {
      const now = new Date();
      const h = now.getUTCHours();
      const bit = (m: number) => m.toString(16);
      // Windows CE rules (whole hours, [HourStart:00, HourEnd:00)): allow TCP 80 inbound from an hour before now
      // to two after (wrapping past midnight when it must), TCP 82 only later today, 83 on today's weekday only,
      // 84 on every other weekday.
      const rule = (name: string, port: number, from: number, to: number, dow = 0x7f) => [
        `[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\${name}]`,
        `"Mask"=dword:${bit(0x20 | 0x04 | 0x80 | 0x100)}`, `"Flags"=dword:${bit(0x02 | 0x08)}`,
        `"PrivateHost"=hex:02,00`, `"Protocol"=dword:6`, `"Port"=dword:${bit(port)}`,
        `"HourStart"=dword:${bit(from)}`, `"HourEnd"=dword:${bit(to)}`, `"DayOfWeek"=dword:${bit(dow)}`, "",
      ].join("\r\n");
      const reg = "REGEDIT4\r\n\r\n" + [
        rule("AllowNow", 80, (h + 23) % 24, (h + 2) % 24),
        rule("AllowLater", 82, (h + 3) % 24, (h + 5) % 24),
        rule("AllowToday", 83, 0, 0, 1 << now.getUTCDay()),
        rule("AllowOtherDays", 84, 0, 0, 0x7f & ~(1 << now.getUTCDay())),
      ].join("\r\n");
      const cfg = join(t.dir, "time.reg");
      writeFileSync(cfg, reg);
      const check = await cli("check", cfg);
      expect(check.err.split("\n").filter((l) => / error\[/.test(l))).toEqual([]);
      const nft = join(t.dir, "time.nft");
      const e = await cli("export", "--to", "nft", cfg, "-o", nft);
      expect(e.code).toBe(0);
      expect(readFileSync(nft, "utf8")).toMatch(/meta hour/);
      expect(readFileSync(nft, "utf8")).toMatch(/meta day/);
      const ts = BigInt(Date.now()) * 1_000_000n;
      const pcap = join(t.dir, "time.pcap");
      writeCaptureFile(pcap, [80, 82, 83, 84].map((dport, i) => ({
        tsNs: ts + BigInt(i) * 1_000_000n,
        data: tcpPacket({ src: "198.51.100.7", dst: "192.168.0.10", sport: 40000 + i, dport, flags: "S" }),
      })));
      const v = await cli("verify", "--nft", nft, cfg, "--pcap", pcap, "--json");
      const j = JSON.parse(v.out);
      expect(j.differences).toEqual([]);
      expect(v.code).toBe(0);
      const replay = JSON.parse((await cli("replay", cfg, "--pcap", pcap, "--json")).out);
      expect(replay.verdicts).toEqual(["permit", "deny", "permit", "deny"]);
    } finally {
      t.done();
    }
  });
});

describe.skipIf(noKernel)(`verify interrupted${kernelWhyNot ? ` (skipped: ${kernelWhyNot})` : ""}`, () => {
  it("removes its namespaces on SIGINT", async () => {
    const { spawn } = await import("node:child_process");
    const { execFileSync } = await import("node:child_process");
    const t = tmp();
    const tag = `pci${process.pid % 10000}x`;
    const mine = () => execFileSync("ip", ["netns", "list"]).toString().split("\n").filter((l) => l.startsWith(tag));
    try {
      const nft = join(t.dir, "office.nft");
      expect((await cli("export", "--to", "nft", ...OFFICE, "--lossy", "-o", nft)).code).toBe(0);
      // A long capture: the office's packets many times over, so the wire is still sending when the signal comes.
      const { readCapture } = await import("../host/pcap/pcap.ts");
      const cap = readCapture(new Uint8Array(readFileSync("examples/portmaster/office.pcap")));
      const many = Array.from({ length: 6000 }, (_, i) => cap.packets.map((p) => ({ tsNs: p.tsNs + BigInt(i) * 10_000_000_000n, data: p.data }))).flat();
      const pcap = join(t.dir, "long.pcap");
      writeCaptureFile(pcap, many);
      const child = spawn("node", ["--import", "tsx", "bin/portcullis.js", "verify", "--nft", nft, ...OFFICE, "--pcap", pcap],
        { env: { ...process.env, PORTCULLIS_NETNS_TAG: tag }, stdio: "ignore" });
      const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
      let seen = false;
      for (let i = 0; i < 200 && !seen; i++) {
        await new Promise((r) => setTimeout(r, 50));
        seen = mine().length >= 3;
      }
      expect(seen).toBe(true);
      await new Promise((r) => setTimeout(r, 100));
      child.kill("SIGINT");
      expect(await exited).toBe(130);
      expect(mine()).toEqual([]);
    } finally {
      for (const ns of mine()) execFileSync("ip", ["netns", "del", ns.split(" ")[0]]);
      t.done();
    }
  }, 60_000);
});
