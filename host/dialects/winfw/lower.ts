// Lowers the effective port exceptions to the rule model. The appliance
// protects its private side the way Windows Firewall protects its host, so:
// "inbound" is a packet arriving on a public interface, and the "local
// destination" an exception opens is any host behind the appliance (a packet
// leaving by a private interface) or one of the appliance's own addresses.
import { type Address, type Prefix, makePrefix, formatAddress } from "../../model/addr.ts";
import type { Appliance } from "../../model/appliance.ts";
import type { Policy, Rule, Ruleset } from "../../model/rule.ts";
import { type Exception, prefixText } from "./merge.ts";
import type { ListEntry, Profile } from "./sources.ts";

interface Source { src: Prefix | null; family: 4 | 6 | null; text: string; from: ListEntry }
interface Target { ifOut: string | null; dst: Prefix | null; text: string }

/** `localsubnet`: the subnets attached to the appliance's interfaces, both families. */
export function localSubnets(a: Appliance): { prefix: Prefix; iface: string }[] {
  const out: { prefix: Prefix; iface: string }[] = [];
  for (const i of a.interfaces) {
    for (const x of i.addresses) {
      if (!out.some((o) => prefixText(o.prefix) === prefixText(x.prefix))) out.push({ prefix: x.prefix, iface: i.name });
    }
  }
  return out;
}

function hostPrefix(a: Address): Prefix {
  return makePrefix(a, a.family === 4 ? 32 : 128);
}

function targets(a: Appliance): Target[] {
  const out: Target[] = a.interfaces.filter((i) => i.role === "private").map((i) => ({ ifOut: i.name, dst: null, text: `hosts behind ${i.name}` }));
  for (const i of a.interfaces) {
    if (i.role !== "public") continue;
    for (const x of i.addresses) out.push({ ifOut: null, dst: hostPrefix(x.address), text: `the appliance's ${formatAddress(x.address)}` });
  }
  return out;
}

function sources(ex: Exception, a: Appliance): Source[] {
  if (ex.any) {
    const from = ex.enabled.find((e) => e.def.scope.some((s) => s.kind === "any"))!;
    return [{ src: null, family: null, text: "anywhere", from }];
  }
  const out: Source[] = ex.prefixes.map((p) => ({ src: p.prefix, family: 4, text: prefixText(p.prefix), from: p.from }));
  if (ex.localsubnet) {
    const named = new Set(out.map((o) => o.text));
    for (const l of localSubnets(a)) {
      if (named.has(prefixText(l.prefix))) continue;
      out.push({ src: l.prefix, family: l.prefix.family, text: `${prefixText(l.prefix)} (localsubnet, ${l.iface})`, from: ex.localsubnet });
    }
  }
  return out;
}

function rule(from: ListEntry, label: string, fields: Partial<Rule>): Rule {
  return {
    action: "permit", log: false, notify: false, keepState: true, ifIn: null, ifOut: null, family: null,
    src: null, dst: null, proto: null, sport: null, dport: null, icmpType: null, icmpCode: null, flags: null, time: null,
    ...fields,
    origin: { dialect: "winfw", file: from.file, line: from.line, column: from.column, text: from.text, label },
  };
}

export const INBOUND_RULESET = 0;

/** Where an inbound rule came from: its exception and scope item (order-exact.ts names them). */
export interface RuleSource { ex: Exception; item: string; from: ListEntry }
const ruleSources = new WeakMap<Policy, RuleSource[]>();

/** The source of each inbound rule of a policy lowerExceptions made, by rule index. */
export function ruleSourcesOf(p: Policy): RuleSource[] | undefined {
  return ruleSources.get(p);
}

export function lowerExceptions(exceptions: Exception[], a: Appliance, profile: Profile): Policy {
  const rules: Rule[] = [];
  const from: RuleSource[] = [];
  const tgts = targets(a);
  const fits = (s: Source, t: Target) => s.family === null || t.dst === null || t.dst.family === s.family;
  for (const ex of exceptions) {
    if (!ex.open) continue;
    const name = ex.enabled[0].def.name.trim();
    for (const s of sources(ex, a)) {
      for (const t of tgts) {
        if (!fits(s, t)) continue;
        from.push({ ex, item: s.text, from: s.from });
        rules.push(rule(s.from, `${ex.port}/${ex.transport} "${name}" from ${s.text} to ${t.text}`, {
          ifOut: t.ifOut, family: s.family ?? t.dst?.family ?? null, proto: ex.proto, dport: { op: "eq", port: ex.port },
          src: s.src ? { prefix: s.src, negate: false } : null, dst: t.dst ? { prefix: t.dst, negate: false } : null,
        }));
      }
    }
  }
  // Opening TCP 445 lets pings in too (seed 001), from the same scope: the
  // hosts that may use file sharing may also check that the server is up.
  const smb = exceptions.find((e) => e.open && e.port === 445 && e.transport === "TCP");
  if (smb) {
    for (const s of sources(smb, a)) {
      const fams: (4 | 6)[] = s.family === null ? [4, 6] : [s.family];
      for (const fam of fams) {
        for (const t of tgts) {
          if (t.dst && t.dst.family !== fam) continue;
          from.push({ ex: smb, item: s.text, from: s.from });
          rules.push(rule(s.from, `ICMP${fam === 6 ? "v6" : ""} echo request (implied by 445/TCP) from ${s.text} to ${t.text}`, {
            ifOut: t.ifOut, family: fam, proto: fam === 4 ? 1 : 58, icmpType: fam === 4 ? 8 : 128,
            src: s.src ? { prefix: s.src, negate: false } : null, dst: t.dst ? { prefix: t.dst, negate: false } : null,
          }));
        }
      }
    }
  }
  const inbound: Ruleset = {
    name: `winfw ${profile} profile: inbound port exceptions`,
    rules,
    defaults: { inbound: "deny", outbound: "permit", other: "deny" },
    stateful: true,
  };
  // Outbound is allowed. The ruleset exists (rather than no filter at all) so
  // that connection tracking sees the flows whose replies it must let in.
  const outbound: Ruleset = {
    name: `winfw ${profile} profile: outbound`,
    rules: [],
    defaults: { inbound: "permit", outbound: "permit", other: "permit" },
    stateful: true,
  };
  const policy: Policy = {
    dialect: "winfw",
    interfaces: a.interfaces.map((i) => i.name),
    rulesets: [inbound, outbound],
    input: a.interfaces.map((i) => (i.role === "public" ? 0 : 1)),
    output: a.interfaces.map(() => null),
    monitor: null,
  };
  ruleSources.set(policy, from);
  return policy;
}
