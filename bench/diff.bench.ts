// Issue 16's timings: `portcullis diff` of a ClassBench set written as a
// PortMaster filter against the same with ten rules changed, and `check`
// (with its exact order lint) of the set, for acl1_1k and acl1_10k. Medians
// of several runs, each a whole command run in-process (load, parse, lint or
// diff, print); the diff's own `stats.ms` (the analysis alone) beside it.
//   npx tsx bench/diff.bench.ts [--runs N] [--sets acl1_1k,acl1_10k]
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { classBenchPortMaster } from "./classbench-portmaster.ts";
import { classBenchDir } from "./data-dir.ts";

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const runs = Number(opt("runs", "5"));
const sets = opt("sets", "acl1_1k,acl1_10k").split(",");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), "portcullis-diff-bench-"));
try {
  console.log("set        rules  diff_ms(median)  analysis_ms  regions  check_ms(median)  warnings");
  for (const set of sets) {
    const c = classBenchPortMaster(join(classBenchDir(), set));
    const oldF = join(dir, `${set}.old.pm`), newF = join(dir, `${set}.new.pm`);
    writeFileSync(oldF, c.old);
    writeFileSync(newF, c.new);
    const diffMs: number[] = [], analysisMs: number[] = [], checkMs: number[] = [];
    let regions = 0, warnings = 0;
    for (let r = 0; r < runs; r++) {
      const io = bufferIO();
      const t0 = performance.now();
      const code = await main(["diff", oldF, newF, "--json"], io);
      diffMs.push(performance.now() - t0);
      if (code !== 1) throw new Error(`diff exited ${code}: ${io.stderr}`);
      const j = JSON.parse(io.stdout);
      analysisMs.push(j.stats.ms);
      regions = j.stats.regions;
      const io2 = bufferIO();
      const t1 = performance.now();
      await main(["check", oldF], io2);
      checkMs.push(performance.now() - t1);
      warnings = (io2.stdout.match(/warning\[/g) ?? []).length;
    }
    console.log(`${set.padEnd(10)} ${String(c.rules).padStart(5)}  ${median(diffMs).toFixed(0).padStart(15)}  ${median(analysisMs).toFixed(0).padStart(11)}  ${String(regions).padStart(7)}  ${median(checkMs).toFixed(0).padStart(16)}  ${String(warnings).padStart(8)}`);
  }
  console.log(`(${runs} runs each; the ten changes: 4 actions flipped, 2 ports or protocols changed, 2 rules removed, 2 rules inserted; see bench/classbench-portmaster.ts)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
