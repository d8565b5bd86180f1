// Lowers the order-independent Windows CE rules to the core's ordered
// rulesets. The device: any matching ALLOW wins, else any matching BLOCK,
// else the direction's default (inbound blocked, outbound allowed); only the
// appliance's traffic to itself always passes. In first-match form:
// device-to-itself, then ALLOW rules, then BLOCK rules, then the default.
//
// Direction: a packet arriving on a public interface meets the "inbound"
// ruleset (bound as input of every public interface), one arriving on a
// private interface the "outbound" ruleset. A rule applies only when the
// packet also leaves by an interface of the other role: each rule is emitted
// once per such interface (ifOut), so with several private or public
// interfaces the direction is still exact. Private-to-private traffic never
// crosses the firewall (outbound ruleset, default "other" = permit);
// public-to-public traffic is denied (inbound ruleset, default "other").
import type { Appliance } from "../../model/appliance.ts";
import { makePrefix } from "../../model/addr.ts";
import { type Rule, type Ruleset, type Policy, type Provenance, type TimeWindow, anyRule } from "../../model/rule.ts";
import { covers } from "../../model/lint.ts";
import type { CeRule } from "./model.ts";
import { FWA } from "./constants.ts";
import { ruleSummary } from "./export.ts";
import { intersectRules } from "./intersect.ts";

export const INBOUND_RULESET = "wince inbound";
export const OUTBOUND_RULESET = "wince outbound";
export const MONITOR_RULESET = "wince log";

export function provenanceOf(r: CeRule): Provenance {
  return { dialect: "wince", file: r.origin.file, line: r.origin.line, column: r.origin.column, text: ruleSummary(r), label: r.name };
}

export function timeWindow(r: CeRule): TimeWindow | null {
  if (!r.hours && r.dayOfWeek === null && r.day === null && r.month === null) return null;
  // [HourStart:00, HourEnd:00): the end hour itself is outside; equal hours wrap to the whole day.
  const from = r.hours ? r.hours.start * 60 : 0;
  const to = r.hours ? (r.hours.end * 60 + 1439) % 1440 : 1439;
  return {
    minuteFrom: from, minuteTo: to,
    daysOfWeek: r.dayOfWeek ?? 0x7f,
    days: r.day !== null ? 1 << (r.day - 1) : 0x7fffffff,
    months: r.month !== null ? 1 << (r.month - 1) : 0xfff,
  };
}

/** The packets a CE rule matches, as a core rule without interfaces. */
export function matchRule(r: CeRule): Rule {
  const rule = anyRule(r.action === "block" ? "deny" : "permit", provenanceOf(r));
  const max = r.family === 4 ? 32 : 128;
  const priv = r.privateHost ? { prefix: makePrefix(r.privateHost, max), negate: false } : null;
  const pub = r.publicHost ? { prefix: makePrefix(r.publicHost, r.publicSubnet?.len ?? max), negate: false } : null;
  rule.family = r.family;
  rule.src = r.direction === "outbound" ? priv : pub;
  rule.dst = r.direction === "outbound" ? pub : priv;
  const icmp = r.family === 4 ? 1 : 58;
  rule.proto = r.protocol ?? (r.icmpType !== null || r.icmpCode !== null ? icmp : null);
  if (r.ports) rule.dport = r.ports.min === r.ports.max ? { op: "eq", port: r.ports.min } : { op: "range", lo: r.ports.min, hi: r.ports.max };
  rule.icmpType = r.icmpType;
  rule.icmpCode = r.icmpCode;
  rule.time = timeWindow(r);
  // A connection an ALLOW rule admits has its replies pass (stateful device).
  rule.keepState = r.action === "allow";
  return rule;
}

export interface Lowered {
  policy: Policy;
  /** BLOCK rules an ALLOW rule of the same direction fully covers: they never block anything. */
  covered: { block: CeRule; allow: CeRule }[];
  /** Rules that match only the appliance's traffic to itself, which always passes: they never act. */
  neverActs: CeRule[];
}

export function lowerRules(all: CeRule[], appliance: Appliance): Lowered {
  // Sorted by key so the program, and which rule explain names, never depend on the file's order.
  const enabled = all.filter((r) => !r.disabled).sort((a, b) => (a.name.toLowerCase() < b.name.toLowerCase() ? -1 : a.name.toLowerCase() > b.name.toLowerCase() ? 1 : 0));
  const names = appliance.interfaces.map((i) => i.name);
  const publics = appliance.interfaces.filter((i) => i.role === "public").map((i) => i.name);
  const privates = appliance.interfaces.filter((i) => i.role === "private").map((i) => i.name);
  const egress = (d: CeRule["direction"]) => (d === "outbound" ? publics : privates);
  const ingress = (d: CeRule["direction"]) => (d === "outbound" ? privates : publics);
  const perEgress = (d: CeRule["direction"], rules: Rule[]) => rules.flatMap((r) => egress(d).map((ifOut) => ({ ...r, ifOut })));

  // Device-to-itself traffic (from one of the appliance's addresses to one of
  // them) always passes, as on the device. Only that: traffic from other hosts
  // to the appliance's addresses follows the rules and the defaults like any
  // other (an inbound BLOCK for the LAN address blocks). Emitted in the
  // outbound ruleset only: such a packet arriving from a public interface has
  // a forged source (a LAND attack), and meets the inbound rules.
  const own = appliance.interfaces.flatMap((i) => i.addresses.map((a) => ({ i, a })));
  const local: Rule[] = [];
  for (const from of own) {
    for (const to of own) {
      if (from.a.address.family !== to.a.address.family) continue;
      const max = from.a.address.family === 4 ? 32 : 128;
      const [src, dst] = [from, to].map(({ a }) => a.text.split("/")[0]);
      const origin: Provenance = {
        dialect: "wince", file: appliance.source, line: 0, column: 0,
        text: `local traffic: the appliance to itself (${src} to ${dst}) always passes`,
        label: `local traffic (${from.i.name} to ${to.i.name})`,
      };
      local.push({
        ...anyRule("permit", origin),
        src: { prefix: makePrefix(from.a.address, max), negate: false },
        dst: { prefix: makePrefix(to.a.address, max), negate: false },
      });
    }
  }
  // A rule all of whose packets are device-to-itself traffic can never act.
  const neverActs = enabled.filter((r) => r.action !== "log" && r.direction === "outbound" && local.some((l) => covers(l, matchRule(r))));

  const covered: Lowered["covered"] = [];
  const build = (d: CeRule["direction"]): Rule[] => {
    const of = (a: CeRule["action"]) => enabled.filter((r) => r.direction === d && r.action === a);
    const allows = of("allow").map((r) => ({ ce: r, rule: matchRule(r) }));
    const blocks = of("block").map((r) => ({ ce: r, rule: matchRule(r) }));
    const logs = of("log").filter((r) => r.logAction !== null).map((r) => ({ ce: r, rule: matchRule(r) }));
    // FWM_ACTION logging: among the rules that decide, mark the packets the
    // logging rule also matches (the marked copies come first, same verdict).
    const marked = (deciding: typeof allows, act: number): Rule[] =>
      logs.filter((l) => l.ce.logAction === act).flatMap((l) => deciding.flatMap((x) =>
        intersectRules(x.rule, l.rule).map((r) => ({ ...r, log: true, origin: { ...r.origin, label: `${x.ce.name} (logged by ${l.ce.name})` } }))));
    // An ALLOW can cover a BLOCK only if it tests no private host or the same
    // one (a host address, never a subnet): look only there, in name order,
    // instead of trying every ALLOW for every BLOCK (quadratic).
    const hostKey = (r: CeRule) => (r.privateHost ? `${r.family}/${r.privateHost.words.join(".")}` : "*");
    const byHost = new Map<string, number[]>(); // key -> indices into allows, ascending
    allows.forEach((x, k) => {
      const key = hostKey(x.ce);
      const list = byHost.get(key);
      if (list) list.push(k);
      else byHost.set(key, [k]);
    });
    for (const b of blocks) {
      const key = hostKey(b.ce);
      const candidates = key === "*" ? byHost.get("*") ?? [] : [...(byHost.get(key) ?? []), ...(byHost.get("*") ?? [])].sort((p, q) => p - q);
      const k = candidates.find((c) => covers(allows[c].rule, b.rule));
      if (k !== undefined) covered.push({ block: b.ce, allow: allows[k].ce });
    }
    const defaultLog = logs.filter((l) => l.ce.logAction === (d === "inbound" ? FWA.BLOCK : FWA.ALLOW)).map((l) => ({
      ...l.rule, action: d === "inbound" ? "deny" as const : "permit" as const, keepState: false, log: true,
      origin: { ...l.rule.origin, label: `default ${d === "inbound" ? "block" : "allow"} (logged by ${l.ce.name})` },
    }));
    return [
      ...(d === "outbound" ? local : []),
      ...perEgress(d, [...marked(allows, FWA.ALLOW), ...allows.map((x) => x.rule), ...marked(blocks, FWA.BLOCK), ...blocks.map((x) => x.rule), ...defaultLog]),
    ];
  };

  const inbound: Ruleset = { name: INBOUND_RULESET, rules: build("inbound"), defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful: true };
  const outbound: Ruleset = { name: OUTBOUND_RULESET, rules: build("outbound"), defaults: { inbound: "deny", outbound: "permit", other: "permit" }, stateful: true };
  const rulesets = [inbound, outbound];

  // FWF_LOG without FWM_ACTION: log every matching packet, whatever decides it.
  const monitorRules = enabled.filter((r) => r.action === "log" && r.logAction === null).flatMap((r) => {
    const m = { ...matchRule(r), action: "permit" as const, keepState: false, log: true };
    return ingress(r.direction).flatMap((ifIn) => egress(r.direction).map((ifOut) => ({ ...m, ifIn, ifOut })));
  });
  let monitor: number | null = null;
  if (monitorRules.length) {
    monitor = rulesets.length;
    rulesets.push({ name: MONITOR_RULESET, rules: monitorRules, defaults: { inbound: "permit", outbound: "permit", other: "permit" }, stateful: false });
  }
  const roleOf = (n: string) => appliance.interfaces.find((i) => i.name === n)!.role;
  const policy: Policy = {
    dialect: "wince",
    interfaces: names,
    rulesets,
    input: names.map((n) => (roleOf(n) === "public" ? 0 : 1)),
    output: names.map(() => null),
    monitor,
  };
  return { policy, covered, neverActs };
}
