// The ordering mistake the seed warns about ("make sure the Accept rule is
// located above the Deny rule"): a rule block all of whose traffic an earlier
// block of the same interface already decides. Judged on the lowered model
// rules with the shared `covers` relation: a block is covered when each of its
// model rules is covered by some model rule of one earlier block or another.
import { covers } from "../../model/lint.ts";
import type { Rule } from "../../model/rule.ts";
import type { Appliance } from "../../model/appliance.ts";
import type { RuleBlock } from "./ast.ts";
import type { Lowered } from "./lower.ts";
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import { zoneOf } from "./zones.ts";
import { quoted } from "../../model/excerpt.ts";

const MAX_LINT_RULES = 4000;

const name = (b: RuleBlock) => `rule ${b.number} (${b.action === "accept" ? "Accept" : "Deny"}${b.title ? ` ${quoted(b.title)}` : ""})`;

interface Finding {
  block: RuleBlock;
  by: RuleBlock[];
  fragmentsOnly: boolean; // only non-first fragments get past the earlier rules
  interfaces: Set<string>;
}

/** Earlier blocks covering every rule of `rules`, or null; first tries exact covering, then first fragments. */
function coveringBlocks(rules: Rule[], earlier: { block: RuleBlock; rules: Rule[] }[], firstFragmentsOnly: boolean): RuleBlock[] | null {
  const by = new Set<RuleBlock>();
  for (const r of rules) {
    const e = earlier.find((x) => x.rules.some((q) => covers(q, r, { firstFragmentsOnly })));
    if (!e) return null;
    by.add(e.block);
  }
  return [...by];
}

export function checkOrder(lowered: Lowered, a: Appliance, rep: DiagnosticSink): void {
  const findings = new Map<RuleBlock, Finding>();
  lowered.policy.rulesets.forEach((rs, k) => {
    // Quadratic in model rules: past this size the check would stall `check` (no finding is better than a hang).
    if (rs.rules.length > MAX_LINT_RULES) return;
    const seen: { block: RuleBlock; rules: Rule[] }[] = [];
    for (const { block, first, count } of lowered.blocks[k]) {
      const rules = rs.rules.slice(first, first + count);
      if (rules.length > 0 && seen.length > 0) {
        let by = coveringBlocks(rules, seen, false);
        let fragmentsOnly = false;
        if (!by) {
          by = coveringBlocks(rules, seen, true);
          fragmentsOnly = by !== null;
        }
        if (by) {
          const f = findings.get(block) ?? { block, by, fragmentsOnly, interfaces: new Set<string>() };
          f.interfaces.add(a.interfaces[k].name);
          findings.set(block, f);
        }
      }
      seen.push({ block, rules });
    }
  });
  for (const f of findings.values()) {
    const b = f.block;
    const zoneIfaces = a.interfaces.filter((i) => zoneOf(i) === b.zone).map((i) => i.name);
    const where = f.interfaces.size < zoneIfaces.length ? ` on ${[...f.interfaces].join(", ")}` : "";
    const byNames = f.by.map(name).join(" and ");
    const frag = f.fragmentsOnly ? " (except non-first fragments, which carry no ports)" : "";
    const redundant = f.by.every((x) => x.action === b.action);
    if (redundant) {
      rep.warningAt(b.pos, "IG051", `${name(b)} is redundant${where}: ${byNames} above it already ${b.action === "accept" ? "accepts" : "denies"} all of its traffic${frag}`);
    } else {
      const above = f.by.map((x) => `rule ${x.number}`).join(" and ");
      rep.warningAt(b.pos, "IG050", `${name(b)} is shadowed${where} by ${byNames} above it: every packet it matches is decided there first${frag}; move rule ${b.number} above ${above} if it should decide`);
    }
  }
}
