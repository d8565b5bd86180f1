// Two worker threads against one (issue 18's goal: >= 1.8x), the way
// `npm run bench` measures each set and trace: every worker its own
// WebAssembly instance (bench/worker.ts), batch 256, about 2M packets per
// go; rounds alternate one worker and both, so a slower or faster spell of
// the machine falls on both sides, and the ratio is the median of the
// rounds' ratios. Run alone it prints every round:
//
//   node --import tsx bench/two-threads.ts [--rounds N] SET:TRACE...   (TRACE: own or uniform)
import { Worker } from "node:worker_threads";
import { pathToFileURL } from "node:url";
import { classBenchDir } from "./data-dir.ts";
import { median } from "./median.ts";

export interface ThreadRound { one: number; two: number }

/** Mpps of two workers together (median over the rounds), their ratio to one worker alone (median of the rounds' ratios), and each round. */
export async function twoThreads(dir: string, set: string, trace: "own" | "uniform", packets: number, rounds: number): Promise<{ mpps: number; ratio: number; each: ThreadRound[] }> {
  const reps = Math.max(3, Math.ceil(2_000_000 / packets)); // about 2M packets per thread
  const workers = [0, 1].map(() => new Worker(new URL("./worker.mjs", import.meta.url), { workerData: { dir, set, trace, engine: "wasm", reps } }));
  try {
    await Promise.all(workers.map((w) => new Promise((ok, ko) => { w.once("message", ok); w.once("error", ko); })));
    const go = async (ws: Worker[]) => {
      const t0 = performance.now();
      const done = ws.map((w) => new Promise((ok) => w.once("message", ok)));
      for (const w of ws) w.postMessage("go");
      await Promise.all(done);
      return (ws.length * reps * packets) / ((performance.now() - t0) * 1000);
    };
    const each: ThreadRound[] = [];
    for (let r = 0; r < rounds; r++) {
      const one = await go([workers[r % 2]]);
      each.push({ one, two: await go(workers) });
    }
    return { mpps: median(each.map((e) => e.two)), ratio: median(each.map((e) => e.two / e.one)), each };
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf("--rounds");
  const rounds = at >= 0 ? Number(args.splice(at, 2)[1]) : 9;
  if (args.length === 0 || !(rounds > 0)) {
    console.error("usage: node --import tsx bench/two-threads.ts [--rounds N] SET:TRACE...");
    process.exit(2);
  }
  const { loadSet } = await import("./load-set.ts");
  const dir = classBenchDir();
  for (const cell of args) {
    const [set, trace = "own"] = cell.split(":");
    const packets = loadSet(dir, set, trace as "own" | "uniform").headers.length;
    const r = await twoThreads(dir, set, trace as "own" | "uniform", packets, rounds);
    const ratios = r.each.map((e) => (e.two / e.one).toFixed(2));
    console.log(`${set} ${trace}: two / one by round ${ratios.join(" ")}; median ${r.ratio.toFixed(2)}x, two threads ${r.mpps.toFixed(1)} Mpps`);
  }
}
