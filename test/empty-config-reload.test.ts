// Issue 12, item 1: a running PortMaster appliance whose configuration file
// is emptied (or left as blanks) refuses the reload and keeps its rules: the
// SYNs to ports 22 and 23 it denied a moment before are still denied. With
// --allow-empty (the load settings, used again by every reload) the empty
// file is accepted, as asked.
import type { LoadSettings } from "../host/config/compile.ts";
import { describe, it, expect, afterEach } from "vitest";
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { tcpPacket } from "../host/packet/build.ts";

const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02";
let nextPort = 20000 + Math.floor(Math.random() * 10000);

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
const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}
const syn = (dport: number) => tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 40000, dport, flags: "S", macSrc: MAC_L, macDst: MAC_W });

const PM_CONFIG = [
  "add filter lan.in",
  "set filter lan.in 1 deny 0.0.0.0/0 0.0.0.0/0 tcp dst eq 22",
  "set filter lan.in 2 deny 0.0.0.0/0 0.0.0.0/0 tcp dst eq 23",
  "set filter lan.in 3 permit 0.0.0.0/0 0.0.0.0/0",
  "set lan ifilter lan.in",
  "",
].join("\n");

let dir = "";
let live: LiveAppliance | null = null;
const relays: Relay[] = [];
afterEach(async () => {
  await live?.stop("test done");
  live = null;
  for (const r of relays.splice(0)) await r.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

async function start(load: LoadSettings, lines: string[]) {
  dir = mkdtempSync(join(tmpdir(), "pc-empty-reload-"));
  const path = join(dir, "office.cfg");
  writeFileSync(path, PM_CONFIG);
  const lan = await relay(), wan = await relay();
  relays.push(lan, wan);
  const listenL = nextPort++, listenW = nextPort++;
  live = await LiveAppliance.start({
    configs: [path], load: { dialect: "portmaster", ...load },
    ports: [`lan=127.0.0.1:${listenL}/127.0.0.1:${lan.port}`, `wan=127.0.0.1:${listenW}/127.0.0.1:${wan.port}`].map(parsePortSpec),
    socketPath: join(dir, "ctl.sock"), watchMs: 0, unreachableRate: 1000, stderr: (l) => lines.push(l),
  });
  return { path, lan, wan, listenL };
}

/** Which of the SYNs (in order) reached the WAN side. */
async function forwarded(t: { lan: Relay; wan: Relay; listenL: number }, ports: number[]): Promise<number[]> {
  const before = t.wan.got.length;
  for (const p of ports) await send(t.lan, t.listenL, syn(p));
  await settle(300);
  return t.wan.got.slice(before).map((f) => (f[14 + 20 + 2] << 8) | f[14 + 20 + 3]);
}

describe("reloading an empty configuration", () => {
  for (const [what, text] of [["an empty file", ""], ["a file of blanks", "  \n\t\n\n"], ["a file of comments", "# emptied\n; nothing\n"]] as const) {
    it(`refuses ${what} (CFG005, naming the file) and keeps the running rules`, async () => {
      const lines: string[] = [];
      const t = await start({}, lines);
      expect(await forwarded(t, [22, 23, 80])).toEqual([80]);
      writeFileSync(t.path, text);
      const r = await live!.reload("test"); // await: the reload may run in a worker
      expect(r.ok).toBe(false);
      expect((r.diagnostics ?? []).join("\n")).toContain(`${t.path}:1:1: error[CFG005]`);
      expect(lines.join("\n")).toMatch(/reload \(test\) refused/);
      expect(live!.generation).toBe(1);
      expect(await forwarded(t, [22, 23, 80])).toEqual([80]);
    });
  }

  it("accepts it with --allow-empty (the flag of the run command holds for its reloads)", async () => {
    const lines: string[] = [];
    const t = await start({ allowEmpty: true }, lines);
    expect(await forwarded(t, [22, 80])).toEqual([80]);
    writeFileSync(t.path, "");
    expect((await live!.reload("test")).ok).toBe(true);
    expect(live!.generation).toBe(2);
    expect(await forwarded(t, [22, 80])).toEqual([22, 80]);
  });
});
