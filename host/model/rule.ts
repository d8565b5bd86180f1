// The vendor-neutral rule model: every dialect parses into it, the encoder
// lowers it to the byte layout, and the reference matcher runs it directly.
import type { Prefix } from "./addr.ts";

export type Action = "permit" | "deny";
export type Verdict = Action;

/** `eq neq lt gt` compare with one port; `range` is inclusive; `lt`/`gt` are strict. */
export type PortTest =
  | { op: "eq" | "neq" | "lt" | "gt"; port: number }
  | { op: "range"; lo: number; hi: number };

/** TCP flags test: `all`: (flags & mask) == value; `any`: (flags & mask) != 0. */
export interface FlagsTest {
  mask: number;
  value: number;
  mode: "all" | "any";
}

/** A time window in the appliance's local time (Windows CE's time masks). */
export interface TimeWindow {
  minuteFrom: number; // 0..1439, inclusive
  minuteTo: number; // inclusive; from > to wraps past midnight
  daysOfWeek: number; // bit 0 Sunday .. bit 6 Saturday; 0x7f every day
  days: number; // bit d-1 for day d of the month; 0x7fffffff every day
  months: number; // bit m-1 for month m; 0xfff every month
}

/** Where a rule came from, so every verdict can name its config line. */
export interface Provenance {
  dialect: string;
  file: string;
  line: number;
  column: number;
  text: string; // the original config text of the rule
  label?: string; // the dialect's own name for it: "filter inbound rule 10", a registry key...
  /** The dialect's own rule number, where its rules are numbered (PortMaster's `set filter F N`, an InstaGate table's rule N): logs name it. */
  number?: number;
}

export interface Rule {
  action: Action;
  log: boolean;
  notify: boolean;
  keepState: boolean; // a permitted packet creates a tracked flow whose replies pass
  ifIn: string | null; // interface name, null = any
  ifOut: string | null;
  family: 4 | 6 | null; // null = any; implied by src/dst when those are set
  src: { prefix: Prefix; negate: boolean } | null;
  dst: { prefix: Prefix; negate: boolean } | null;
  proto: number | null; // IP protocol number, null = any
  sport: PortTest | null;
  dport: PortTest | null;
  icmpType: number | null;
  icmpCode: number | null;
  flags: FlagsTest | null;
  time: TimeWindow | null;
  origin: Provenance;
}

export interface Defaults {
  inbound: Verdict; // public -> private
  outbound: Verdict; // private -> public
  other: Verdict; // anything else (same role, unknown interface)
}

export interface Ruleset {
  name: string;
  rules: Rule[];
  defaults: Defaults;
  stateful: boolean;
}

/**
 * A loaded configuration: rulesets and where they apply. A packet passes the
 * input ruleset of the interface it arrives on, then the output ruleset of the
 * interface it leaves by; an interface with none bound passes everything.
 */
export interface Policy {
  dialect: string;
  interfaces: string[]; // interface names; the index is the interface id
  rulesets: Ruleset[];
  input: (number | null)[]; // per interface id: ruleset index
  output: (number | null)[];
  /** A ruleset consulted for every packet only to mark it for logging (never decides); null = none. */
  monitor?: number | null;
  /** A denied packet makes the appliance send an ICMP unreachable to its source (PortMaster; rate-limited by the runtime). */
  unreachables?: boolean;
}

export const TCP_FLAG_BITS: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };

/** Cisco's and our `established`: ACK or RST set. */
export const ESTABLISHED: FlagsTest = { mask: 16 | 4, value: 0, mode: "any" };

export function anyRule(action: Action, origin: Provenance): Rule {
  return {
    action, log: false, notify: false, keepState: false, ifIn: null, ifOut: null, family: null,
    src: null, dst: null, proto: null, sport: null, dport: null, icmpType: null, icmpCode: null,
    flags: null, time: null, origin,
  };
}

/** The port range a test accepts, and whether it is negated (neq). Empty when lo > hi. */
export function portRange(t: PortTest): { lo: number; hi: number; negate: boolean } {
  switch (t.op) {
    case "eq": return { lo: t.port, hi: t.port, negate: false };
    case "neq": return { lo: t.port, hi: t.port, negate: true };
    case "lt": return { lo: 0, hi: t.port - 1, negate: false };
    case "gt": return { lo: t.port + 1, hi: 65535, negate: false };
    case "range": return { lo: t.lo, hi: t.hi, negate: false };
  }
}

/** Does the rule test anything a non-first fragment does not carry? */
export function hasLayer4Tests(r: Rule): boolean {
  return r.sport !== null || r.dport !== null || r.icmpType !== null || r.icmpCode !== null || r.flags !== null;
}

/** The address family a rule applies to (explicit, or implied by a prefix). */
export function ruleFamily(r: Rule): 4 | 6 | null {
  return r.family ?? r.src?.prefix.family ?? r.dst?.prefix.family ?? null;
}

export function totalRules(p: Policy): number {
  return p.rulesets.reduce((n, rs) => n + rs.rules.length, 0);
}

/** The rules of a policy in global index order (the order of the byte layout). */
export function allRules(p: Policy): Rule[] {
  return p.rulesets.flatMap((rs) => rs.rules);
}

/** The rule at a global index, and the ruleset it belongs to. */
export function ruleAt(p: Policy, index: number): { rule: Rule; ruleset: Ruleset; rulesetIndex: number; position: number } | null {
  let i = index;
  if (i < 0) return null;
  for (let k = 0; k < p.rulesets.length; k++) {
    const rs = p.rulesets[k];
    if (i < rs.rules.length) return { rule: rs.rules[i], ruleset: rs, rulesetIndex: k, position: i };
    i -= rs.rules.length;
  }
  return null;
}

/** A program rule as `explain --json`, the console's tester and scripts name it. */
export interface RuleReference {
  index: number; // the rule's global index in the program (the matcher's answer)
  file: string;
  line: number;
  text: string;
  ruleset: string;
  label: string | null; // the dialect's own name for it
}

/** Rule `index` of the program with its ruleset and provenance, or null when there is none. */
export function ruleReference(p: Policy, index: number): RuleReference | null {
  const at = ruleAt(p, index);
  if (!at) return null;
  const o = at.rule.origin;
  return { index, file: o.file, line: o.line, text: o.text, ruleset: at.ruleset.name, label: o.label ?? null };
}

/** "rules.cfg:12" */
export function whereFrom(o: Provenance): string {
  return `${o.file}:${o.line}`;
}
