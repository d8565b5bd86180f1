// `portcullis check`: parse and lint, print each diagnostic, exit 1 on errors.
import type { IO } from "./io.ts";
import { parse } from "./args.ts";
import { loadAllLazily } from "./common.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import { totalRules } from "../model/rule.ts";

export async function checkCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {});
  const l = await loadAllLazily(positionals, values);
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
