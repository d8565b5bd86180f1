// A port's sends: the peer is an address literal, resolved once (no
// dns.lookup tick per frame), over IPv4 and IPv6; every frame reaches the
// peer in order and is counted, and frames from anyone but the peer are
// dropped and counted as foreign.
import { describe, it, expect, afterEach } from "vitest";
import dgram from "node:dgram";
import { UdpPort, parsePortSpec } from "../host/runtime/ports.ts";

const open: { close(): unknown }[] = [];
afterEach(async () => {
  for (const x of open.splice(0)) await x.close();
});

async function peer(type: "udp4" | "udp6", host: string) {
  const s = dgram.createSocket({ type, recvBufferSize: 4 << 20 });
  const got: number[] = [];
  s.on("message", (m) => got.push(m[0] | (m[1] << 8)));
  await new Promise<void>((r) => s.bind(0, host, r));
  open.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
  return { s, got, port: s.address().port };
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe("UdpPort", () => {
  for (const [type, host, wrap] of [["udp4", "127.0.0.1", (h: string) => h], ["udp6", "::1", (h: string) => `[${h}]`]] as const) {
    it(`sends every frame to its ${type === "udp4" ? "IPv4" : "IPv6"} peer, in order, and drops foreign frames`, async () => {
      const p = await peer(type, host);
      const listen = 20000 + Math.floor(Math.random() * 30000);
      const arrived: number[] = [];
      const port = await UdpPort.open(0, parsePortSpec(`lan=${wrap(host)}:${listen}/${wrap(host)}:${p.port}`), (_i, data) => arrived.push(data.length));
      open.push(port);
      for (let burst = 0; burst < 10; burst++) { // in bursts, so a small receive buffer drops none
        for (let i = burst * 50; i < (burst + 1) * 50; i++) port.send(new Uint8Array([i & 255, i >> 8, 0, 0]));
        await until(() => p.got.length === (burst + 1) * 50);
      }
      expect(p.got).toEqual(Array.from({ length: 500 }, (_, i) => i));
      expect(port.counters).toMatchObject({ txPackets: 500, txBytes: 2000, txErrors: 0 });
      // From the peer: taken. From another socket: foreign.
      p.s.send(new Uint8Array(60), listen, host);
      const other = await peer(type, host);
      other.s.send(new Uint8Array(61), listen, host);
      await until(() => port.counters.rxPackets + port.counters.rxForeign === 2);
      expect(arrived).toEqual([60]);
      expect(port.counters.rxForeign).toBe(1);
    });
  }
});
