// How long a reload stalls forwarding: starts `LiveAppliance` in-process with
// a one-line Windows Firewall list, replaces it with a list whose one line
// has SCOPE scope addresses (10,000 make the 137 KB file of issue 12, item
// 6), reloads, and reports the reload's duration and the longest event-loop
// stall meanwhile (the longest gap between ticks of a 5 ms timer started
// before the reload: what a frame that arrived would have waited). Runs RUNS
// times and prints the medians.
// `node --import tsx bench/reload-stall.ts [SCOPE] [RUNS]`
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";

const SCOPE = Number(process.argv[2] ?? 10000);
const RUNS = Number(process.argv[3] ?? 3);
const dir = mkdtempSync(join(tmpdir(), "pc-stall-"));
const cfg = join(dir, "ports.txt");
const small = "80:TCP:10.9.9.9:enabled:web\n";
const big = `80:TCP:${Array.from({ length: SCOPE }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`).join(",")}:enabled:web\n`;
writeFileSync(cfg, small);

const sink = dgram.createSocket("udp4");
await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
const sp = sink.address().port;
const free = async () => { const s = dgram.createSocket("udp4"); await new Promise<void>((r) => s.bind(0, "127.0.0.1", r)); const p = s.address().port; s.close(); return p; };
const live = await LiveAppliance.start({
  configs: [cfg], load: { dialect: "winfw" }, socketPath: null, loghost: null, watchMs: 0,
  ports: [parsePortSpec(`lan=127.0.0.1:${await free()}/127.0.0.1:${sp}`), parsePortSpec(`wan=127.0.0.1:${await free()}/127.0.0.1:${sp}`)],
});
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const took: number[] = [], stalls: number[] = [];
try {
  for (let k = 0; k < RUNS; k++) {
    writeFileSync(cfg, k % 2 ? small : big);
    let last = performance.now(), gap = 0;
    const tick = setInterval(() => { const now = performance.now(); gap = Math.max(gap, now - last); last = now; }, 5);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    const r = await live.reload("bench");
    took.push(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 50));
    clearInterval(tick);
    stalls.push(gap);
    console.log(`run ${k + 1}: ${k % 2 ? "1-item" : `${SCOPE}-item`} scope (${(Buffer.byteLength(k % 2 ? small : big) / 1024).toFixed(0)} KB): reload ${r.ok ? "ok" : "refused"} in ${took[k].toFixed(0)} ms, longest event-loop stall ${stalls[k].toFixed(0)} ms`);
  }
  console.log(`median: reload ${median(took).toFixed(0)} ms, longest stall ${median(stalls).toFixed(0)} ms`);
} finally {
  await live.stop("benchmark done");
  sink.close();
  rmSync(dir, { recursive: true, force: true });
}
