// The classifier benchmark: ns/packet and Mpps of the reference matcher, the
// linear WebAssembly scan and the indexed WebAssembly classifier on the
// ClassBench sets, batch sizes, build time, memory, and two worker threads.
//
//   npm run bench -- [DIR] [--quick]
//
// DIR defaults to ../shared/classbench (relative to the repository; see
// data-dir.ts). Every
// time is the median of RUNS runs after a warm-up (passes for WARM_MS); each run classifies
// the whole trace (or the stated sample) and reads the answers back. Every
// engine's answers are checked against the `.expected` files first.
// "yardstick": the native linear scan (../shared/classbench/yardstick, see
// yardstick.ts) and the indexed classifier timed alternately in
// YARD_ROUNDS rounds; the column is the median of the rounds' ratios, the
// figure the classifier's goals are stated in.
import { cpus } from "node:os";
import { classBenchRunner, warmUp, type Runner } from "../host/classbench/runner.ts";
import { CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { loadSet, type BenchInput } from "./load-set.ts";
import { classBenchDir } from "./data-dir.ts";
import { buildYardstick } from "./yardstick.ts";
import { twoThreads } from "./two-threads.ts";
import { median } from "./median.ts";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const dir = args.find((a) => !a.startsWith("--")) ?? classBenchDir();
const RUNS = quick ? 5 : 7;
const REF_SAMPLE = 2000; // the reference is ~10 us/packet: a bounded sample
const LINEAR_SAMPLE = 20000; // the scan at 10k+ rules: a bounded sample too
const BATCHES = quick ? [256] : [1, 64, 256, 1024];
const SETS = quick ? ["acl1_10k", "fw1_1k"] : ["acl1_1k", "fw1_1k", "ipc1_1k", "acl1_10k", "fw1_10k", "ipc1_10k", "acl1_100k"];
const TRACES = ["own", "uniform"] as const;
const YARD_ROUNDS = 3;
const THREAD_ROUNDS = 5;
const WARM_MS = 250; // as `portcullis classify` warms up by default
const yard = buildYardstick(dir);
if (typeof yard === "string") console.error(`no yardstick column: ${yard}`);

/** Median ns/packet of `runner` at `batch` over `packets` packets. */
function time(runner: Runner, batch: number, packets: number): number {
  warmUp(runner, batch, WARM_MS); // V8's tiers, and the machine's steady speed (runner.ts)
  const ts: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t0 = process.hrtime.bigint();
    runner.classify(batch);
    ts.push(Number(process.hrtime.bigint() - t0) / packets);
  }
  return median(ts);
}

function check(name: string, got: Int32Array, expected: ArrayLike<number>): void {
  for (let i = 0; i < Math.min(got.length, expected.length); i++) {
    if (got[i] !== expected[i]) throw new Error(`${name}: packet ${i} got rule ${got[i]}, expected ${expected[i]}`);
  }
}

interface Row {
  set: string; trace: string; rules: number; packets: number;
  ref: number; linear: number; linearSampled: boolean; index: Record<number, number>;
  buildLinear: number; buildIndex: number; bytesPerRule: number; indexBytesPerRule: number; kind: string; mpps2: number; threadRatio: number;
  yardNs: number; yardRatio: number; repeats: number;
}

/** Median over YARD_ROUNDS rounds of (native scan ns / indexed ns), each round timing both; and the scan's median ns. */
function yardRounds(set: string, trace: "own" | "uniform", idx: Runner, n: number): { ns: number; ratio: number } {
  if (typeof yard === "string") return { ns: NaN, ratio: NaN };
  const rules = `${dir}/${set}`;
  const tracePath = trace === "own" ? `${dir}/${set}_trace` : `${dir}/uniform_trace`;
  const nss: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < YARD_ROUNDS; r++) {
    const y = yard.ns(rules, tracePath);
    // This process waited while the scan ran: warm up again, as `classify` does.
    warmUp(idx, 256, WARM_MS);
    const ts: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      idx.classify(256);
      ts.push(Number(process.hrtime.bigint() - t0) / n);
    }
    nss.push(y);
    ratios.push(y / median(ts));
  }
  return { ns: median(nss), ratio: median(ratios) };
}

const rows: Row[] = [];
const wasm = await WasmEngine.create();
for (const set of SETS) {
  for (const trace of TRACES) {
    let input: BenchInput;
    try {
      input = loadSet(dir, set, trace);
    } catch (e) {
      console.error(`skipping ${set} ${trace}: ${(e as Error).message}`);
      continue;
    }
    const n = input.headers.length;
    const refIn = input.headers.slice(0, REF_SAMPLE);
    const ref = await classBenchRunner("reference", input.policy, refIn, CLASSBENCH_META);
    const refAnswers = ref.classify(1);
    if (input.expected) check(`reference ${set} ${trace}`, refAnswers, input.expected);
    const refNs = time(ref, 1, refIn.length);

    const linSampled = input.rules >= 5000 && n > LINEAR_SAMPLE;
    const linIn = linSampled ? input.headers.slice(0, LINEAR_SAMPLE) : input.headers;
    const lin = await classBenchRunner("linear", input.policy, linIn, CLASSBENCH_META, wasm);
    const linAnswers = lin.classify(256);
    check(`linear ${set} ${trace}`, linAnswers, input.expected ?? refAnswers);
    const linNs = time(lin, 256, linIn.length);

    const idx = await classBenchRunner("wasm", input.policy, input.headers, CLASSBENCH_META, wasm);
    const info = wasm.indexInfo(0);
    // Without an .expected file, the scan's answers are the oracle.
    check(`indexed ${set} ${trace}`, idx.classify(256), input.expected ?? linAnswers);
    // The share of packets that repeat the one before (a packet train), answered without a lookup of their own.
    const repeats0 = wasm.x.pipelineRepeatsReused();
    idx.classify(256);
    const repeats = (wasm.x.pipelineRepeatsReused() - repeats0) / n;
    const index: Record<number, number> = {};
    for (const b of BATCHES) index[b] = time(idx, b, n);
    const threads = await twoThreads(dir, set, trace, n, THREAD_ROUNDS);
    const y = yardRounds(set, trace, idx, n);
    rows.push({
      set, trace: trace === "own" ? "own" : "uniform", rules: input.rules, packets: n, ref: refNs, linear: linNs, linearSampled: linSampled, index,
      buildLinear: lin.buildMs, buildIndex: idx.buildMs, bytesPerRule: idx.bytesPerRule, indexBytesPerRule: idx.indexBytesPerRule, kind: info.kind, mpps2: threads.mpps, threadRatio: threads.ratio,
      yardNs: y.ns, yardRatio: y.ratio, repeats,
    });
    process.stderr.write(`${set} ${trace} done\n`);
  }
}

const f = (x: number, d = 0) => x.toFixed(d);
const head = ["set", "trace", "rules", "packets", "reference ns*", "linear ns" , ...BATCHES.map((b) => `indexed ns b=${b}`), "indexed Mpps", "2 threads Mpps", "2 threads / 1", "yardstick ns", "yardstick / indexed", "linear / ref", "indexed / linear", "indexed / ref", "build ms linear", "build ms indexed", "bytes/rule", "index bytes/rule", "repeats"];
const lines = [`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`];
for (const r of rows) {
  const i256 = r.index[256];
  lines.push(`| ${[
    r.set, r.trace, r.rules, r.packets, f(r.ref), f(r.linear) + (r.linearSampled ? "†" : ""), ...BATCHES.map((b) => f(r.index[b], 1)),
    f(1000 / i256, 2), f(r.mpps2, 2), `${f(r.threadRatio, 2)}x`, f(r.yardNs), `${f(r.yardRatio, 1)}x`, `${f(r.ref / r.linear, 1)}x`, `${f(r.linear / i256, 0)}x`, `${f(r.ref / i256, 0)}x`,
    f(r.buildLinear, 1), f(r.buildIndex, 1) + (r.kind === "tree" ? "" : " (not indexed)"), f(r.bytesPerRule, 1), f(r.indexBytesPerRule, 1), `${f(100 * r.repeats, 1)}%`,
  ].join(" | ")} |`);
}
console.log(lines.join("\n"));
if (typeof yard !== "string") yard.dispose();
console.log(`
\\* reference: first ${REF_SAMPLE} packets of the trace. † linear: first ${LINEAR_SAMPLE} packets (sets of 5,000+ rules). Linear is timed at batch 256; ratios use batch 256.
Median of ${RUNS} runs after a warm-up (passes for ${WARM_MS} ms; the yardstick's rounds warm up again after each scan); times include writing the answers back to JavaScript. "2 threads": aggregate of two worker_threads, each with its own WebAssembly instance, batch 256 (median of ${THREAD_ROUNDS} rounds); "2 threads / 1": that over one such worker alone, the rounds alternating one and two workers (median of the rounds' ratios).
yardstick: the native linear first-match scan (gcc -O3 -march=native) over the whole trace; "yardstick / indexed": median of ${YARD_ROUNDS} rounds of the ratio of the scan's time to the indexed classifier's (batch 256) in the same round.
build ms: encode + load (validation, prefilter, index build); bytes/rule: (program + index) / rules, of which the program is 128.
repeats: packets whose rule inputs equal the packet's before them (a packet train), which take its answer without a lookup of their own (pipeline/classify.ts), as a share of the trace.
Machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} CPUs, Node ${process.version}${quick ? " (--quick)" : ""}.`);
