// Memory of the live appliance with a 10,000-rule set and a full connection
// table: starts `LiveAppliance` in-process on 127.0.0.1 (its ports' peers are
// a sink socket), loads a generated Windows CE registry file of 10,000 rules
// (stateful: every permitted outbound flow is tracked), then drives distinct
// UDP flows through the bridge until the table is full, and prints the
// process's memory. `node --expose-gc --import tsx bench/appliance-memory.ts [RULES] [FLOWS]`
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance, BATCH_MAX } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { udpPacket } from "../host/packet/build.ts";

const RULES = Number(process.argv[2] ?? 10000);
const FLOWS = Number(process.argv[3] ?? 70000);
const mb = (n: number) => `${(n / 1048576).toFixed(1)} MB`;
// Measured after a full collection when run with --expose-gc, so garbage of the last batches does not count.
const gc = (globalThis as { gc?: () => void }).gc;
const mem = () => { gc?.(); const m = process.memoryUsage(); return `rss ${mb(m.rss)}, heap ${mb(m.heapUsed)}, external ${mb(m.external)} (array buffers ${mb(m.arrayBuffers)})`; };

const dir = mkdtempSync(join(tmpdir(), "pc-mem-"));
const hex = (i: number) => [172, 16 + ((i >> 16) & 15), (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(",");
const keys: string[] = ["Windows Registry Editor Version 5.00", ""];
for (let i = 1; i <= RULES; i++) {
  // Blocks for hosts that send nothing here: every packet is checked against all of them.
  keys.push(`[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\Block${i}]`, `"Mask"=dword:25`, `"Flags"=dword:11`,
    `"PrivateHost"=hex:02,00,00,00,${hex(i)}`, `"Protocol"=dword:6`, `"Port"=dword:${(1 + (i % 1000)).toString(16)}`, "");
}
const cfg = join(dir, "big.reg");
writeFileSync(cfg, keys.join("\n"));

const sink = dgram.createSocket("udp4");
await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
const sp = sink.address().port;
const free = async () => { const s = dgram.createSocket("udp4"); await new Promise<void>((r) => s.bind(0, "127.0.0.1", r)); const p = s.address().port; s.close(); return p; };
console.log(`before loading: ${mem()}`);
const t0 = performance.now();
const live = await LiveAppliance.start({
  configs: [cfg], load: {}, socketPath: null, loghost: null, watchMs: 0,
  ports: [parsePortSpec(`lan=127.0.0.1:${await free()}/127.0.0.1:${sp}`), parsePortSpec(`wan=127.0.0.1:${await free()}/127.0.0.1:${sp}`)],
});
const loaded = live.status() as any;
console.log(`loaded ${loaded.ruleCount ?? loaded.rules.length} rules (${loaded.dialect}) in ${(performance.now() - t0).toFixed(0)} ms: ${mem()}, wasm ${mb(loaded.memory.wasm)}`);

const t1 = performance.now();
for (let i = 0; i < FLOWS; i += BATCH_MAX) {
  const batch = [];
  for (let k = i; k < Math.min(FLOWS, i + BATCH_MAX); k++) {
    const data = udpPacket({ src: `192.168.0.${1 + Math.floor(k / 60000)}`, dst: "10.0.0.2", sport: 1024 + (k % 60000), dport: 53, macSrc: "02:00:00:00:01:01", macDst: "02:00:00:00:02:02" });
    batch.push({ port: 0, data });
  }
  live.processBatch(batch);
}
await new Promise((r) => setTimeout(r, 200));
const s = live.status() as any;
console.log(`drove ${FLOWS} distinct flows in ${(performance.now() - t1).toFixed(0)} ms; connections: ${JSON.stringify(s.connections)}`);
console.log(`with ${s.ruleCount ?? s.rules.length} rules and the connection table full: ${mem()}, wasm linear memory ${mb(s.memory.wasm)}`);
await live.stop("benchmark done");
sink.close();
rmSync(dir, { recursive: true, force: true });
