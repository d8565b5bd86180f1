// The reference matcher: the semantics of the rule model, written for
// clarity over the model itself (not over the byte layout). It is the oracle
// the WebAssembly engine is tested against and the baseline of the benchmarks.
import * as L from "../../assembly/layout.ts";
import { maskWord } from "../model/addr.ts";
import { type Policy, type Rule, type PortTest, portRange, hasLayer4Tests, ruleFamily } from "../model/rule.ts";
import type { PacketHeader, PacketMeta } from "./header.ts";

export interface Decision {
  verdict: "permit" | "deny";
  rule: number; // global index of the deciding rule, -1 if a default decided
  reason: number; // REASON_*
  stage: "input" | "output" | "none";
  inputRule: number;
  outputRule: number;
  monitorRule: number; // first matching rule of the monitor ruleset (log only), -1 if none
}

function inPrefix(words: number[], len: number, addr: number[]): boolean {
  return words.every((w, i) => ((addr[i] & maskWord(len, i)) >>> 0) === w);
}

function portMatches(t: PortTest, port: number): boolean {
  const { lo, hi, negate } = portRange(t);
  const inside = port >= lo && port <= hi;
  return negate ? !inside : inside;
}

function timeMatches(r: Rule, m: PacketMeta): boolean {
  const w = r.time!;
  const minute = m.minuteOfDay;
  const inWindow = w.minuteFrom <= w.minuteTo
    ? minute >= w.minuteFrom && minute <= w.minuteTo
    : minute >= w.minuteFrom || minute <= w.minuteTo;
  return inWindow
    && ((w.daysOfWeek >> m.dayOfWeek) & 1) === 1
    && m.day >= 1 && ((w.days >> (m.day - 1)) & 1) === 1
    && m.month >= 1 && ((w.months >> (m.month - 1)) & 1) === 1;
}

/**
 * Does `rule` match the packet? For a non-first fragment only the layer-3
 * tests apply: a permit rule with layer-4 tests then matches, a deny rule
 * with layer-4 tests does not (dialects.md, Cisco's rule).
 */
export function ruleMatches(rule: Rule, h: PacketHeader, m: PacketMeta, interfaces: string[]): boolean {
  const later = h.frag === "later";
  if (later && hasLayer4Tests(rule) && rule.action === "deny") return false;
  const fam = ruleFamily(rule);
  if (fam !== null && fam !== h.family) return false;
  if (rule.proto !== null && rule.proto !== h.proto) return false;
  if (rule.src && inPrefix(rule.src.prefix.words, rule.src.prefix.len, h.src) === rule.src.negate) return false;
  if (rule.dst && inPrefix(rule.dst.prefix.words, rule.dst.prefix.len, h.dst) === rule.dst.negate) return false;
  if (!later) {
    if (rule.sport && (h.sport === null || !portMatches(rule.sport, h.sport))) return false;
    if (rule.dport && (h.dport === null || !portMatches(rule.dport, h.dport))) return false;
    if (rule.icmpType !== null && h.icmpType !== rule.icmpType) return false;
    if (rule.icmpCode !== null && h.icmpCode !== rule.icmpCode) return false;
    if (rule.flags) {
      if (h.tcpFlags === null) return false;
      const f = h.tcpFlags & rule.flags.mask;
      if (rule.flags.mode === "any" ? f === 0 : f !== (rule.flags.value & rule.flags.mask)) return false;
    }
  }
  if (rule.ifIn !== null && interfaces.indexOf(rule.ifIn) !== m.ifIn) return false;
  if (rule.ifOut !== null && interfaces.indexOf(rule.ifOut) !== m.ifOut) return false;
  if (rule.time && !timeMatches(rule, m)) return false;
  return true;
}

export class ReferenceEngine {
  private firstIndex: number[] = [];
  readonly counters: { packets: number; bytes: number }[] = [];

  constructor(readonly policy: Policy) {
    let n = 0;
    for (const rs of policy.rulesets) {
      this.firstIndex.push(n);
      n += rs.rules.length;
    }
    for (let i = 0; i < n; i++) this.counters.push({ packets: 0, bytes: 0 });
  }

  /** First match in one ruleset: the global rule index, or -1. */
  firstMatch(rsIndex: number, h: PacketHeader, m: PacketMeta): number {
    const rs = this.policy.rulesets[rsIndex];
    for (let i = 0; i < rs.rules.length; i++) {
      if (ruleMatches(rs.rules[i], h, m, this.policy.interfaces)) return this.firstIndex[rsIndex] + i;
    }
    return -1;
  }

  private stage(rsIndex: number, h: PacketHeader, m: PacketMeta): { rule: number; verdict: "permit" | "deny" } {
    const rule = this.firstMatch(rsIndex, h, m);
    if (rule >= 0) {
      this.counters[rule].packets++;
      this.counters[rule].bytes += h.length;
      return { rule, verdict: this.policy.rulesets[rsIndex].rules[rule - this.firstIndex[rsIndex]].action };
    }
    const d = this.policy.rulesets[rsIndex].defaults;
    return { rule, verdict: m.dir === L.DIR_INBOUND ? d.inbound : m.dir === L.DIR_OUTBOUND ? d.outbound : d.other };
  }

  /**
   * The whole pipeline: input ruleset of the ingress interface, then output
   * ruleset of the egress one; then the monitor ruleset, which only marks.
   */
  classify(h: PacketHeader, m: PacketMeta): Decision {
    if (h.reason !== L.REASON_OK) {
      return { verdict: "deny", rule: -1, reason: h.reason, stage: "none", inputRule: -1, outputRule: -1, monitorRule: -1 };
    }
    // Neighbour discovery passes unfiltered, as ARP does: no rule, no counter, no monitor rule.
    if (h.nd) {
      return { verdict: "permit", rule: -1, reason: L.REASON_NEIGHBOUR_DISCOVERY, stage: "none", inputRule: -1, outputRule: -1, monitorRule: -1 };
    }
    const d = this.decide(h, m);
    const mon = this.policy.monitor ?? null;
    if (mon !== null) {
      d.monitorRule = this.firstMatch(mon, h, m);
      if (d.monitorRule >= 0) {
        this.counters[d.monitorRule].packets++;
        this.counters[d.monitorRule].bytes += h.length;
      }
    }
    return d;
  }

  private decide(h: PacketHeader, m: PacketMeta): Decision {
    const inRs = this.policy.input[m.ifIn] ?? null;
    const outRs = this.policy.output[m.ifOut] ?? null;
    let inputRule = -1;
    if (inRs !== null) {
      const s = this.stage(inRs, h, m);
      inputRule = s.rule;
      if (s.verdict === "deny" || outRs === null) {
        return { verdict: s.verdict, rule: s.rule, reason: s.rule >= 0 ? L.REASON_MATCHED : L.REASON_DEFAULT, stage: "input", inputRule, outputRule: -1, monitorRule: -1 };
      }
    }
    if (outRs !== null) {
      const s = this.stage(outRs, h, m);
      return { verdict: s.verdict, rule: s.rule, reason: s.rule >= 0 ? L.REASON_MATCHED : L.REASON_DEFAULT, stage: "output", inputRule, outputRule: s.rule, monitorRule: -1 };
    }
    return { verdict: "permit", rule: -1, reason: L.REASON_NO_FILTER, stage: "none", inputRule: -1, outputRule: -1, monitorRule: -1 };
  }
}
