// The lean host's figures (issue 13), the whole table:
// - cold start: wall time of `portcullis explain` on the demo configuration,
//   each run a new process, against `node -e ''` (Node's own start-up, the
//   floor), and `--help`. Runs alternate between the commands so a busy
//   machine slows them alike; medians of RUNS runs, and the ratio.
// - memory: VmRSS of the real `node bin/portcullis.js run` process
//   (bench/appliance-rss.ts), idle with ClassBench acl1_10k as PortMaster
//   rules, and with 10,000 Windows CE rules and the 64K-flow connection table
//   filled by distinct UDP flows through the bridge; medians of MEM_RUNS
//   processes each, as started by hand and as the firmware image starts it
//   (with --max-semi-space-size=8, README "Memory").
// - the bridge's ratios to the socat relays: from bench/lab-throughput.sh,
//   which needs root; run with BENCH_LEAN_LAB=1 as root (LAB_RUNS runs).
// - runtime dependencies: `npm ls --omit=dev`.
//   node --import tsx bench/lean-host.bench.ts [RUNS] [MEM_RUNS]      (npm run bench:lean)
// It runs bin/portcullis.js as installed: build first (`npm run build`).
// PORTCULLIS_ROOT=DIR times another checkout instead (e.g. an older commit).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classBenchConfig, winceConfig, measureRss, nodeBaselineKb, type RssFigure } from "./appliance-rss.ts";

const RUNS = Number(process.argv[2] ?? 11);
const MEM_RUNS = Number(process.argv[3] ?? 3);
const root = process.env.PORTCULLIS_ROOT ?? fileURLToPath(new URL("..", import.meta.url));
const bin = "bin/portcullis.js";
const demo = ["examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json"];

const cases: { name: string; args: string[] }[] = [
  { name: "node -e ''", args: ["-e", ""] },
  { name: "portcullis --help", args: [bin, "--help"] },
  { name: "portcullis explain (demo config)", args: [bin, "explain", ...demo, "--packet", "tcp 192.168.1.10:40000 > 10.0.0.5:80"] },
];

function timeOnce(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: "utf8" });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`node ${args.join(" ")} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

for (const c of cases) timeOnce(c.args); // warm the file cache; not counted
const times = cases.map(() => [] as number[]);
for (let i = 0; i < RUNS; i++) cases.forEach((c, k) => times[k].push(timeOnce(c.args)));

const floor = median(times[0]);
console.log(`cold start of ${root}, median of ${RUNS} runs each (node ${process.version})`);
cases.forEach((c, k) => {
  const m = median(times[k]);
  console.log(`  ${c.name.padEnd(34)} ${m.toFixed(0).padStart(5)} ms  ${(m / floor).toFixed(2)}x node -e ''`);
});
const ratio = median(times[2]) / floor;
console.log(`explain / node -e '': ${ratio.toFixed(2)}x (goal <= 2.5x): ${ratio <= 2.5 ? "met" : "not met"}`);

// ---- memory of the running appliance
const MB = (kb: number) => (kb / 1024).toFixed(1);
const dir = mkdtempSync(join(tmpdir(), "pc-lean-"));
const table: string[][] = [];
try {
  const acl = classBenchConfig(dir), ce = winceConfig(dir);
  const kinds = [
    { name: "RSS idle, 9,774 PortMaster rules (acl1_10k)", config: acl, fill: 0, goalMb: 96 },
    { name: "RSS, 10,000 Windows CE rules, 65,536 flows", config: ce, fill: 70000, goalMb: 128 },
  ];
  const launches = [
    { name: "node bin/portcullis.js run", nodeArgs: [] as string[] },
    { name: "node --max-semi-space-size=8 bin/portcullis.js run", nodeArgs: ["--max-semi-space-size=8"] },
  ];
  console.log(`\nmemory of the appliance process (VmRSS; medians of ${MEM_RUNS} processes; node alone idle: ${MB(await nodeBaselineKb())} MB)`);
  for (const k of kinds) {
    for (const l of launches) {
      const figs: RssFigure[] = [];
      for (let i = 0; i < MEM_RUNS; i++) figs.push(await measureRss({ config: k.config, fill: k.fill, nodeArgs: l.nodeArgs }));
      const rss = median(figs.map((f) => f.rssKb)), anon = median(figs.map((f) => f.anonKb)), peak = median(figs.map((f) => f.hwmKb));
      const flows = k.fill ? `, flows ${figs.map((f) => f.flows).join("/")}` : "";
      const heap = median(figs.map((f) => f.status.memory.heapUsed)) / 1048576, wasm = median(figs.map((f) => f.status.memory.wasm)) / 1048576;
      console.log(`  ${k.name}, ${l.name}: ${MB(rss)} MB (own memory ${MB(anon)} MB, peak ${MB(peak)} MB; JS heap used ${heap.toFixed(1)} MB, WebAssembly memory ${wasm.toFixed(1)} MB${flows}) goal <= ${k.goalMb} MB: ${rss / 1024 <= k.goalMb ? "met" : "not met"}`);
      table.push([`${k.name} (${l.name.replace(" bin/portcullis.js run", "")})`, `${MB(rss)} MB`, `<= ${k.goalMb} MB`]);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

// ---- the bridge's ratios (the lab needs root)
const LAB_RUNS = Number(process.env.LAB_RUNS ?? 3);
if (process.env.BENCH_LEAN_LAB === "1" && process.getuid?.() === 0) {
  const tcp: number[] = [], udp: number[] = [];
  for (let i = 0; i < LAB_RUNS; i++) {
    const r = spawnSync("bash", ["bench/lab-throughput.sh"], { cwd: root, encoding: "utf8", timeout: 1_800_000 });
    const t = /lab throughput: .*ratio ([\d.]+)/.exec(r.stdout), u = /lab packets\/s: .*ratio ([\d.]+)/.exec(r.stdout);
    if (r.status !== 0 || !t || !u) { console.log(`lab run ${i + 1} failed (${r.status}): ${(r.stderr || r.stdout).slice(-500)}`); continue; }
    tcp.push(Number(t[1]));
    udp.push(Number(u[1]));
  }
  const line = tcp.length ? `${median(tcp).toFixed(2)} / ${median(udp).toFixed(2)}` : "failed";
  console.log(`\nbridge vs socat relays back to back (TCP MB/s, 64-byte UDP packets/s), medians of ${tcp.length}: ${line} (goal >= 0.9 both)`);
  table.push(["live bridge vs socat relays (TCP / UDP)", line, ">= 0.9 both"]);
} else {
  console.log("\nbridge ratios: run sudo npm run bench:lab (or this benchmark as root with BENCH_LEAN_LAB=1)");
  table.push(["live bridge vs socat relays (TCP / UDP)", "run sudo npm run bench:lab", ">= 0.9 both"]);
}

// ---- runtime dependencies
const ls = spawnSync("npm", ["ls", "--omit=dev", "--json"], { cwd: root, encoding: "utf8" });
// Extraneous packages (a shared node_modules holding the dev tools) are not dependencies.
const deps = Object.entries((JSON.parse(ls.stdout || "{}") as { dependencies?: Record<string, { extraneous?: boolean }> }).dependencies ?? {})
  .filter(([, v]) => !v.extraneous).map(([k]) => k);
table.push(["runtime dependencies", deps.length ? deps.join(", ") : "none beyond Node itself", "none beyond Node itself"]);

console.log("\n| figure | measured | goal |\n| --- | --- | --- |");
console.log(`| \`explain\` cold vs \`node -e ''\` | ${ratio.toFixed(2)}x | <= 2.5x |`);
for (const [a, b, c] of table) console.log(`| ${a} | ${b} | ${c} |`);
