// `portcullis show` for InstaGate: the table in its canonical text form (or
// JSON with --set format=json), each element with the file:line it came from,
// then what each interface runs: its zone, LANIP, defaults and model rules.
import type { LoadOptions } from "../dialect.ts";
import { formatPrefix } from "../../model/addr.ts";
import { type Rule, portRange, ruleAt, allRules } from "../../model/rule.ts";
import type { Pos } from "./ast.ts";
import type { InstagateResult } from "./result.ts";
import { formatObject, formatService, formatRuleLines, tableToJson } from "./format.ts";
import { zoneOf, lanipFor } from "./zones.ts";

const at = (p: Pos) => `# ${p.file}:${p.line}`;

const PROTO_NAMES: Record<number, string> = { 1: "icmp", 6: "tcp", 17: "udp", 47: "gre", 50: "esp" };

export function formatModelRule(r: Rule): string {
  const parts: string[] = [r.action];
  if (r.family !== null) parts.push(`ip${r.family}`);
  if (r.proto !== null) parts.push(PROTO_NAMES[r.proto] ?? `proto ${r.proto}`);
  const side = (x: Rule["src"]) => (x ? `${x.negate ? "not " : ""}${formatPrefix(x.prefix)}` : "any");
  parts.push(`from ${side(r.src)}`, `to ${side(r.dst)}`);
  if (r.dport) {
    const { lo, hi } = portRange(r.dport);
    parts.push(`port ${lo === hi ? lo : `${lo}-${hi}`}`);
  }
  if (r.icmpType !== null) parts.push(`type ${r.icmpType}`);
  if (r.keepState) parts.push("keep-state");
  return parts.join(" ");
}

export function showTable(result: InstagateResult, opts: LoadOptions): string {
  if (!result.vendor) return "";
  const t = result.vendor.table;
  if (opts.options.format === "json") return JSON.stringify(tableToJson(t), null, 2) + "\n";
  const out: string[] = ["# InstaGate rule table: evaluated top to bottom per interface, first match decides"];
  if (t.objects.length || t.services.length) out.push("");
  for (const o of t.objects) out.push(at(o.pos), formatObject(o));
  for (const s of t.services) out.push(at(s.pos), formatService(s));
  for (const r of t.rules) out.push("", at(r.pos), ...formatRuleLines(r));
  const p = result.policy;
  if (p) {
    const a = opts.appliance;
    const rules = allRules(p);
    let index = 0;
    out.push("", "# What each interface runs (replies to accepted connections pass: stateful)");
    p.rulesets.forEach((rs, k) => {
      const i = a.interfaces[k];
      const lanip = lanipFor(a, i).map(formatPrefix).join(", ") || "none";
      const d = rs.defaults;
      out.push(`# ${i.name}: Interface ${zoneOf(i)}, LANIP ${lanip}; default inbound ${d.inbound}, outbound ${d.outbound}, other ${d.other}`);
      for (let n = 0; n < rs.rules.length; n++, index++) {
        const r = rules[index];
        out.push(`#   ${formatModelRule(r)}   (${ruleAt(p, index)!.rule.origin.label}, ${r.origin.file}:${r.origin.line})`);
      }
    });
  }
  return out.join("\n") + "\n";
}
