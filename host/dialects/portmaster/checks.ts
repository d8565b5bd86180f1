// Checks over the whole configuration, once every file has run: attachments
// to filters that do not exist, filters nobody uses, size limits, and the
// rule-order lint (shadowed and redundant rules).
import type { Diagnostic, Severity } from "../../model/diagnostic.ts";
import { findCoveredRulesWithin, type OrderReport } from "../../model/lint.ts";
import type { Policy } from "../../model/rule.ts";
import { PM } from "./codes.ts";
import { type Loc, type PmConfig, type PmRule, MAX_RULES_PER_FILTER, sortedRules, targetText } from "./model.ts";
import { lowerRule } from "./lower.ts";
import { excerpt } from "../../model/excerpt.ts";

/**
 * The order lint compares rule pairs, quadratic in a filter's size. Its work
 * is budgeted so that a configuration's check stays linear in its length
 * (issue 12): a fixed allowance plus a share per rule. Filters of the sizes
 * a PortMaster holds (256 rules) are always linted in full; a filter past
 * the budget is linted up to where it ran out, and PM027 says where.
 */
const LINT_BASE_BUDGET = 250_000;
const LINT_BUDGET_PER_RULE = 128; // >= n/2 for n <= 256: a filter of a PortMaster's size always fits its share

function diag(loc: Loc, column: number, severity: Severity, code: string, message: string): Diagnostic {
  return { file: loc.file, line: loc.line, column, severity, code, message };
}

function at(loc: Loc, from: Loc): string {
  return loc.file === from.file ? `line ${loc.line}` : `${loc.file}:${loc.line}`;
}

export function checkConfig(cfg: PmConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  let totalRules = 0;
  for (const f of cfg.filters.values()) totalRules += f.rules.size;
  let budget = LINT_BASE_BUDGET + LINT_BUDGET_PER_RULE * totalRules;
  const used = new Set<string>();
  for (const a of cfg.attachments) {
    used.add(a.filter);
    const filterCol = a.loc.column + a.loc.text.lastIndexOf(a.filter);
    if (!cfg.filters.has(a.filter)) {
      const del = cfg.deleted.get(a.filter);
      out.push(diag(a.loc, filterCol, "error", PM.UNDEFINED_FILTER, del
        ? `filter "${a.filter}" is used as ${a.dir} of ${excerpt(targetText(a.target))} but was deleted at ${at(del, a.loc)}`
        : `filter "${a.filter}" is used as ${a.dir} of ${excerpt(targetText(a.target))} but never defined (no "add filter ${a.filter}")`));
    }
    if (a.target.kind !== "interface") {
      out.push(diag(a.loc, a.loc.column, "warning", PM.NOT_EMULATED,
        `${a.dir} of ${excerpt(targetText(a.target))} applies only to that ${a.target.kind}'s live dial-in session, which this appliance does not emulate; it is not bound to any interface`));
    }
  }
  for (const f of cfg.filters.values()) {
    if (!used.has(f.name)) {
      out.push(diag(f.loc, f.loc.column, "warning", PM.UNATTACHED, `filter "${f.name}" is defined but never attached (set IFACE ifilter|ofilter ${f.name})`));
    }
    const rules = sortedRules(f);
    if (rules.length > MAX_RULES_PER_FILTER) {
      out.push(diag(f.loc, f.loc.column, "warning", PM.TOO_MANY_RULES,
        `filter "${f.name}" has ${rules.length} rules; a PortMaster 3/IRX holds at most ${MAX_RULES_PER_FILTER} (older models 100)`));
    }
    const lint = findCoveredRulesWithin(rules.map(lowerRule), budget);
    budget -= lint.used;
    if (lint.checkedUpTo < rules.length) {
      const from = rules[lint.checkedUpTo];
      out.push(diag(from.loc, from.numberColumn, "warning", PM.LINT_STOPPED,
        `filter "${f.name}" is too large to check its rule order in full: rules from ${from.number} on (${rules.length - lint.checkedUpTo} of ${rules.length}) were not checked for shadowed or redundant rules`));
    }
    for (const c of lint.findings) {
      const r = rules[c.index];
      const by = rules[c.by];
      out.push(c.kind === "redundant"
        ? diag(r.loc, r.numberColumn, "warning", PM.REDUNDANT, `rule ${r.number} of filter "${f.name}" repeats rule ${by.number} (${at(by.loc, r.loc)}); it never decides a packet`)
        : diag(r.loc, r.numberColumn, "warning", PM.SHADOWED, `rule ${r.number} of filter "${f.name}" is shadowed by rule ${by.number} (${at(by.loc, r.loc)}), which matches every packet it matches; it never decides a packet${
          by.action === r.action ? " (same action: it can be removed)" : ` (its ${r.action} never takes effect)`}`));
    }
  }
  return out;
}

function ruleList(rules: PmRule[], ks: number[], from: Loc): string {
  const nums = ks.map((k) => rules[k].number);
  const words = nums.length === 1 ? `rule ${nums[0]}` : `rules ${nums.slice(0, -1).join(", ")} and ${nums[nums.length - 1]}`;
  const lines = ks.map((k) => at(rules[k].loc, from).replace(/^line /, ""));
  return `${words} (${ks.length === 1 ? "line" : "lines"} ${lines.join(", ")})`;
}

/**
 * `check`'s exact order findings (host/analysis/lint.ts) in PortMaster's
 * words: PM010 for a rule the earlier rules cover together (one earlier
 * rule alone is reported by checkConfig already), PM028 for a rule whose
 * removal changes no verdict (unless it logs: removing it would change the log).
 */
export function describeOrder(cfg: PmConfig, policy: Policy, findings: OrderReport[], existing: Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const said = new Set(existing.filter((d) => d.code === PM.SHADOWED || d.code === PM.REDUNDANT).map((d) => `${d.file}:${d.line}`));
  for (const f of findings) {
    const filter = cfg.filters.get(policy.rulesets[f.ruleset].name);
    if (!filter) continue;
    const rules = sortedRules(filter);
    for (const d of f.dead) {
      const r = rules[d.index];
      if (said.has(`${r.loc.file}:${r.loc.line}`)) continue;
      const same = d.by.every((k) => rules[k].action === r.action);
      out.push(diag(r.loc, r.numberColumn, "warning", PM.SHADOWED, `rule ${r.number} of filter "${filter.name}" is shadowed by ${ruleList(rules, d.by, r.loc)}, which together match every packet it matches; it never decides a packet${
        same ? " (same action: it can be removed)" : ` (its ${r.action} never takes effect)`}`));
    }
    for (const k of f.redundant) {
      const r = rules[k];
      // A rule that logs changes what is logged: "deny log" before a deny default is deliberate.
      if (r.log || r.notify) continue;
      out.push(diag(r.loc, r.numberColumn, "warning", PM.NO_EFFECT, `rule ${r.number} of filter "${filter.name}" is redundant: every packet it decides would get the same verdict (${r.action}) from the rules after it or the filter's default; removing it changes no verdict`));
    }
  }
  return out;
}
