// `check`'s exact order findings (host/analysis/lint.ts, on the lowered
// model rules) in InstaGate's words: a rule block is shadowed or redundant
// (IG050/IG051) when every model rule it became is covered by the rules
// above it together, and "no effect" (IG052) when every packet it decides
// would get the same verdict from the rules below it or the interface's
// default. A block checkOrder already reported is not reported again.
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { OrderReport } from "../../model/lint.ts";
import type { RuleBlock } from "./ast.ts";
import type { Lowered } from "./lower.ts";

const name = (b: RuleBlock) => `rule ${b.number} (${b.action === "accept" ? "Accept" : "Deny"}${b.title ? ` "${b.title}"` : ""})`;

export function describeOrderExact(lowered: Lowered, findings: OrderReport[], existing: Diagnostic[]): Diagnostic[] {
  const said = new Set(existing.filter((d) => d.code === "IG050" || d.code === "IG051").map((d) => `${d.file}:${d.line}`));
  const out = new Map<string, Diagnostic>();
  const warn = (b: RuleBlock, code: string, message: string) => {
    const key = `${b.pos.file}:${b.pos.line}`;
    if (said.has(key) || out.has(key)) return;
    out.set(key, { file: b.pos.file, line: b.pos.line, column: b.pos.column, severity: "warning", code, message });
  };
  for (const f of findings) {
    const blocks = lowered.blocks[f.ruleset];
    // The ruleset is "ZONE IFACE": the interface name is what the user knows.
    const iface = lowered.policy.rulesets[f.ruleset].name.replace(/^\S+ /, "");
    const blockOf = (k: number) => blocks.find((x) => k >= x.first && k < x.first + x.count)!.block;
    const dead = new Map(f.dead.map((d) => [d.index, d.by]));
    const redundant = new Set(f.redundant);
    for (const { block, first, count } of blocks) {
      if (count === 0) continue;
      const ks = Array.from({ length: count }, (_, i) => first + i);
      if (ks.every((k) => dead.has(k))) {
        const by = [...new Set(ks.flatMap((k) => dead.get(k)!.map(blockOf)))].filter((b) => b !== block);
        const byNames = by.map(name).join(" and ");
        if (by.every((x) => x.action === block.action)) {
          warn(block, "IG051", `${name(block)} is redundant on ${iface}: ${byNames} above it already ${block.action === "accept" ? "accepts" : "denies"} all of its traffic`);
        } else {
          warn(block, "IG050", `${name(block)} is shadowed on ${iface} by ${byNames} above it: every packet it matches is decided there first; move rule ${block.number} above ${by.map((x) => `rule ${x.number}`).join(" and ")} if it should decide`);
        }
      } else if (ks.every((k) => dead.has(k) || redundant.has(k))) {
        warn(block, "IG052", `${name(block)} has no effect on ${iface}: every packet it decides would get the same verdict from the rules below it or the interface's default; removing it changes no verdict`);
      }
    }
  }
  return [...out.values()];
}
