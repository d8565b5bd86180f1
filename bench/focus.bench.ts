// A focused classifier benchmark for tuning: the indexed classifier only, at
// one batch size, on the sets of issue 9's targets, own and uniform trace.
// Runs are taken in rounds over all sets (not all runs of one set in a row),
// so a burst of load from another job spreads over every cell instead of
// spoiling one; each cell is the median of its rounds.
//
//   node --import tsx bench/focus.bench.ts [--rounds N] [--batch B] [--sets a,b] [--consecutive]
import { classBenchRunner, type Runner } from "../host/classbench/runner.ts";
import { CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { loadSet } from "./load-set.ts";
import { classBenchDir } from "./data-dir.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const rounds = Number(opt("rounds", "9"));
const batch = Number(opt("batch", "256"));
const sets = opt("sets", "acl1_10k,ipc1_10k,fw1_10k,acl1_100k").split(",");
const dir = classBenchDir();

interface Cell { name: string; runner: Runner; n: number; ts: number[]; build: number; bytes: number; stat: string }
const cells: Cell[] = [];
for (const set of sets) {
  for (const trace of ["own", "uniform"] as const) {
    const input = loadSet(dir, set, trace);
    // Each cell its own instance: the trees of one set stay loaded.
    const wasm = await WasmEngine.create();
    const runner = await classBenchRunner("wasm", input.policy, input.headers, CLASSBENCH_META, wasm);
    let expected: ArrayLike<number> | null = input.expected;
    const got = runner.classify(batch);
    if (!expected) {
      // No .expected file: the linear scan on a sample is the oracle.
      const sample = input.headers.slice(0, 5000);
      const lw = await WasmEngine.create();
      const lin = await classBenchRunner("linear", input.policy, sample, CLASSBENCH_META, lw);
      expected = lin.classify(256);
    }
    for (let i = 0; i < Math.min(got.length, expected.length); i++) {
      if (got[i] !== expected[i] && !process.env.NOCHECK) throw new Error(`${set} ${trace}: packet ${i} got rule ${got[i]}, expected ${expected[i]}`);
    }
    const stat = [0, 1, 2, 3, 4].map((k) => (wasm as unknown as { x: { treeStat(k: number): number } }).x.treeStat(k)).join("/");
    cells.push({ name: `${set} ${trace}`, runner, n: input.headers.length, ts: [], build: runner.buildMs, bytes: runner.indexBytesPerRule, stat });
    for (let w = 0; w < 3; w++) runner.classify(batch); // warm-up: V8 tiers up only after a while
  }
}
// --consecutive: all runs of a cell in a row, as bench/classify.bench.ts
// does (warm caches: a short trace such as acl1_100k's 20,000 packets is
// much faster so).
const consecutive = args.includes("--consecutive");
const timeOne = (c: Cell) => {
  const t0 = process.hrtime.bigint();
  c.runner.classify(batch);
  c.ts.push(Number(process.hrtime.bigint() - t0) / c.n);
};
if (consecutive) {
  for (const c of cells) {
    c.runner.classify(batch);
    for (let r = 0; r < rounds; r++) timeOne(c);
  }
} else {
  for (let r = 0; r < rounds; r++) for (const c of cells) timeOne(c);
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const own = new Map<string, number>();
for (const c of cells) {
  const m = median(c.ts);
  const set = c.name.split(" ")[0];
  if (c.name.endsWith("own")) own.set(set, m);
  const ratio = c.name.endsWith("uniform") ? ` (${(m / own.get(set)!).toFixed(2)}x own)` : "";
  console.log(`${c.name.padEnd(20)} ${m.toFixed(1).padStart(7)} ns  min ${Math.min(...c.ts).toFixed(1).padStart(6)}${ratio.padEnd(14)} build ${c.build.toFixed(1)} ms, ${c.bytes.toFixed(1)} B/rule, nodes/leaves/maxleaf/entries/depth ${c.stat}`);
}
