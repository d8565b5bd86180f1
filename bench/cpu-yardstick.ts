// The yardstick's same-round ratio in CPU time instead of wall time, for a
// machine shared with other jobs: under a load of several processes per
// core, wall time measures the scheduler more than the code (the same cell
// of ../shared/classbench/yardstick/yardstick.sh moved 15x between rounds
// during issue 18). Both sides are timed by the CPU time their own process
// spent: the native scan by the user + system time of its process, minus
// that of a run with 0 passes (reading the files); the classifier by
// process.cpuUsage around the same region `portcullis classify` times
// (classify + reading the answers back, batch 256, median of 5 after a
// warm-up). Caches and the sibling hyperthread are still shared, so this is
// steadier than wall time, not immune to load.
//
//   node --import tsx bench/cpu-yardstick.ts [ROUNDS] [SET:TRACE ...]
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { classBenchRunner } from "../host/classbench/runner.ts";
import { CLASSBENCH_META, readClassBenchRules, readClassBenchTrace } from "../host/classbench/classbench.ts";
import { classBenchDir } from "./data-dir.ts";

const args = process.argv.slice(2);
const rounds = args[0] && /^\d+$/.test(args[0]) ? Number(args.shift()) : 3;
const cells = args.length ? args : [
  "acl1_10k:acl1_10k_trace", "fw1_10k:fw1_10k_trace", "ipc1_10k:ipc1_10k_trace", "acl1_100k:acl1_100k_trace",
  "acl1_10k:uniform_trace", "acl1_100k:uniform_trace",
];
const dir = classBenchDir();
const tmp = mkdtempSync(join(tmpdir(), "portcullis-cpu-yardstick-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
try {
  const bin = join(tmp, "linear");
  execFileSync("gcc", ["-O3", "-march=native", "-o", bin, join(dir, "yardstick", "linear.c")]);
  // CPU seconds (user + system) of one run of the scan with `reps` passes.
  const cpu = (rules: string, trace: string, reps: number) => {
    const out = execFileSync("bash", ["-c", `TIMEFORMAT='%3U %3S'; { time "$0" "$1" "$2" "$3" >/dev/null; } 2>&1`, bin, rules, trace, String(reps)], { encoding: "utf8" });
    const [u, s] = out.trim().split(/\s+/).map(Number);
    return u + s;
  };
  for (const cell of cells) {
    const [set, trace] = cell.split(":");
    const rules = join(dir, set);
    const tracePath = join(dir, trace);
    const t = readClassBenchTrace(tracePath);
    const runner = await classBenchRunner("wasm", readClassBenchRules(rules).policy, t.headers, CLASSBENCH_META);
    const n = t.headers.length;
    runner.classify(256);
    const ratios: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const reps = 1;
      const lin = ((cpu(rules, tracePath, reps) - cpu(rules, tracePath, 0)) * 1e9) / (reps * n);
      const ts: number[] = [];
      for (let i = 0; i < 5; i++) {
        const c0 = process.cpuUsage();
        runner.classify(256);
        const c = process.cpuUsage(c0);
        ts.push(((c.user + c.system) * 1000) / n);
      }
      const cls = median(ts);
      ratios.push(lin / cls);
      console.log(`round ${r + 1}  ${set} ${trace}  linear ${lin.toFixed(1)} ns cpu  classifier ${cls.toFixed(1)} ns cpu  ratio ${(lin / cls).toFixed(1)}x`);
    }
    console.log(`median ratio ${cell}: ${median(ratios).toFixed(1)}x`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
