// Why `portcullis classify` warms up for 250 ms (host/classbench/runner.ts,
// warmUp): the time of each of N back-to-back passes over a trace in a
// fresh process, the first right after the build, none of them warmed up;
// with --pause MS the process sleeps that long before each pass.
//
//   node --import tsx bench/warm-up.ts SET:TRACE [--passes N] [--pause MS]   (TRACE: own or uniform)
import { classBenchRunner } from "../host/classbench/runner.ts";
import { CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { loadSet } from "./load-set.ts";
import { classBenchDir } from "./data-dir.ts";

const args = process.argv.slice(2);
const option = (name: string, dflt: number) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args.splice(at, 2)[1]) : dflt;
};
const passes = option("--passes", 30);
const pause = option("--pause", 0);
const [cell] = args;
if (!cell || !(passes > 0) || !(pause >= 0)) {
  console.error("usage: node --import tsx bench/warm-up.ts SET:TRACE [--passes N] [--pause MS]");
  process.exit(2);
}
const [set, trace = "own"] = cell.split(":");
const input = loadSet(classBenchDir(), set, trace as "own" | "uniform");
const runner = await classBenchRunner("wasm", input.policy, input.headers, CLASSBENCH_META);
const ns: string[] = [];
const start = performance.now();
for (let i = 0; i < passes; i++) {
  if (pause) await new Promise((ok) => setTimeout(ok, pause));
  const t0 = process.hrtime.bigint();
  runner.classify(256);
  ns.push((Number(process.hrtime.bigint() - t0) / input.headers.length).toFixed(1));
}
console.log(`${set} ${trace}: ns a packet, pass by pass${pause ? ` (${pause} ms pause before each)` : ""}: ${ns.join(" ")} (${(performance.now() - start).toFixed(0)} ms in all)`);
