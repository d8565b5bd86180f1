// `portcullis status`'s safe-change forms (README "The live appliance",
// commit-confirm):
//   status --reload --dry-run [--verdict-only] [--json]   what a reload would change, as `diff` prints it
//   status --reload --confirm SECONDS                     reload, rolled back unless confirmed in time
//   status --confirm                                      keep the pending reload
// and the head lines `status` prints about a pending or ended confirm.
import type { IO } from "./io.ts";
import { request } from "../runtime/control.ts";

/**
 * `--confirm` takes SECONDS after --reload and nothing alone; node's
 * parseArgs has no optional values, so a bare `--confirm` (last, or before
 * another option or a non-number) becomes `--confirm=` (the empty value).
 */
export function confirmArgv(argv: string[]): string[] {
  return argv.map((a, i) => (a === "--confirm" && !/^\d+$/.test(argv[i + 1] ?? "") ? "--confirm=" : a));
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The head lines about commit-confirm (empty when there was none). */
export function confirmLines(s: Record<string, any>): string {
  const c = s.commitConfirm;
  if (!c) return "";
  const p = c.pending;
  if (p) {
    const left = Math.max(0, Math.round((p.deadlineMs - Date.now()) / 1000));
    return `PENDING CONFIRM: generation ${p.generation} rolls back to generation ${p.rollbackTo}'s rules at ${iso(p.deadlineMs)} (in ${left} s) unless \`portcullis status --confirm\` arrives\n`;
  }
  const l = c.last;
  if (!l) return "";
  if (l.outcome === "rolled back") return `ROLLED BACK: ${l.message}\n`;
  return `last commit-confirm: generation ${l.generation} confirmed at ${iso(l.atMs)}\n`;
}

/** Exit status like diff(1): 0 nothing would change, 1 something would, 2 it could not be compared. */
export async function dryRunCommand(path: string, json: boolean, verdictOnly: boolean, timeoutMs: number, io: IO): Promise<number> {
  let a: Record<string, any>;
  try {
    a = await request(path, { cmd: "reload", dryRun: true, ...(verdictOnly ? { verdictOnly: true } : {}) }, timeoutMs);
  } catch (e) {
    io.err(`portcullis status: ${(e as Error).message}\n`);
    return 2;
  }
  return printDryRun(a, json, io, "status", "on disk");
}

/** Print a dry run's answer (status --reload --dry-run, push --dry-run); the exit status of diff(1). */
export async function printDryRun(a: Record<string, any>, json: boolean, io: IO, command: string, where: string): Promise<number> {
  if (!a.ok) {
    io.err(`portcullis ${command}: ${String(a.error)}\n`);
    return 2;
  }
  const d = a.diff;
  if (!d || typeof d.equivalent !== "boolean" || !Array.isArray(d.changes) || !Array.isArray(a.words)) {
    io.err(`portcullis ${command}: unexpected answer (an appliance without dry runs?)\n`);
    return 2;
  }
  if (json) {
    io.out(JSON.stringify(d) + "\n");
    return d.equivalent ? 0 : 1;
  }
  // diff.ts brings the configuration stage with it: plain `status` never loads it.
  const { formatDiffText } = await import("./diff.ts");
  const rules = (n: number) => `${n} rule${n === 1 ? "" : "s"}`;
  io.out(formatDiffText({
    oldWhat: `the running configuration (generation ${a.generation}: ${a.oldDialect}, ${rules(a.oldRules)})`,
    newWhat: `${a.configs.join(", ")} ${where} (${a.newDialect}, ${rules(a.newRules)})`,
    verdictOnly: a.verdictOnly, differentDialects: a.differentDialects, equivalent: d.equivalent,
    changes: d.changes.map((c: Record<string, any>, i: number) => ({ ...c, words: a.words[i] ?? "" })) as never,
    omitted: a.omitted,
  }));
  io.out(`\ndry run: nothing was changed; generation ${a.generation} still runs\n`);
  return d.equivalent ? 0 : 1;
}
