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
  io.out(`old: ${what(a, positionals[0])}\nnew: ${what(b, positionals[1])}\n`);
  io.out(`compared: ${verdictOnly ? `verdicts only${oldD !== newD ? " (different dialects: their rules are never the same)" : ""}` : "verdicts and deciding rules (a rule is its ruleset and text)"}; ${NOTE}\n`);
  if (report.equivalent) {
    io.out(`equivalent: every packet gets the same ${verdictOnly ? "verdict" : "verdict from the same rule"}\n`);
    return 0;
  }
  io.out(`${report.changes.length} region${report.changes.length === 1 ? "" : "s"} differ:\n`);
  report.changes.forEach((c, i) => {
    io.out(`\n${i + 1}. ${c.words}\n`);
    io.out(`   old: ${decisionText(c.old)}\n`);
    io.out(`   new: ${decisionText(c.new)}\n`);
    io.out(`   example: ${c.example}\n`);
  });
  return 1;
}
