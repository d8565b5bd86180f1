// The dry run's worker thread (`portcullis status --reload --dry-run`): load
// and check the configuration on disk as a reload would (the same files and
// load settings), and diff the running policy against it with
// host/analysis's exact diff. A 10,000-rule diff takes a second or two: here
// it never holds up the forwarding thread. Nothing is swapped in: the answer
// is data only, for the client to print.
import { parentPort, workerData } from "node:worker_threads";
import { loadAllLazily, type LoadSettings } from "../config/compile.ts";
import { compactPolicyTexts } from "./compact-texts.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import { direction, type Appliance } from "../model/appliance.ts";
import { totalRules, type Policy } from "../model/rule.ts";
import { diffReport, diffJson } from "../analysis/diff-report.ts";
import { fingerprintFiles } from "./fingerprint.ts";
import { readPolicyImage } from "./policy-image.ts";

export interface DiffRequest {
  configs: string[];
  load: LoadSettings;
  imports: string[];
  /** What runs now: its policy (texts already compacted; policy-image.ts), dialect and appliance. */
  running: { policy: Uint8Array; dialect: string | null; appliance: Appliance };
  verdictOnly: boolean;
  /** The changes listed are cut so that the answer stays below this many characters. */
  maxChars: number;
}

export interface DiffAnswer {
  /** The configuration on disk checks and was compared. */
  ok: boolean;
  /** Why it could not be compared (errors in it, a changed set of interfaces), with its first diagnostics. */
  error: string | null;
  diagnostics: string[];
  fingerprint: string;
  /** `portcullis diff --json`'s object, its `changes` cut to `maxChars` (`omitted` says how many were left out). */
  json: { equivalent: boolean; changes: unknown[]; stats: Record<string, number> } | null;
  /** Each listed change in plain words (the text output's region line). */
  words: string[];
  omitted: number;
  newDialect: string | null;
  oldRules: number;
  newRules: number;
  verdictOnly: boolean;
  /** The two sides are in different dialects (so only verdicts count). */
  differentDialects: boolean;
}

const DIAGNOSTICS_SHOWN = 20;

async function dryRun(req: DiffRequest): Promise<DiffAnswer> {
  for (const m of req.imports) await import(m);
  const running = { ...req.running, policy: readPolicyImage(req.running.policy) };
  const base: DiffAnswer = {
    ok: false, error: null, diagnostics: [], fingerprint: "", json: null, words: [], omitted: 0,
    newDialect: null, oldRules: totalRules(running.policy), newRules: 0, verdictOnly: req.verdictOnly, differentDialects: false,
  };
  base.fingerprint = await fingerprintFiles(req.configs);
  let l;
  try {
    l = await loadAllLazily(req.configs, req.load);
  } catch (e) {
    return { ...base, error: e instanceof Error ? e.message : String(e) };
  }
  const errors = l.diagnostics.filter((d) => d.severity === "error");
  if (!l.ok || !l.config.policy || !l.program) {
    const shown = errors.slice(0, DIAGNOSTICS_SHOWN).map((d) => formatDiagnostic(d));
    if (errors.length > shown.length) shown.push(`(${errors.length - shown.length} more; portcullis check shows them all)`);
    return { ...base, error: `${errors.length} errors in the configuration; a reload would refuse it`, diagnostics: shown };
  }
  const names = (x: Appliance) => x.interfaces.map((i) => `${i.name}/${i.role}`).join(",");
  if (names(l.appliance) !== names(running.appliance)) return { ...base, error: "the appliance's interfaces changed; that needs a restart, not a reload" };
  // The running policy's long texts are compacted (compact-texts.ts); the new one's must be too, or every such rule would look changed.
  const policy = compactPolicyTexts(l.config.policy);
  const newDialect = l.config.dialect?.name ?? null;
  const differentDialects = newDialect !== running.dialect;
  const verdictOnly = req.verdictOnly || differentDialects;
  const appliance = running.appliance;
  const report = diffReport(running.policy, policy, { interfaces: appliance.interfaces.map((i) => i.name), direction: (i, o) => direction(appliance, i, o) }, verdictOnly);
  const json = diffJson(report) as DiffAnswer["json"] & {};
  // A diff of two unrelated 10,000-rule sets may have tens of thousands of
  // regions: list as many as fit in the control socket's answer.
  let chars = 0, kept = 0;
  for (const c of json.changes) {
    chars += JSON.stringify(c).length + report.changes[kept].words.length + 16;
    if (chars > req.maxChars) break;
    kept++;
  }
  const omitted = json.changes.length - kept;
  json.changes = json.changes.slice(0, kept);
  return {
    ...base, ok: true, json, words: report.changes.slice(0, kept).map((c) => c.words), omitted,
    newDialect, newRules: totalRules(policy), verdictOnly, differentDialects,
  };
}

dryRun(workerData as DiffRequest).then(
  (a) => parentPort!.postMessage(a),
  (e) => parentPort!.postMessage({ ok: false, error: String(e?.message ?? e), diagnostics: [], fingerprint: "", json: null, words: [], omitted: 0, newDialect: null, oldRules: 0, newRules: 0, verdictOnly: false, differentDialects: false } satisfies DiffAnswer),
);
