// `check`'s exact order findings (host/analysis/lint.ts, on the lowered
// rules) in Windows Firewall's words. A port exception list has no order:
// every exception opens, nothing closes, and what no exception opens is
// dropped. Exceptions of one PORT/TRANSPORT are merged (merge.ts), so two
// exceptions never overlap; what can open nothing is a scope item the
// exception's other items already cover: 10.1.0.0/16 beside 10.0.0.0/8, or
// an address inside localsubnet. Each item becomes a rule per destination
// (and, for 445/TCP, its implied echo requests); an item is reported when
// all of its rules are:
//   WF030  every rule is covered by the rules lowered before it: the item
//          never decides a packet; the items that cover it are named. All
//          WF030 items can be removed together (each is covered by items
//          before it, and by induction by items that are not WF030).
//   WF031  every rule is covered by the other items, some by items lowered
//          after it: removing this item alone changes no verdict (removing
//          it together with the items that cover it would).
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { OrderReport } from "../../model/lint.ts";
import type { Policy } from "../../model/rule.ts";
import { INBOUND_RULESET, ruleSourcesOf, type RuleSource } from "./lower.ts";
import { prefixText } from "./merge.ts";

interface Group {
  key: string;
  source: RuleSource;
  rules: number[];
}

const exceptionName = (s: RuleSource) => `${s.ex.port}/${s.ex.transport} "${s.ex.enabled[0].def.name.trim()}"`;

/**
 * The item's column in a plain list (its offset in the definition string); a
 * regedit string's escapes move it, so there the string's start.
 */
function itemColumn(s: RuleSource): number {
  const e = s.from;
  if (e.list !== "plain") return e.column;
  const item = e.def.scope.find((x) => (x.kind === "prefix" ? prefixText(x.prefix) === s.item : x.kind === "localsubnet" && s.item.includes("(localsubnet")));
  return item ? e.column + item.offset : e.column;
}

export function describeOrderExact(policy: Policy, findings: OrderReport[]): Diagnostic[] {
  const sources = ruleSourcesOf(policy);
  const f = findings.find((x) => x.ruleset === INBOUND_RULESET);
  if (!sources || !f) return [];
  const groups = new Map<string, Group>();
  const groupOf: Group[] = [];
  sources.forEach((s, i) => {
    const key = `${s.ex.port}/${s.ex.transport}\u0000${s.item}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { key, source: s, rules: [] }));
    g.rules.push(i);
    groupOf[i] = g;
  });
  const dead = new Map(f.dead.map((d) => [d.index, d.by]));
  const redundant = new Set(f.redundant);
  const out: Diagnostic[] = [];
  const at = (g: Group, code: string, message: string) => {
    const e = g.source.from;
    out.push({ file: e.file, line: e.line, column: itemColumn(g.source), severity: "warning", code, message });
  };
  for (const g of groups.values()) {
    const what = `scope item ${g.source.item} of exception ${exceptionName(g.source)}`;
    if (g.rules.every((k) => dead.has(k))) {
      const by: Group[] = [];
      for (const k of g.rules) for (const j of dead.get(k)!) if (groupOf[j] !== g && !by.includes(groupOf[j])) by.push(groupOf[j]);
      // A later fragment carries no ports, so it meets every exception's rules
      // (lint's `by` then names the first exception's items for all of them);
      // the items of the item's own exception cover it wherever it matters.
      const own = by.filter((x) => x.source.ex === g.source.ex);
      if (own.length) by.splice(0, by.length, ...own);
      by.sort((a, b) => a.rules[0] - b.rules[0]);
      const place = (x: Group) => (x.source.from.file === g.source.from.file ? `line ${x.source.from.line}` : `${x.source.from.file}:${x.source.from.line}`);
      const names = by.map((x) => `${x.source.item} (${place(x)})`).join(" and ");
      at(g, "WF030", `${what} never decides a packet: ${names} ${by.length > 1 ? "together already open" : "already opens"} the port to every address in it; removing the item changes no verdict`);
    } else if (g.rules.every((k) => dead.has(k) || redundant.has(k))) {
      at(g, "WF031", `${what} changes nothing: the exception's other scope items open the port to every address in it (the order of a Windows Firewall list does not matter); removing this item alone changes no verdict`);
    }
  }
  return out;
}
