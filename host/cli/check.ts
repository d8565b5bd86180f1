// `portcullis check`: parse and lint, print each diagnostic, exit 1 on errors.
import type { IO } from "./io.ts";
import { parse } from "./args.ts";
import { loadAllLazily } from "./common.ts";
import { formatDiagnostic, sortDiagnostics, hasErrors } from "../model/diagnostic.ts";
import { totalRules } from "../model/rule.ts";
import { direction } from "../model/appliance.ts";
import { orderReports } from "../analysis/order.ts";

export async function checkCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {});
  const l = await loadAllLazily(positionals, values);
  const dialect = l.config.dialect;
  if (l.program && l.config.policy && dialect?.describeOrder) {
    // The exact rule-order lint (host/analysis/lint.ts), in the dialect's words.
    const a = l.appliance;
    const reports = orderReports(l.config.policy, { interfaces: a.interfaces.map((i) => i.name), direction: (i, o) => direction(a, i, o) });
    l.diagnostics = sortDiagnostics([...l.diagnostics, ...dialect.describeOrder(l.config, reports, l.diagnostics)]);
    l.ok = !hasErrors(l.diagnostics) && !(l.opts.strict && l.diagnostics.length > 0);
  }
  const errors = l.diagnostics.filter((d) => d.severity === "error").length;
  const warnings = l.diagnostics.length - errors;
  const policy = l.config.policy;
  if (values.json) {
    io.out(JSON.stringify({
      ok: l.ok, dialect: l.config.dialect?.name ?? null, errors, warnings,
      rules: policy && l.program ? totalRules(policy) : null,
      diagnostics: l.diagnostics,
    }, null, 2) + "\n");
  } else {
    for (const d of l.diagnostics) io.out(formatDiagnostic(d) + "\n");
    const what = policy && l.program ? `${l.config.dialect!.name}, ${totalRules(policy)} rules in ${policy.rulesets.length} rulesets` : (l.config.dialect?.name ?? "not loaded");
    io.out(`${errors} errors, ${warnings} warnings (${what})\n`);
  }
  return l.ok ? 0 : 1;
}
