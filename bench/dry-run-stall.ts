// How long `portcullis status --reload --dry-run` takes on a 10,000-rule
// configuration, and how long it stalls forwarding meanwhile: starts
// `LiveAppliance` in-process with ClassBench SET written as a PortMaster
// filter, writes the same with ten rules changed (bench/classbench-
// portmaster.ts), asks for the dry run over the control socket, and reports
// its duration and the longest event-loop stall meanwhile (the longest gap
// between ticks of a 5 ms timer: what a frame that arrived would have
// waited), beside the same timer's longest gap with nothing asked (the
// baseline). Medians of RUNS runs.
// `node --import tsx bench/dry-run-stall.ts [SET] [RUNS]`
import dgram from "node:dgram";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { request } from "../host/runtime/control.ts";
import { classBenchPortMaster } from "./classbench-portmaster.ts";
import { classBenchDir } from "./data-dir.ts";

const SET = process.argv[2] ?? "acl1_10k";
const RUNS = Number(process.argv[3] ?? 5);
const dir = mkdtempSync(join(tmpdir(), "pc-dry-stall-"));
const cfg = join(dir, `${SET}.pm`);
const c = classBenchPortMaster(join(classBenchDir(), SET));
writeFileSync(cfg, c.old);

const sink = dgram.createSocket("udp4");
await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
const sp = sink.address().port;
const free = async () => { const s = dgram.createSocket("udp4"); await new Promise<void>((r) => s.bind(0, "127.0.0.1", r)); const p = s.address().port; s.close(); return p; };
const socketPath = join(dir, "ctl.sock");
const live = await LiveAppliance.start({
  configs: [cfg], load: { dialect: "portmaster" }, socketPath, loghost: null, watchMs: 0,
  ports: [parsePortSpec(`lan=127.0.0.1:${await free()}/127.0.0.1:${sp}`), parsePortSpec(`wan=127.0.0.1:${await free()}/127.0.0.1:${sp}`)],
});
writeFileSync(cfg, c.new);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function longestGap<T>(f: () => Promise<T>): Promise<{ gap: number; ms: number; value: T }> {
  let last = performance.now(), gap = 0;
  const tick = setInterval(() => { const now = performance.now(); gap = Math.max(gap, now - last); last = now; }, 5);
  await new Promise((r) => setTimeout(r, 50));
  const t0 = performance.now();
  const value = await f();
  const ms = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 50));
  clearInterval(tick);
  return { gap, ms, value };
}
const took: number[] = [], stalls: number[] = [], idle: number[] = [];
try {
  for (let k = 0; k < RUNS; k++) {
    const base = await longestGap(() => new Promise((r) => setTimeout(r, 1000)));
    idle.push(base.gap);
    const run = await longestGap(() => request(socketPath, { cmd: "reload", dryRun: true }, 300_000));
    if (!run.value.ok) throw new Error(String(run.value.error));
    took.push(run.ms);
    stalls.push(run.gap);
    console.log(`run ${k + 1}: ${c.rules} rules, dry run ${run.ms.toFixed(0)} ms (${run.value.diff.stats.regions} regions, analysis ${run.value.diff.stats.ms} ms), longest event-loop stall ${run.gap.toFixed(0)} ms (idle: ${base.gap.toFixed(0)} ms)`);
  }
  console.log(`median of ${RUNS}: dry run ${median(took).toFixed(0)} ms, longest stall ${median(stalls).toFixed(0)} ms (idle ${median(idle).toFixed(0)} ms); generation still ${live.generation}`);
} finally {
  await live.stop("benchmark done");
  sink.close();
  rmSync(dir, { recursive: true, force: true });
}
