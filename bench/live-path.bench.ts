// The live appliance's forwarding path in one process, without the lab: a
// LiveAppliance enforcing BENCH_RULES PortMaster rules (the lab benchmark's
// set: the last permits) with its two ports wired to sink sockets on
// 127.0.0.1, fed batches of 256 frames (full-size TCP segments one way, ACKs
// the other, and 64-byte UDP datagrams) through processBatch, as the port
// receive path would queue them. Prints the CPU time per frame of the
// bridge, the firewall and the sends (the receive side is not in it: see
// bench/lab-forwarding.sh for the whole path), median of several rounds.
//   node --import tsx bench/live-path.bench.ts [ROUNDS]
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { tcpPacket, udpPacket } from "../host/packet/build.ts";
import type { Arrival } from "../host/runtime/bridge.ts";

const ROUNDS = Number(process.argv[2] ?? 7);
const RULES = Number(process.env.BENCH_RULES ?? 10000);
const BATCHES = 400;
const dir = mkdtempSync(join(tmpdir(), "pc-live-path-"));
const sinks: dgram.Socket[] = [];
let live: LiveAppliance | null = null;
try {
  const lines = ["add filter big"];
  for (let i = 1; i < RULES; i++) lines.push(`set filter big ${i} deny 172.${16 + (i >> 16) % 16}.${(i >> 8) & 255}.${i & 255}/32 0.0.0.0/0 tcp dst eq ${1 + (i % 1000)}`);
  lines.push(`set filter big ${RULES} permit`, "set lan ifilter big", "set wan ifilter big");
  const cfg = join(dir, "big.pm");
  writeFileSync(cfg, lines.join("\n") + "\n");
  const sinkPorts: number[] = [];
  for (let k = 0; k < 2; k++) {
    const s = dgram.createSocket({ type: "udp4", recvBufferSize: 8 << 20 });
    s.on("message", () => {});
    await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
    sinks.push(s);
    sinkPorts.push(s.address().port);
  }
  live = await LiveAppliance.start({
    configs: [cfg], load: {}, socketPath: null, loghost: null,
    ports: [parsePortSpec(`lan=127.0.0.1:0/127.0.0.1:${sinkPorts[0]}`.replace(":0/", `:${sinkPorts[0] + 1000}/`)),
      parsePortSpec(`wan=127.0.0.1:${sinkPorts[1] + 1000}/127.0.0.1:${sinkPorts[1]}`)],
  });
  const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02";
  const data = tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 40000, dport: 5001, flags: "A", seq: 1, ack: 1, payload: new Uint8Array(1448), macSrc: MAC_L, macDst: MAC_W });
  const ack = tcpPacket({ src: "10.0.0.2", dst: "192.168.0.101", sport: 5001, dport: 40000, flags: "A", seq: 1, ack: 1, macSrc: MAC_W, macDst: MAC_L });
  const small = udpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 40001, dport: 6000, payload: new Uint8Array(64), macSrc: MAC_L, macDst: MAC_W });
  const lan = live.ports[0].index, wan = live.ports[1].index;
  // Each frame a fresh Buffer, as the receive path hands them over.
  const batch = (k: number): Arrival[] => Array.from({ length: 256 }, (_, i) =>
    k % 2 ? { port: lan, data: Buffer.from(small) } : i % 3 === 2 ? { port: wan, data: Buffer.from(ack) } : { port: lan, data: Buffer.from(data) });
  const perFrame: number[] = [];
  for (let round = 0; round <= ROUNDS; round++) {
    const batches = Array.from({ length: BATCHES }, (_, k) => batch(k));
    const c0 = process.cpuUsage();
    for (const b of batches) {
      live.processBatch(b);
      await new Promise((r) => setImmediate(r)); // the sends complete, as between two turns of the event loop
    }
    const c = process.cpuUsage(c0);
    if (round > 0) perFrame.push((c.user + c.system) / (BATCHES * 256)); // round 0 warms up
  }
  perFrame.sort((a, b) => a - b);
  const b = live.bridge.counters;
  console.log(`live path: ${RULES} rules, batches of 256 (TCP data, ACKs, 64-byte UDP): CPU ${perFrame[perFrame.length >> 1].toFixed(2)} us per frame (median of ${ROUNDS}; ${perFrame[0].toFixed(2)} to ${perFrame[perFrame.length - 1].toFixed(2)}); forwarded ${b.forwarded} of ${b.rxFrames}`);
} finally {
  await live?.stop("benchmark done");
  for (const s of sinks) s.close();
  rmSync(dir, { recursive: true, force: true });
}
