// Start a live appliance in-process on 127.0.0.1 with two UDP "relays" (plain
// sockets standing in for socat's TAP relays) as its ports' peers, and take
// everything down again, also when a test fails (call `cleanup` in afterEach).
import dgram from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance, type LiveOptions } from "../../host/runtime/live.ts";
import { parsePortSpec } from "../../host/runtime/ports.ts";
import { tcpPacket } from "../../host/packet/build.ts";

export interface Relay { sock: dgram.Socket; port: number; got: { at: number; data: Uint8Array }[]; close(): Promise<void> }

export const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02";
export const syn = (dport: number, sport = 40000) => tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport, dport, flags: "S", macSrc: MAC_L, macDst: MAC_W });

export async function until(cond: () => boolean, ms = 5000, what = "a condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), "pc-harness-"));
  private nextPort = 20000 + Math.floor(Math.random() * 30000);
  private relays: Relay[] = [];
  private lives: LiveAppliance[] = [];

  async relay(): Promise<Relay> {
    const sock = dgram.createSocket("udp4");
    const got: Relay["got"] = [];
    sock.on("message", (m) => got.push({ at: Date.now(), data: new Uint8Array(m) }));
    for (;;) {
      const port = this.nextPort++;
      const ok = await new Promise<boolean>((r) => {
        sock.once("error", () => r(false));
        sock.bind(port, "127.0.0.1", () => r(true));
      });
      if (ok) {
        const relay: Relay = { sock, port, got, close: () => new Promise((r) => sock.close(() => r())) };
        this.relays.push(relay);
        return relay;
      }
    }
  }

  /** An appliance with ports lan and wan, its control socket in the harness's directory. */
  async start(configs: string[], opts: Partial<LiveOptions> = {}) {
    const lan = await this.relay(), wan = await this.relay();
    const listenL = this.nextPort++, listenW = this.nextPort++;
    const socketPath = opts.socketPath === undefined ? join(this.dir, `ctl-${this.nextPort++}.sock`) : opts.socketPath;
    const live = await LiveAppliance.start({
      configs, load: {}, watchMs: 0, unreachableRate: 0,
      ...opts,
      socketPath,
      ports: [`lan=127.0.0.1:${listenL}/127.0.0.1:${lan.port}`, `wan=127.0.0.1:${listenW}/127.0.0.1:${wan.port}`].map(parsePortSpec),
    });
    this.lives.push(live);
    const send = (data: Uint8Array) => new Promise<void>((res) => lan.sock.send(data, listenL, "127.0.0.1", () => res()));
    return { live, lan, wan, listenL, listenW, socketPath: socketPath!, send };
  }

  async cleanup(): Promise<void> {
    for (const l of this.lives.splice(0)) await l.stop("test done").catch(() => {});
    for (const r of this.relays.splice(0)) await r.close().catch(() => {});
  }

  async dispose(): Promise<void> {
    await this.cleanup();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
