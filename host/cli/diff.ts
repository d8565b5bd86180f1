// `portcullis diff OLD NEW [--old MORE...] [--new MORE...] [--verdict-only] [--json]`:
// the exact set of packets two configurations judge differently
// (host/analysis/diff.ts). Exit 0 equivalent, 1 different, 2 usage or
// configuration errors, like diff(1).
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { loadAllLazily, printDiagnostics, type Loaded } from "./common.ts";
import { direction } from "../model/appliance.ts";
import { totalRules } from "../model/rule.ts";
import { diffReport, diffJson, type Decision } from "../analysis/diff-report.ts";
import type { Layout } from "../analysis/frame.ts";

const NOTE = "judged as explain judges a single packet: connection state (replies to tracked flows, FTP data connections) is not considered";

function decisionText(d: Decision): string {
  const v = d.verdict.padEnd(6);
  return d.rule ? `${v} by ${d.rule.file}:${d.rule.line}  ${d.rule.text}` : `${v} by ${d.reason}`;
}

/** What the text output says, from a report here or from an appliance's dry run (status.ts). */
export interface DiffText {
  oldWhat: string; // "old.cfg (portmaster, 12 rules)"
  newWhat: string;
  verdictOnly: boolean;
  differentDialects: boolean;
  equivalent: boolean;
  changes: { words: string; old: Decision; new: Decision; example: string }[];
  /** Regions left out of `changes` (an appliance's answer is bounded). */
  omitted?: number;
}

/** The text output of `diff` (and of `status --reload --dry-run`). */
export function formatDiffText(d: DiffText): string {
  let out = `old: ${d.oldWhat}\nnew: ${d.newWhat}\n`;
  out += `compared: ${d.verdictOnly ? `verdicts only${d.differentDialects ? " (different dialects: their rules are never the same)" : ""}` : "verdicts and deciding rules (a rule is its ruleset and text)"}; ${NOTE}\n`;
  if (d.equivalent) return out + `equivalent: every packet gets the same ${d.verdictOnly ? "verdict" : "verdict from the same rule"}\n`;
  const total = d.changes.length + (d.omitted ?? 0);
  out += `${total} region${total === 1 ? "" : "s"} differ:\n`;
  d.changes.forEach((c, i) => {
    out += `\n${i + 1}. ${c.words}\n`;
    out += `   old: ${decisionText(c.old)}\n`;
    out += `   new: ${decisionText(c.new)}\n`;
    out += `   example: ${c.example}\n`;
  });
  if (d.omitted) out += `\n(${d.omitted} more region${d.omitted === 1 ? "" : "s"} not listed: the appliance's answer is bounded)\n`;
  return out;
}

export async function diffCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {
    old: { type: "string", multiple: true },
    new: { type: "string", multiple: true },
    "verdict-only": { type: "boolean", default: false },
  });
  if (positionals.length !== 2) throw new UsageError("expected OLD and NEW configurations (more files with --old FILE and --new FILE)");
  const sides: Loaded[] = [];
  for (const [first, more] of [[positionals[0], values.old], [positionals[1], values.new]] as [string, string[] | undefined][]) {
    const l = await loadAllLazily([first, ...(more ?? [])], { ...values, strict: false });
    const errors = l.diagnostics.filter((d) => d.severity === "error");
    if (!l.ok || !l.config.policy) {
      printDiagnostics(io, errors.length ? errors : l.diagnostics);
      io.err(`portcullis diff: ${first}: the configuration has errors; nothing compared\n`);
      return 2;
    }
    sides.push(l);
  }
  const [a, b] = sides;
  const appliance = a.appliance;
  const layout: Layout = { interfaces: appliance.interfaces.map((i) => i.name), direction: (i, o) => direction(appliance, i, o) };
  const oldD = a.config.dialect!.name, newD = b.config.dialect!.name;
  const verdictOnly = Boolean(values["verdict-only"]) || oldD !== newD;
  const report = diffReport(a.config.policy!, b.config.policy!, layout, verdictOnly);
  if (values.json) {
    io.out(JSON.stringify(diffJson(report)) + "\n");
    return report.equivalent ? 0 : 1;
  }
  const what = (l: Loaded, name: string) => `${name} (${l.config.dialect!.name}, ${totalRules(l.config.policy!)} rules)`;
  io.out(formatDiffText({
    oldWhat: what(a, positionals[0]), newWhat: what(b, positionals[1]), verdictOnly, differentDialects: oldD !== newD,
    equivalent: report.equivalent, changes: report.changes,
  }));
  return report.equivalent ? 0 : 1;
}
