// Lowers the PortMaster configuration to the core Policy: one stateless
// ruleset per filter, rules by ascending number, and the interface bindings.
import { type Policy, type Rule, type Ruleset, ESTABLISHED, anyRule } from "../../model/rule.ts";
import type { Appliance } from "../../model/appliance.ts";
import { type PmConfig, type PmFilter, type PmRule, sortedRules } from "./model.ts";

export function ruleLabel(r: PmRule): string {
  return `filter ${r.filter} rule ${r.number}`;
}

/**
 * One PortMaster rule as a core rule. PortMaster filters are IPv4 only, so
 * every rule tests family 4 (an IPv6 packet is matched by no rule and meets
 * its filter's default). `established` on udp keeps its TCP-flags test: a
 * UDP packet has no TCP flags, so both engines find the rule never matches
 * (a non-first fragment, which carries no layer-4 header, is treated as for
 * any rule with layer-4 tests).
 */
export function lowerRule(r: PmRule): Rule {
  const out = anyRule(r.action, {
    dialect: "portmaster", file: r.loc.file, line: r.loc.line, column: r.loc.column, text: r.loc.text, label: ruleLabel(r), number: r.number,
  });
  out.log = r.log;
  out.notify = r.notify;
  out.family = 4;
  // 0.0.0.0/0 tests nothing; keep the model minimal so lint compares like with like.
  if (r.src && r.src.len > 0) out.src = { prefix: r.src, negate: false };
  if (r.dst && r.dst.len > 0) out.dst = { prefix: r.dst, negate: false };
  out.proto = r.protoNumber;
  out.icmpType = r.icmpType;
  out.sport = r.sport;
  out.dport = r.dport;
  if (r.established) out.flags = { ...ESTABLISHED };
  return out;
}

/** An empty filter permits everything; a filter with rules denies what no rule permits. */
export function lowerFilter(f: PmFilter): Ruleset {
  const rules = sortedRules(f).map(lowerRule);
  const v = rules.length === 0 ? "permit" : "deny";
  return { name: f.name, rules, defaults: { inbound: v, outbound: v, other: v }, stateful: false };
}

/** The Policy; attachments to undefined filters or to users/locations are left out (checks.ts reports them). */
export function lowerConfig(cfg: PmConfig, appliance: Appliance): Policy {
  const filters = [...cfg.filters.values()];
  const interfaces = appliance.interfaces.map((i) => i.name);
  const policy: Policy = {
    dialect: "portmaster",
    interfaces,
    rulesets: filters.map(lowerFilter),
    input: interfaces.map(() => null),
    output: interfaces.map(() => null),
    monitor: null,
    unreachables: true,
  };
  for (const a of cfg.attachments) {
    if (a.target.kind !== "interface") continue;
    const rs = filters.findIndex((f) => f.name === a.filter);
    const i = interfaces.indexOf(a.target.name);
    if (rs < 0 || i < 0) continue;
    (a.dir === "ifilter" ? policy.input : policy.output)[i] = rs;
  }
  return policy;
}
