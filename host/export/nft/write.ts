// The nftables script for a policy: one `table inet portcullis`, replaced as
// a whole when loaded, with one chain per ruleset in rule order and a
// forward-hook base chain that dispatches by interface exactly as the
// engines do (reference.ts decide): the input ruleset of the interface a
// packet arrives on, then the output ruleset of the one it leaves by.
//
// A PERMIT inside a ruleset chain is `return` (the packet goes on to the next
// stage), a DENY is `drop`; the base chain accepts what comes back from every
// stage. Each ruleset chain ends with its defaults per direction.
//
// Stateful policies: a permitted packet that would open a flow in Portcullis
// (reference conntrack `keepsState` + `opens`) sets a bit of the packet mark on
// its way through the rules, and at the end of the base chain the bit is
// copied to the connection's mark; `ct state established,related` with that
// bit accepts the flow's later packets before any rule, as Portcullis does.
import { type Policy, type Rule, type Ruleset, type Verdict, whereFrom, ruleFamily } from "../../model/rule.ts";
import type { Appliance } from "../../model/appliance.ts";
import { translateRule, markLaterFragments, needsLaterChain, PROTO_SETS, LATER_FRAGMENT_BIT, type MatchContext } from "./match.ts";
import { quote, chainName, LOG_PREFIX_MAX } from "./syntax.ts";
import { groupRuns, MIN_SET_RUN, type Emitted } from "./sets.ts";
import { sanityChains, SANITY_CHAIN } from "./sanity.ts";
import type { Loss } from "./losses.ts";
import { planBuckets, bucketPrefix, BUCKET_MIN_RULES } from "./buckets.ts";

export const TABLE = "portcullis";
/** The packet-mark and connection-mark bit that says "this flow is tracked as Portcullis tracks it". */
export const STATE_BIT = "0x40000000";
const DENY_CHAIN = "pc_deny_unreachable";

export interface WriteOptions {
  /** appliance interface name -> interface name on the router (--map) */
  map: Map<string, string>;
  /** Losses accepted by --lossy: written as comments beside their rules. */
  losses: Loss[];
  /** The command line, for the header. */
  command?: string;
  /** Sets for runs of at least this many rules (0: never). */
  minSetRun?: number;
  /** The FTP helper (Portcullis's, on by default) as nft's ct helper. */
  ftpHelper?: boolean;
  /** Split rulesets of at least this many rules into address buckets (buckets.ts). */
  bucketMinRules?: number;
}

export function isStateful(p: Policy): boolean {
  return p.rulesets.some((rs) => rs.stateful || rs.rules.some((r) => r.keepState));
}

function ifname(p: Policy, opts: WriteOptions): (name: string) => string | null {
  return (name) => (p.interfaces.includes(name) ? opts.map.get(name) ?? name : null);
}

function logPrefix(r: Rule): string {
  const label = r.origin.label ? `${r.origin.label} ` : "";
  let where = whereFrom(r.origin);
  // Keep the line number; cut the file name from the left if it must go.
  const room = LOG_PREFIX_MAX - 3 - label.length - "portcullis ".length;
  if (where.length > room) where = "..." + where.slice(where.length - room + 3);
  return quote(`portcullis ${label}${where}: `, LOG_PREFIX_MAX);
}

function provenanceComment(r: Rule): string {
  const o = r.origin;
  return `${whereFrom(o)}${o.label ? ` ${o.label}` : ""}: ${o.text}`;
}

interface ChainCtx {
  policy: Policy;
  match: MatchContext;
  stateful: boolean;
  unreachables: boolean;
  losses: Map<Rule, Loss[]>;
  minSetRun: number;
}

function verdictStmt(r: Rule, c: ChainCtx, monitor: boolean): string {
  const parts: string[] = [];
  if (!monitor && c.stateful && r.keepState && r.action === "permit") parts.push(`meta mark set meta mark | ${STATE_BIT}`);
  parts.push("counter");
  if (r.log) parts.push(`log prefix ${logPrefix(r)}`);
  if (monitor || r.action === "permit") parts.push("return");
  else parts.push(c.unreachables ? `goto ${DENY_CHAIN}` : "drop");
  return parts.join(" ");
}

function ruleItems(rules: Rule[], c: ChainCtx, monitor: boolean, later: boolean): Emitted[] {
  return rules.map((r) => {
    const t = translateRule(r, c.match);
    const e = later ? t.later : t.main;
    return { rule: r, lines: e ? [[...e, verdictStmt(r, c, monitor)].join(" ")] : [] };
  });
}

function ruleBody(rules: Rule[], c: ChainCtx, monitor: boolean, later = false, hashLines = true): string[] {
  const out: string[] = [];
  for (const g of groupRuns(ruleItems(rules, c, monitor, later), c.minSetRun)) {
    for (const e of hashLines ? g.rules : []) {
      out.push(`\t\t# ${provenanceComment(e.rule).replace(/[\r\n]+/g, " ")}`);
      for (const l of c.losses.get(e.rule) ?? []) out.push(`\t\t# LOSSY (${l.code}): ${l.message}; ${l.instead}`);
      if (e.lines.length === 0) out.push(later ? `\t\t# (not for non-first fragments)` : `\t\t# (never matches: a test in it can hold for no packet)`);
    }
    if (g.merged) {
      const first = g.rules[0].rule.origin, last = g.rules[g.rules.length - 1].rule.origin;
      const note = `${first.file}:${first.line}-${last.line}: ${g.rules.length} rules as one set`;
      for (const l of g.merged) out.push(`\t\t${l} comment ${quote(note)}`);
    } else {
      const e = g.rules[0];
      const note = provenanceComment(e.rule);
      for (const l of e.lines) out.push(`\t\t${l} comment ${quote(note)}`);
    }
  }
  return out;
}

function verdictWord(v: Verdict, c: ChainCtx): string {
  return v === "permit" ? "return" : c.unreachables ? `goto ${DENY_CHAIN}` : "drop";
}

function set(names: string[]): string {
  return names.length === 1 ? quote(names[0]) : `{ ${names.map((n) => quote(n)).join(", ")} }`;
}

/** The defaults per direction (appliance roles: public -> private is inbound). */
function defaultsTail(rs: Ruleset, c: ChainCtx, a: Appliance): string[] {
  const d = rs.defaults;
  const role = (r: "private" | "public") => c.policy.interfaces
    .filter((n) => a.interfaces.find((i) => i.name === n)?.role === r)
    .map((n) => c.match.ifname(n)!);
  const priv = role("private"), pub = role("public");
  const out: string[] = [];
  const line = (cond: string, v: Verdict, what: string) =>
    out.push(`\t\t${cond}counter ${verdictWord(v, c)} comment ${quote(`default ${what} of ${rs.name}`)}`);
  if (priv.length && pub.length) {
    if (d.inbound !== d.other) line(`iifname ${set(pub)} oifname ${set(priv)} `, d.inbound, "inbound");
    if (d.outbound !== d.other) line(`iifname ${set(priv)} oifname ${set(pub)} `, d.outbound, "outbound");
  }
  line("", d.other, d.inbound === d.other && d.outbound === d.other ? "(every direction)" : "other");
  return out;
}

export function writeNft(policy: Policy, a: Appliance, opts: WriteOptions): string {
  const stateful = isStateful(policy);
  const losses = new Map<Rule, Loss[]>();
  for (const l of opts.losses) losses.set(l.rule, [...(losses.get(l.rule) ?? []), l]);
  const c: ChainCtx = {
    policy, match: { ifname: ifname(policy, opts) }, stateful, unreachables: Boolean(policy.unreachables), losses,
    minSetRun: opts.minSetRun ?? MIN_SET_RUN,
  };
  const names = policy.rulesets.map((rs, k) => chainName("rs", k, rs.name));
  const out: string[] = [];
  out.push(`#!/usr/sbin/nft -f`);
  out.push(`# Written by portcullis export --to nft${opts.command ? `: ${opts.command}` : ""}`);
  out.push(`# Dialect ${policy.dialect}; ${policy.rulesets.length} rulesets; ${stateful ? "stateful (conntrack)" : "stateless (no conntrack: fragments reach the rules one by one)"}.`);
  if (policy.rulesets.some((rs) => rs.rules.some((r) => r.time))) {
    out.push(`# Time windows are in the appliance's zone (${a.timezone}): nft reads meta hour in the loading process's zone,`);
    out.push(`# so load this file with TZ=${a.timezone} nft -f FILE.`);
  }
  out.push(`# Loading it replaces this table only.`);
  out.push(`table inet ${TABLE}`);
  out.push(`delete table inet ${TABLE}`);
  out.push(`table inet ${TABLE} {`);
  const ftp = stateful && opts.ftpHelper !== false;
  if (ftp) out.push(`\tct helper ftp-standard {`, `\t\ttype "ftp" protocol tcp`, `\t}`);
  for (const [name, protos] of Object.entries(PROTO_SETS)) out.push(`\tset ${name} {`, `\t\ttype inet_proto`, `\t\telements = { ${protos.join(", ")} }`, `\t}`);
  out.push(...sanityChains());
  if (c.unreachables) {
    out.push(`\t# A denied packet earns an ICMP "administratively prohibited" (PortMaster), at most 10 a second, burst 20.`);
    out.push(`\tchain ${DENY_CHAIN} {`, `\t\tlimit rate 10/second burst 20 packets reject with icmpx type admin-prohibited`, `\t\tdrop`, `\t}`);
  }
  policy.rulesets.forEach((rs, k) => {
    const bound = policy.input.includes(k) || policy.output.includes(k);
    const isMonitor = policy.monitor === k;
    if (!bound && !isMonitor) return;
    const split = needsLaterChain(rs.rules);
    if (bound) {
      out.push(`\t# ruleset ${rs.name}${rs.stateful ? " (stateful: what it permits is tracked)" : ""}`);
      out.push(`\tchain ${names[k]} {`);
      if (stateful && rs.stateful) out.push(`\t\tmeta mark set meta mark | ${STATE_BIT}`);
      if (split) out.push(`\t\tmeta mark & ${LATER_FRAGMENT_BIT} == ${LATER_FRAGMENT_BIT} goto ${names[k]}_frag`);
      const plan = planBuckets(rs.rules, opts.bucketMinRules ?? BUCKET_MIN_RULES);
      if (plan) {
        const map = plan.buckets.map((b, j) => `${bucketPrefix(b.value, plan.bits)} : goto ${names[k]}_b${j}`).join(", ");
        out.push(`\t\t# IPv4 packets go to the rules that can match their address's bucket (same order, same first match)`);
        out.push(`\t\tip ${plan.field} vmap { ${map} }`);
        out.push(`\t\tmeta nfproto ipv4 goto ${names[k]}_brest`);
      }
      // With buckets, every IPv4 packet has gone: the rest is for IPv6 only.
      out.push(...ruleBody(plan ? rs.rules.filter((r) => ruleFamily(r) !== 4) : rs.rules, c, false));
      out.push(...defaultsTail(rs, c, a));
      out.push(`\t}`);
      if (plan) {
        const sub = (name: string, idx: number[], what: string) => {
          out.push(`\t# ${what} (provenance in each rule's comment)`, `\tchain ${name} {`);
          out.push(...ruleBody(idx.map((i) => rs.rules[i]), c, false, false, false));
          out.push(...defaultsTail(rs, c, a));
          out.push(`\t}`);
        };
        plan.buckets.forEach((b, j) => sub(`${names[k]}_b${j}`, b.rules, `ruleset ${rs.name}, IPv4 ${plan.field} in ${bucketPrefix(b.value, plan.bits)}`));
        sub(`${names[k]}_brest`, plan.rest, `ruleset ${rs.name}, IPv4 ${plan.field} in no bucket`);
      }
      if (split) {
        out.push(`\t# ruleset ${rs.name} for non-first fragments: layer-4 tests cannot hold (Cisco's rule)`);
        out.push(`\tchain ${names[k]}_frag {`);
        out.push(...ruleBody(rs.rules, c, false, true));
        out.push(...defaultsTail(rs, c, a));
        out.push(`\t}`);
      }
    }
    if (isMonitor) {
      out.push(`\t# monitor ruleset ${rs.name}: marks packets for logging, never decides`);
      out.push(`\tchain mon${k} {`);
      if (split) out.push(`\t\tmeta mark & ${LATER_FRAGMENT_BIT} == ${LATER_FRAGMENT_BIT} goto mon${k}_frag`);
      out.push(...ruleBody(rs.rules, c, true));
      out.push(`\t}`);
      if (split) {
        out.push(`\tchain mon${k}_frag {`);
        out.push(...ruleBody(rs.rules, c, true, true));
        out.push(`\t}`);
      }
    }
  });
  out.push(`\tchain forward {`);
  out.push(`\t\ttype filter hook forward priority filter; policy accept;`);
  out.push(`\t\tjump ${SANITY_CHAIN}`);
  for (const m of markLaterFragments()) out.push(`\t\t${m}`);
  if (stateful) out.push(`\t\tmeta mark set meta mark & ${"0x" + (~0x40000000 >>> 0).toString(16)}`);
  if (policy.monitor !== null && policy.monitor !== undefined) out.push(`\t\tjump mon${policy.monitor}`);
  if (stateful) out.push(`\t\tct state established,related ct mark & ${STATE_BIT} == ${STATE_BIT} counter accept comment "a flow Portcullis tracks"`);
  policy.interfaces.forEach((n, i) => {
    const k = policy.input[i];
    if (k !== null && k !== undefined) out.push(`\t\tiifname ${quote(c.match.ifname(n)!)} jump ${names[k]}`);
  });
  policy.interfaces.forEach((n, i) => {
    const k = policy.output[i];
    if (k !== null && k !== undefined) out.push(`\t\toifname ${quote(c.match.ifname(n)!)} jump ${names[k]}`);
  });
  if (stateful) {
    const tracked = `meta mark & ${STATE_BIT} == ${STATE_BIT}`;
    const syn = `meta l4proto 6 @th,104,8 & 0x17 == 0x02`;
    if (ftp) out.push(`\t\t${tracked} ${syn} th dport 21 ct helper set "ftp-standard" comment "the FTP helper"`);
    out.push(`\t\t${tracked} ${syn} ct mark set ct mark | ${STATE_BIT} comment "a TCP SYN opens a flow"`);
    out.push(`\t\t${tracked} meta l4proto 1 @th,0,8 8 ct mark set ct mark | ${STATE_BIT} comment "an echo request opens a flow"`);
    out.push(`\t\t${tracked} meta l4proto 58 @th,0,8 128 ct mark set ct mark | ${STATE_BIT} comment "an ICMPv6 echo request opens a flow"`);
    out.push(`\t\t${tracked} meta l4proto != { 1, 6, 58 } ct mark set ct mark | ${STATE_BIT} comment "UDP and other protocols open a flow"`);
  }
  out.push(`\t\tcounter accept`);
  out.push(`\t}`);
  out.push(`}`);
  return out.join("\n") + "\n";
}
