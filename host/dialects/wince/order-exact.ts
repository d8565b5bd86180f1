// `check`'s exact order findings (host/analysis/lint.ts) in Windows CE's
// words: a BLOCK rule that the ALLOW rules (and the appliance's own-traffic
// rule) allow together, every packet of it, never blocks anything: CE030,
// which lowering reports already when one ALLOW does it alone. In the
// lowered rulesets every ALLOW comes before every BLOCK, so a BLOCK whose
// copies are all covered by permit rules is exactly such a rule. (Rules
// that change no verdict are not reported for Windows CE: an inbound BLOCK
// never does, since inbound traffic no ALLOW admits is blocked anyway.)
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { OrderReport } from "../../model/lint.ts";
import type { Policy } from "../../model/rule.ts";
import type { CeRule } from "./model.ts";
import { CE } from "./codes.ts";

export function describeOrderExact(policy: Policy, rules: CeRule[], findings: OrderReport[], existing: Diagnostic[]): Diagnostic[] {
  const said = new Set(existing.filter((d) => d.code === CE.ALLOW_COVERS_BLOCK).map((d) => `${d.file}:${d.line}`));
  const out: Diagnostic[] = [];
  for (const f of findings) {
    const rs = policy.rulesets[f.ruleset];
    const dead = new Map(f.dead.map((d) => [d.index, d.by]));
    // The model rules each BLOCK became (its copies per egress interface, and logged copies).
    const copies = new Map<CeRule, number[]>();
    rs.rules.forEach((r, k) => {
      if (r.action !== "deny") return;
      const name = (r.origin.label ?? "").replace(/ \(logged by .*\)$/, "");
      const ce = rules.find((x) => x.action === "block" && x.name === name && x.origin.file === r.origin.file && x.origin.line === r.origin.line);
      if (!ce) return;
      const list = copies.get(ce) ?? [];
      list.push(k);
      copies.set(ce, list);
    });
    for (const [b, ks] of copies) {
      if (said.has(`${b.origin.file}:${b.origin.line}`) || !ks.every((k) => dead.has(k))) continue;
      const by = new Set(ks.flatMap((k) => dead.get(k)!));
      if (![...by].every((k) => rs.rules[k].action === "permit")) continue;
      const allows = [...new Set([...by].filter((k) => rs.rules[k].origin.line > 0).map((k) => {
        const o = rs.rules[k].origin;
        return `ALLOW rule "${(o.label ?? "").replace(/ \(logged by .*\)$/, "")}" (${o.file}:${o.line})`;
      }))];
      // The lowering's own-traffic rules (line 0): traffic to or from the appliance always passes.
      const local = [...by].some((k) => rs.rules[k].origin.line === 0) ? ["the rule that traffic to or from the appliance itself passes"] : [];
      const all = [...allows, ...local];
      const names = [all.slice(0, -1).join(", "), all[all.length - 1]].filter(Boolean);
      said.add(`${b.origin.file}:${b.origin.line}`);
      out.push({
        file: b.origin.file, line: b.origin.line, column: b.origin.column, severity: "warning", code: CE.ALLOW_COVERS_BLOCK,
        message: `rule "${b.name}": this BLOCK never blocks anything: ${names.join(" and ")} together allow every packet it matches, and an ALLOW always wins`,
      });
    }
  }
  return out;
}
