// Runs of consecutive rules that differ only in one address (same action,
// same everything else) become one nft rule over an anonymous set: the union
// of their matches, at the same place in the chain, so the first-match answer
// is unchanged, and the kernel looks the address up instead of walking the
// run. Short runs stay one rule each, keeping per-rule counters.
import type { Rule } from "../../model/rule.ts";
import { prefixText } from "./syntax.ts";

export const MIN_SET_RUN = 8;

export interface Emitted {
  rule: Rule;
  /** The rule's nft lines without their comment. */
  lines: string[];
}

type Kind = "saddr" | "daddr";

function templateOf(e: Emitted, kind: Kind): { template: string; element: string } | null {
  const a = kind === "saddr" ? e.rule.src : e.rule.dst;
  if (!a || a.negate || a.prefix.len === 0 || e.lines.length === 0) return null;
  const expr = `${a.prefix.family === 4 ? "ip" : "ip6"} ${kind} ${prefixText(a.prefix)}`;
  const marked = e.lines.map((l) => l.replace(expr + " ", `@@${kind}@@ `));
  if (marked.some((l, i) => l === e.lines[i])) return null;
  return { template: `${a.prefix.family}|` + marked.join("\n"), element: prefixText(a.prefix) };
}

export interface Group {
  rules: Emitted[];
  /** The merged lines, when the run is long enough to become a set. */
  merged: string[] | null;
}

export function groupRuns(items: Emitted[], minRun = MIN_SET_RUN): Group[] {
  const groups: Group[] = [];
  let i = 0;
  while (i < items.length) {
    let best: { kind: Kind; end: number; template: string } | null = null;
    for (const kind of ["saddr", "daddr"] as const) {
      const t = templateOf(items[i], kind);
      if (!t) continue;
      let end = i + 1;
      while (end < items.length && templateOf(items[end], kind)?.template === t.template) end++;
      if (!best || end > best.end) best = { kind, end, template: t.template };
    }
    if (best && best.end - i >= minRun) {
      const run = items.slice(i, best.end);
      const elements = run.map((e) => templateOf(e, best!.kind)!.element);
      const body = best.template.slice(best.template.indexOf("|") + 1);
      const fam = best.template.startsWith("4|") ? "ip" : "ip6";
      const merged = body.split("\n").map((l) => l.replace(`@@${best!.kind}@@`, `${fam} ${best!.kind} { ${elements.join(", ")} }`));
      groups.push({ rules: run, merged });
      i = best.end;
    } else {
      groups.push({ rules: [items[i]], merged: null });
      i++;
    }
  }
  return groups;
}
