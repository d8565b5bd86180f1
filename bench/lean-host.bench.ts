// The lean host's figures (issue 13). For now the cold start: wall time of
// `portcullis explain` on the demo configuration, each run a new process,
// against `node -e ''` (Node's own start-up, the floor), and `--help`.
// Runs alternate between the commands so a busy machine slows them alike;
// medians of RUNS runs, and the ratio to `node -e ''`.
//   node --import tsx bench/lean-host.bench.ts [RUNS]      (npm run bench:lean)
// It runs bin/portcullis.js as installed: build first (`npm run build`).
// PORTCULLIS_ROOT=DIR times another checkout instead (e.g. an older commit).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const RUNS = Number(process.argv[2] ?? 11);
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
