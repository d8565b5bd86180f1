// A/B of two builds of the matcher, in one process: how the per-change
// figures of docs/benchmarks.md (issue 18, third session) were taken. Both
// .wasm files load the same ClassBench set and trace through the same
// runner (the path `portcullis classify` times: batch 256, answers read
// back), their answers are compared (they must be equal: a change to the
// classifier may move time, never an answer), then timed passes alternate
// between them, so a slower spell of the machine falls on both. Prints each
// cell's median ns per packet and new / old (lower is better).
//
//   npx asc assembly/index.ts --target release -o /tmp/new.wasm   (and the old one from another checkout)
//   node --import tsx bench/wasm-ab.ts OLD.wasm NEW.wasm [--rounds N] [--warm MS] [--unchecked] SET:TRACE...
//
// TRACE is `own` (the set's trace) or `uniform`, from the data directory
// (../shared/classbench, see data-dir.ts). The bindings are this checkout's
// build/release.js: both builds must export what the runner uses.
import { readFileSync } from "node:fs";
import { classBenchRunner, warmUp, type Runner } from "../host/classbench/runner.ts";
import { CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { loadSet } from "./load-set.ts";
import { classBenchDir } from "./data-dir.ts";
import { median } from "./median.ts";

const args = process.argv.slice(2);
const at = args.indexOf("--rounds");
const rounds = at >= 0 ? Number(args.splice(at, 2)[1]) : 11;
// --unchecked: time builds that give other answers on purpose (one that
// cuts a piece out, to measure what the piece costs); never for a change.
const unchecked = args.includes("--unchecked");
if (unchecked) args.splice(args.indexOf("--unchecked"), 1);
// --warm MS: before each timed pass, that build classifies the trace for
// MS milliseconds untimed (warmUp, as `classify` does before it times):
// without it a pass follows the other build's, and on an own trace reads
// up to 2x the time `classify` reports (acl1_10k own: 82 against 39 ns a
// packet in one minute); 0 for the old way.
const wat = args.indexOf("--warm");
const warmMs = wat >= 0 ? Number(args.splice(wat, 2)[1]) : 60;
const [oldWasm, newWasm, ...cells] = args;
if (!oldWasm || !newWasm || cells.length === 0 || !(rounds > 0)) {
  console.error("usage: node --import tsx bench/wasm-ab.ts OLD.wasm NEW.wasm [--rounds N] [--warm MS] [--unchecked] SET:TRACE...");
  process.exit(2);
}
const dir = classBenchDir();

/** An engine on the given .wasm file, bound by this checkout's generated bindings. */
async function engineOf(file: string): Promise<WasmEngine> {
  return WasmEngine.fromModule(await WebAssembly.compile(readFileSync(file)));
}

for (const cell of cells) {
  const [set, trace] = cell.split(":");
  const input = loadSet(dir, set, (trace ?? "own") as "own" | "uniform");
  const runners: Runner[] = [];
  const answers: Int32Array[] = [];
  for (const file of [oldWasm, newWasm]) {
    const r = await classBenchRunner("wasm", input.policy, input.headers, CLASSBENCH_META, await engineOf(file));
    answers.push(r.classify(256)); // and the warm-up
    runners.push(r);
  }
  const bad = answers[0].findIndex((a, i) => a !== answers[1][i]);
  if (bad >= 0 && !unchecked) throw new Error(`${cell}: the builds disagree on packet ${bad} (${answers[0][bad]} vs ${answers[1][bad]})`);
  const n = input.headers.length;
  const ts: number[][] = [[], []];
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < 2; j++) {
      warmUp(runners[j], 256, warmMs);
      const t0 = process.hrtime.bigint();
      runners[j].classify(256);
      ts[j].push(Number(process.hrtime.bigint() - t0) / n);
    }
  }
  const a = median(ts[0]);
  const b = median(ts[1]);
  console.log(`${set} ${trace}: old ${a.toFixed(1)} ns, new ${b.toFixed(1)} ns, new / old ${(b / a).toFixed(3)}`);
}
