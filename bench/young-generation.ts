// What capping V8's young generation costs the bridge (README "Memory"):
// the live appliance in-process with 10,000 PortMaster rules (bench:lab's
// set: every packet scans them all), batches of 256 UDP frames through
// processBatch, frames per CPU-second (CPU time, so other jobs on a shared
// machine count less than in wall time) with each --max-semi-space-size,
// alternating, medians of RUNS processes.
//   node --import tsx bench/young-generation.ts [RUNS]
import { spawnSync } from "node:child_process";
import dgram from "node:dgram";
import v8 from "node:v8";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { median } from "./appliance-rss.ts";

const self = fileURLToPath(import.meta.url);

async function child(): Promise<void> {
  const { LiveAppliance } = await import("../host/runtime/live.ts");
  const { parsePortSpec } = await import("../host/runtime/ports.ts");
  const { udpPacket } = await import("../host/packet/build.ts");
  const dir = mkdtempSync(join(tmpdir(), "pc-young-"));
  const sink = dgram.createSocket("udp4");
  try {
    const n = 10000, out = ["add filter big"];
    for (let i = 1; i < n; i++) out.push(`set filter big ${i} deny 172.${16 + (i >> 16) % 16}.${(i >> 8) & 255}.${i & 255}/32 0.0.0.0/0 tcp dst eq ${1 + (i % 1000)}`);
    out.push(`set filter big ${n} permit`, "set lan ifilter big", "set wan ifilter big");
    writeFileSync(join(dir, "big.pm"), out.join("\n") + "\n");
    await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
    const sp = sink.address().port;
    const free = async () => { const s = dgram.createSocket("udp4"); await new Promise<void>((r) => s.bind(0, "127.0.0.1", r)); const p = s.address().port; s.close(); return p; };
    const live = await LiveAppliance.start({
      configs: [join(dir, "big.pm")], load: {}, socketPath: null, loghost: null, watchMs: 0,
      ports: [parsePortSpec(`lan=127.0.0.1:${await free()}/127.0.0.1:${sp}`), parsePortSpec(`wan=127.0.0.1:${await free()}/127.0.0.1:${sp}`)],
    });
    const frames = Array.from({ length: 256 }, (_, k) => udpPacket({ src: "192.168.0.5", dst: "10.0.0.2", sport: 1024 + k, dport: 53, macSrc: "02:00:00:00:01:01", macDst: "02:00:00:00:02:02", payload: new Uint8Array(22) }));
    const batch = () => live.processBatch(frames.map((data) => ({ port: 0, data: Buffer.from(data) })));
    for (let i = 0; i < 200; i++) batch();
    const c0 = process.cpuUsage(), N = 2000;
    for (let i = 0; i < N; i++) batch();
    const c = process.cpuUsage(c0);
    const young = v8.getHeapSpaceStatistics().find((s) => s.space_name === "new_space")!.space_size;
    console.log(JSON.stringify({ perCpuS: (N * 256) / ((c.user + c.system) / 1e6), youngMb: young / 1048576 }));
    await live.stop("benchmark done");
  } finally {
    sink.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === "child") {
  await child();
} else {
  const RUNS = Number(process.argv[2] ?? 3);
  const flags = [[], ["--max-semi-space-size=8"], ["--max-semi-space-size=4"], ["--max-semi-space-size=2"], ["--max-semi-space-size=1"]];
  const got = flags.map(() => [] as { perCpuS: number; youngMb: number }[]);
  for (let r = 0; r < RUNS; r++) {
    flags.forEach((f, k) => {
      const p = spawnSync(process.execPath, [...f, "--import", "tsx", self, "child"], { encoding: "utf8" });
      if (p.status !== 0) throw new Error(p.stderr);
      got[k].push(JSON.parse(p.stdout.trim().split("\n").pop()!));
    });
  }
  const base = median(got[0].map((g) => g.perCpuS));
  flags.forEach((f, k) => {
    const m = median(got[k].map((g) => g.perCpuS));
    console.log(`${(f[0] ?? "default (16 MB semi-spaces)").padEnd(28)} young generation ${got[k][0].youngMb.toFixed(0).padStart(2)} MB: ${m.toFixed(0)} frames per CPU-second (${(m / base).toFixed(2)} of default)`);
  });
}
