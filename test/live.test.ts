// The live appliance over UDP on 127.0.0.1: two "relays" (plain UDP sockets
// standing in for socat's TAP relays) exchange Ethernet frames through it.
// Forwarding, denial with an ICMP unreachable, MAC learning, hot reload (file
// change, bad config refused, counters carried over), `portcullis status`, and
// the CLI's signals (SIGHUP reload, SIGTERM clean exit) in a child process.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import dgram from "node:dgram";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { statusCommand } from "../host/cli/status.ts";
import { request } from "../host/runtime/control.ts";
import { bufferIO } from "../host/cli/io.ts";
import { tcpPacket, ethernet } from "../host/packet/build.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { writeMini } from "./support/mini-config.ts";

const dir = mkdtempSync(join(tmpdir(), "pc-live-"));
const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02", MAC_X = "02:00:00:00:03:03";
let nextPort = 30000 + Math.floor(Math.random() * 20000);

interface Relay { sock: dgram.Socket; port: number; got: Uint8Array[]; close(): Promise<void> }

async function relay(): Promise<Relay> {
  const sock = dgram.createSocket("udp4");
  const got: Uint8Array[] = [];
  sock.on("message", (m) => got.push(new Uint8Array(m)));
  const port = nextPort++;
  await new Promise<void>((r) => sock.bind(port, "127.0.0.1", r));
  return { sock, port, got, close: () => new Promise((r) => sock.close(() => r())) };
}

const send = (r: Relay, to: number, data: Uint8Array) => new Promise<void>((res) => r.sock.send(data, to, "127.0.0.1", () => res()));

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

const syn = (dport: number, macDst = MAC_W) => tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 40000, dport, flags: "S", macSrc: MAC_L, macDst });
const arpFrom = (mac: string) => ethernet(new Uint8Array(28), { src: mac, dst: "ff:ff:ff:ff:ff:ff", ethertype: 0x0806 });

const cfg = (name: string, text: string): string => writeMini(dir, name, text);

let live: LiveAppliance | null = null;
const relays: Relay[] = [];
afterEach(async () => {
  await live?.stop("test done");
  live = null;
  for (const r of relays.splice(0)) await r.close();
});

async function startLive(config: string, opts: { watchMs?: number; three?: boolean; lines?: string[] } = {}) {
  const lan = await relay(), wan = await relay();
  relays.push(lan, wan);
  const listenL = nextPort++, listenW = nextPort++;
  const specs = [`lan=127.0.0.1:${listenL}/127.0.0.1:${lan.port}`, `wan=127.0.0.1:${listenW}/127.0.0.1:${wan.port}`];
  let dmz: Relay | undefined, listenD = 0;
  let appliance: string | undefined;
  if (opts.three) {
    dmz = await relay();
    relays.push(dmz);
    listenD = nextPort++;
    specs.push(`dmz=127.0.0.1:${listenD}/127.0.0.1:${dmz.port}`);
    appliance = join(dir, "three.json");
    writeFileSync(appliance, JSON.stringify({ interfaces: [
      { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
      { name: "wan", role: "public", addresses: ["10.0.0.1/24"] },
      { name: "dmz", role: "private", addresses: ["172.16.0.1/24"] }] }));
  }
  const socketPath = join(dir, `ctl-${nextPort++}.sock`);
  live = await LiveAppliance.start({
    configs: [config], load: appliance ? { appliance } : {}, ports: specs.map(parsePortSpec), socketPath,
    watchMs: opts.watchMs ?? 0, unreachableRate: 1000, stderr: (l) => opts.lines?.push(l),
  });
  return { lan, wan, dmz, listenL, listenW, listenD, socketPath };
}

beforeAll(() => registerMini());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("live appliance over UDP", () => {
  it("forwards permitted frames, drops denied ones and answers them with an ICMP unreachable", async () => {
    const t = await startLive(cfg("a.cfg", "permit tcp dport 25\n"));
    await send(t.lan, t.listenL, syn(25));
    await until(() => t.wan.got.length === 1);
    expect(t.wan.got[0]).toEqual(syn(25));
    await send(t.lan, t.listenL, syn(80));
    await until(() => t.lan.got.length === 1);
    const h = parsePacketReference(t.lan.got[0], L.LINK_ETHERNET);
    expect([h.proto, h.icmpType, h.icmpCode]).toEqual([1, 3, 13]);
    await settle();
    expect(t.wan.got).toHaveLength(1);
    const s = live!.status() as any;
    expect(s.rules[0].packets).toBe(1);
    expect(s.defaults[0].packets).toBe(1);
    expect(s.ports.map((p: any) => [p.name, p.rxPackets, p.txPackets])).toEqual([["lan", 2, 1], ["wan", 0, 1]]);
    expect(s.unreachables.sent).toBe(1);
  });

  it("ignores datagrams that do not come from the port's peer", async () => {
    const t = await startLive(cfg("b.cfg", "permit\n"));
    const stranger = await relay();
    relays.push(stranger);
    await send(stranger, t.listenL, syn(25));
    await settle();
    expect(t.wan.got).toHaveLength(0);
    expect((live!.status() as any).ports[0].rxForeign).toBe(1);
  });

  it("learns MAC addresses: once a host is placed, its unicast goes to its port only", async () => {
    const t = await startLive(cfg("c.cfg", "permit\n"), { three: true });
    await send(t.lan, t.listenL, syn(25));
    await until(() => t.wan.got.length === 1 && t.dmz!.got.length === 1); // unknown: flooded
    await send(t.wan, t.listenW, arpFrom(MAC_W)); // the WAN host speaks: learnt behind wan
    await until(() => t.lan.got.length === 1 && t.dmz!.got.length === 2);
    await send(t.lan, t.listenL, syn(26));
    await until(() => t.wan.got.length === 2);
    await settle();
    expect(t.dmz!.got).toHaveLength(2);
    const { macs } = await request(t.socketPath, { cmd: "macs" });
    expect(macs.map((m: any) => [m.mac, m.port]).sort()).toEqual([[MAC_L, 0], [MAC_W, 1]]);
  });

  it("reloads when the config file changes, keeping counters of unchanged rules", async () => {
    const lines: string[] = [];
    const path = cfg("d.cfg", "permit tcp dport 25\ndeny tcp dport 110\n");
    const t = await startLive(path, { watchMs: 50, lines });
    await send(t.lan, t.listenL, syn(25));
    await send(t.lan, t.listenL, syn(25));
    await until(() => t.wan.got.length === 2);
    writeFileSync(path, "#mini\n# now 80 too\npermit tcp dport 80\npermit tcp dport 25\n");
    await until(() => live!.generation === 2);
    expect(lines.join("\n")).toMatch(/reloaded \(a config file changed\): generation 2, 2 rules, counters carried over for 1, new 1/);
    const s = live!.status() as any;
    expect(s.rules.map((r: any) => [r.line, r.text, r.packets])).toEqual([[3, "permit tcp dport 80", 0], [4, "permit tcp dport 25", 2]]);
    await send(t.lan, t.listenL, syn(80));
    await until(() => t.wan.got.length === 3);
  });

  it("refuses a bad config, logs the error with file:line:col and keeps the running rules", async () => {
    const lines: string[] = [];
    const path = cfg("e.cfg", "permit tcp dport 25\n");
    const t = await startLive(path, { lines });
    writeFileSync(path, "#mini\npermit tcp dport 80\nallow everything\n");
    const r = await live!.reload("test");
    expect(r.ok).toBe(false);
    expect(lines.join("\n")).toContain(`${path}:3:1: error[MINI001]: expected permit or deny, got "allow"`);
    expect(lines.join("\n")).toMatch(/reload \(test\) refused: 1 errors in the configuration; the running rules \(generation 1\) stay/);
    expect(live!.generation).toBe(1);
    await send(t.lan, t.listenL, syn(80));
    await send(t.lan, t.listenL, syn(25));
    await until(() => t.wan.got.length === 1);
    await settle();
    expect(parsePacketReference(t.wan.got[0], L.LINK_ETHERNET).dport).toBe(25);
    // The control socket's reload reports the refusal too.
    const io = bufferIO();
    expect(await statusCommand(["--socket", t.socketPath, "--reload"], io)).toBe(1);
    expect(io.stderr).toMatch(/errors in the configuration/);
  });

  it("`portcullis status` prints rules with provenance and counters, connections and ports", async () => {
    const path = cfg("f.cfg", "permit tcp dport 25 log\n");
    const t = await startLive(path);
    await send(t.lan, t.listenL, syn(25));
    await until(() => t.wan.got.length === 1);
    const io = bufferIO();
    expect(await statusCommand(["--socket", t.socketPath], io)).toBe(0);
    expect(io.stdout).toMatch(/^portcullis: running, pid \d+, up \d+ s; mini rules from .*f\.cfg, generation 1/);
    expect(io.stdout).toMatch(new RegExp(`${path.replace(/[.]/g, "\\.")}:2 +main #0 +permit packets=1 bytes=\\d+\\n +permit tcp dport 25 log`));
    expect(io.stdout).toMatch(/\(default\) +main +packets=0 bytes=0/);
    expect(io.stdout).toMatch(/^connections: /m);
    expect(io.stdout).toMatch(/^ +lan +127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:\d+ +rx=1 \(\d+ bytes\) tx=0/m);
    expect(io.stdout).toMatch(/^ +wan +127\.0\.0\.1:\d+ <-> 127\.0\.0\.1:\d+ +rx=0 \(0 bytes\) tx=1/m);
    const j = bufferIO();
    expect(await statusCommand(["--socket", t.socketPath, "--json"], j)).toBe(0);
    const s = JSON.parse(j.stdout);
    expect(s.rules[0]).toMatchObject({ file: path, line: 2, packets: 1, action: "permit" });
    expect(s.memory.rss).toBeGreaterThan(0);
  });

  it("status without a running appliance fails with a clear message", async () => {
    const io = bufferIO();
    expect(await statusCommand(["--socket", join(dir, "nobody.sock")], io)).toBe(1);
    expect(io.stderr).toMatch(/no appliance is running on this control socket/);
  });

  it("refuses to start with a port the appliance does not have, or with errors in the config", async () => {
    const specs = ["lan=127.0.0.1:1/127.0.0.1:2", "dmz=127.0.0.1:3/127.0.0.1:4"].map(parsePortSpec);
    await expect(LiveAppliance.start({ configs: [cfg("g.cfg", "permit\n")], load: {}, ports: specs, socketPath: null })).rejects.toThrow(/no interface "dmz"/);
    await expect(LiveAppliance.start({ configs: [cfg("h.cfg", "frobnicate\n")], load: {}, ports: specs, socketPath: null })).rejects.toThrow(/errors/);
  });
});

describe("portcullis run (child process)", () => {
  it("reloads on SIGHUP and exits 0 on SIGTERM, removing its control socket", async () => {
    const lan = await relay(), wan = await relay();
    relays.push(lan, wan);
    const listenL = nextPort++, listenW = nextPort++;
    const path = cfg("i.cfg", "permit tcp dport 25\n");
    const sock = join(dir, "child.sock");
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "support/run-mini.ts"), "run", path,
      "--port", `lan=127.0.0.1:${listenL}/127.0.0.1:${lan.port}`, "--port", `wan=127.0.0.1:${listenW}/127.0.0.1:${wan.port}`,
      "--socket", sock, "--watch", "0"], { stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
    try {
      await until(() => /notice: running: 1 rules/.test(stderr), 20000);
      await send(lan, listenL, syn(80));
      await until(() => lan.got.length === 1); // the unreachable: port 80 is denied
      writeFileSync(path, "#mini\npermit tcp dport 80\n");
      child.kill("SIGHUP");
      await until(() => /reloaded \(SIGHUP\): generation 2/.test(stderr), 5000);
      await send(lan, listenL, syn(80));
      await until(() => wan.got.length === 1);
      const io = bufferIO();
      expect(await statusCommand(["--socket", sock, "--json"], io)).toBe(0);
      expect(JSON.parse(io.stdout).generation).toBe(2);
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
      expect(stderr).toMatch(/SIGTERM: shutting down/);
      expect(existsSync(sock)).toBe(false);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  }, 30000);
});
