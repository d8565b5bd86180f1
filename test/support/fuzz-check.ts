// What every fuzz case must satisfy: the configuration is loaded the way the
// CLI loads it (read, decode, empty and dialect checks, the dialect's front
// end, compile) and ends in a result or in located diagnostics, never an
// exception; a loaded result prints (`show`) without throwing.
import { writeFileSync } from "node:fs";
import { loadAll, type Loaded } from "../../host/cli/common.ts";
import { MESSAGE_EXCERPT } from "../../host/model/excerpt.ts";
import { importAllDialects } from "../../host/dialects/all.ts";

// loadAll/loadConfig are the synchronous loaders (the live appliance's): every front end imported first.
await importAllDialects();

export interface CaseResult {
  ok: boolean; // loaded and compiled
  problems: string[]; // broken invariants (each one a defect)
  shown: string | null;
  loaded: Loaded | null;
  ms: number;
}

export function runCase(path: string, data: string | Uint8Array, values: Record<string, unknown>): CaseResult {
  writeFileSync(path, data);
  const text = typeof data === "string" ? data : "";
  const problems: string[] = [];
  const t0 = performance.now();
  let shown: string | null = null;
  let ok = false;
  let loaded: Loaded | null = null;
  try {
    const l = loadAll([path], values);
    loaded = l;
    ok = l.ok;
    const textLines = text ? text.split(/\r\n|\r|\n/) : null;
    const lineCount = textLines ? textLines.length : Infinity;
    for (const d of l.diagnostics) {
      const where = `${d.file}:${d.line}:${d.column}: ${d.severity}[${d.code}]`;
      if (d.file !== path) problems.push(`${where}: names another file`);
      if (!(Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount + 1)) problems.push(`${where}: line outside the file (${lineCount} lines)`);
      if (!(Number.isInteger(d.column) && d.column >= 1)) problems.push(`${where}: bad column`);
      // A column may point just past the end of its line (a missing value), not further.
      else if (textLines && d.line <= lineCount && d.column > textLines[d.line - 1].length + 1 && !d.code.startsWith("CFG")) {
        problems.push(`${where}: column past the end of the line (${textLines[d.line - 1].length} characters)`);
      }
      if (!/^[A-Z]+\d{3}$/.test(d.code)) problems.push(`${where}: bad code`);
      if (d.message.length > MESSAGE_EXCERPT + 60) problems.push(`${where}: message of ${d.message.length} characters`);
      if (/[\n]/.test(d.message)) problems.push(`${where}: line break in the message`);
    }
    if (l.ok && !l.config.policy) problems.push("ok without a policy");
    if (!l.ok && l.program && !l.diagnostics.some((d) => d.severity === "error") && !l.opts.strict) problems.push("not ok without an error");
    if (l.ok) shown = l.config.dialect!.show(l.config, l.opts);
  } catch (e) {
    problems.push(`threw: ${(e as Error).stack?.split("\n").slice(0, 4).join(" | ")}`);
  }
  return { ok, problems, shown, loaded, ms: performance.now() - t0 };
}
