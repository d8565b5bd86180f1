// `portcullis classify --classbench RULES TRACE`: one deciding-rule index per
// trace line, then the summary line of cli.md.
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { readClassBenchRules, readClassBenchTrace, CLASSBENCH_META } from "../classbench/classbench.ts";
import { formatDiagnostic, hasErrors } from "../model/diagnostic.ts";
import { classBenchRunner, warmUp } from "../classbench/runner.ts";

export async function classifyCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {
    classbench: { type: "boolean", default: false },
    engine: { type: "string", default: "wasm" },
    repeat: { type: "string", default: "5" },
    quiet: { type: "boolean", default: false },
    batch: { type: "string", default: "256" },
    warmup: { type: "string", default: "250" },
  });
  if (!values.classbench) throw new UsageError("only --classbench RULES TRACE is supported");
  if (positionals.length !== 2) throw new UsageError("--classbench wants RULES and TRACE");
  const engineName = values.engine as string;
  if (engineName !== "wasm" && engineName !== "reference" && engineName !== "linear") throw new UsageError(`--engine is wasm, linear or reference, not "${engineName}"`);
  const repeat = Number(values.repeat);
  const batch = Number(values.batch);
  if (!Number.isInteger(repeat) || repeat < 1) throw new UsageError("--repeat wants a positive integer");
  if (!Number.isInteger(batch) || batch < 1) throw new UsageError("--batch wants a positive integer");
  const warmupMs = Number(values.warmup);
  if (!Number.isInteger(warmupMs) || warmupMs < 0 || warmupMs > 60_000) throw new UsageError("--warmup wants milliseconds, 0 to 60000");
  const [rulesPath, tracePath] = positionals;
  let rules, trace;
  try {
    rules = readClassBenchRules(rulesPath);
    trace = readClassBenchTrace(tracePath);
  } catch (e) {
    io.err(`portcullis classify: ${(e as Error).message}\n`);
    return 1;
  }
  for (const d of rules.diagnostics) io.err(formatDiagnostic(d) + "\n");
  for (const e of trace.errors) io.err(e + "\n");
  if (hasErrors(rules.diagnostics) || trace.errors.length) return 1;

  const runner = await classBenchRunner(engineName, rules.policy, trace.headers, CLASSBENCH_META);
  // The warm-up (at least one pass), and the answers printed (refilled, the same, by each pass below).
  const answers = warmUp(runner, batch, warmupMs);
  const times: number[] = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = process.hrtime.bigint();
    runner.classify(batch);
    times.push(Number(process.hrtime.bigint() - t0));
  }
  times.sort((a, b) => a - b);
  const ns = times[Math.floor(times.length / 2)] / Math.max(1, trace.headers.length);
  if (!values.quiet) io.out(Array.from(answers).join("\n") + (answers.length ? "\n" : ""));
  const matched = answers.reduce((n, a) => n + (a >= 0 ? 1 : 0), 0);
  io.out(`packets=${answers.length} matched=${matched} engine=${runner.name} ns_per_packet=${ns.toFixed(1)} mpps=${(1000 / ns).toFixed(2)} build_ms=${runner.buildMs.toFixed(1)} bytes_per_rule=${runner.bytesPerRule.toFixed(1)}\n`);
  return 0;
}
