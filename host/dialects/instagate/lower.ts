// The resolved table to the rule model: one input ruleset per interface,
// holding the table's rules for that interface's zone in table order, each
// rule block expanded to as many model rules as its address and service sets
// need (a model rule tests one prefix per side and one protocol/port range).
import { type Prefix, type Family, prefixCovers } from "../../model/addr.ts";
import type { Appliance } from "../../model/appliance.ts";
import type { Defaults, Policy, Provenance, Rule, Ruleset } from "../../model/rule.ts";
import { anyRule } from "../../model/rule.ts";
import type { AddrField, RuleBlock, Table, ZoneName } from "./ast.ts";
import type { ServicePart } from "./catalogue.ts";
import type { AddrSet, Names } from "./resolve.ts";
import type { Reporter } from "./report.ts";
import { zoneOf, lanipFor } from "./zones.ts";

/** Defaults, as on comparable appliances: LAN may start anything, WAN nothing, DMZ only outward. */
export const ZONE_DEFAULTS: Record<ZoneName, Defaults> = {
  LAN: { inbound: "permit", outbound: "permit", other: "permit" },
  WAN: { inbound: "deny", outbound: "deny", other: "deny" },
  DMZ: { inbound: "deny", outbound: "permit", other: "deny" },
};

/** One way a rule's address field can match: a family, and one prefix test or none. */
interface Alt {
  family: Family | null;
  test: { prefix: Prefix; negate: boolean } | null;
}

/** Drop prefixes that another prefix of the set already contains. */
function minimal(ps: Prefix[]): Prefix[] {
  const out: Prefix[] = [];
  ps.forEach((p, i) => {
    const coveredBy = ps.findIndex((q, j) => j !== i && prefixCovers(q, p) && (!prefixCovers(p, q) || j < i));
    if (coveredBy < 0) out.push(p);
  });
  return out;
}

/** The two halves of a prefix one bit longer. */
function split(p: Prefix): [Prefix, Prefix] {
  const len = p.len + 1;
  const word = Math.floor((len - 1) / 32);
  const bit = (0x80000000 >>> ((len - 1) % 32)) >>> 0;
  const hi = p.words.map((w, i) => (i === word ? (w | bit) >>> 0 : w));
  return [{ family: p.family, len, words: [...p.words] }, { family: p.family, len, words: hi }];
}

/** Every address of the family outside the given prefixes, as a list of prefixes. */
export function complement(excluded: Prefix[], family: Family): Prefix[] {
  let parts: Prefix[] = [{ family, len: 0, words: family === 4 ? [0] : [0, 0, 0, 0] }];
  for (const x of excluded) {
    const next: Prefix[] = [];
    for (const p of parts) {
      if (prefixCovers(x, p)) continue;
      if (!prefixCovers(p, x)) { next.push(p); continue; }
      // Walk down from p to x, keeping the sibling half at each level.
      let cur = p;
      while (cur.len < x.len) {
        const [lo, hi] = split(cur);
        const toward = prefixCovers(lo, x) ? lo : hi;
        next.push(toward === lo ? hi : lo);
        cur = toward;
      }
    }
    parts = next;
  }
  return parts;
}

function alternatives(f: AddrField, set: AddrSet): Alt[] {
  if (f.match === "include") {
    if (set.any) return [{ family: null, test: null }];
    return minimal(set.prefixes).map((prefix) => ({ family: prefix.family, test: { prefix, negate: false } }));
  }
  if (set.any) return [];
  if (set.prefixes.length === 0) return [{ family: null, test: null }];
  // "Exclude X" is every address not in X, in both families.
  const out: Alt[] = [];
  for (const family of [4, 6] as Family[]) {
    const ps = minimal(set.prefixes.filter((p) => p.family === family));
    if (ps.length === 0) out.push({ family, test: null });
    else if (ps.length === 1) out.push({ family, test: { prefix: ps[0], negate: true } });
    else for (const prefix of complement(ps, family)) out.push({ family, test: { prefix, negate: false } });
  }
  return out;
}

export function ruleOrigin(b: RuleBlock): Provenance {
  return {
    dialect: "instagate", file: b.pos.file, line: b.pos.line, column: b.pos.column,
    text: b.lines.join(" | "),
    label: `${b.zone} rule ${b.number}${b.title ? ` "${b.title}"` : ""}`,
  };
}

/** The model rules of one block with LANIP = `lanip`; null if a name did not resolve. */
export function expandBlock(b: RuleBlock, names: Names, lanip: Prefix[]): Rule[] | null {
  const src = names.addr(b.src.ref, lanip);
  const dst = names.addr(b.dst.ref, lanip);
  let parts: (ServicePart | null)[] = [null];
  if (b.services !== "any") {
    const resolved = b.services.map((s) => names.service(s.name, s.pos));
    if (resolved.some((r) => r === null)) return null;
    parts = resolved.flatMap((r) => r!);
  }
  if (!src || !dst) return null;
  const origin = ruleOrigin(b);
  const out: Rule[] = [];
  for (const s of alternatives(b.src, src)) {
    for (const d of alternatives(b.dst, dst)) {
      if (s.family !== null && d.family !== null && s.family !== d.family) continue;
      const family = s.family ?? d.family;
      for (const part of parts) {
        const ranges: ([number, number] | null)[] = part?.ports ?? [null];
        for (const range of ranges) {
          const r = anyRule(b.action === "accept" ? "permit" : "deny", origin);
          r.keepState = r.action === "permit";
          r.family = family;
          r.src = s.test;
          r.dst = d.test;
          if (part) {
            r.proto = part.proto;
            r.icmpType = part.icmpType;
            if (range) r.dport = range[0] === range[1] ? { op: "eq", port: range[0] } : { op: "range", lo: range[0], hi: range[1] };
          }
          out.push(r);
        }
      }
    }
  }
  return out;
}

export interface Lowered {
  policy: Policy;
  /** Per ruleset: the blocks in it and the range of model rules each became. */
  blocks: { block: RuleBlock; first: number; count: number }[][];
}

export function lowerTable(t: Table, names: Names, a: Appliance, rep: Reporter): Lowered | null {
  const rulesets: Ruleset[] = [];
  const blocks: Lowered["blocks"] = [];
  let ok = true;
  for (const i of a.interfaces) {
    const zone = zoneOf(i);
    const lanip = lanipFor(a, i);
    const rules: Rule[] = [];
    const mine: Lowered["blocks"][number] = [];
    for (const b of t.rules.filter((r) => r.zone === zone)) {
      const rs = expandBlock(b, names, lanip);
      if (!rs) { ok = false; continue; }
      if (rs.length === 0) {
        const why = lanip.length === 0 && (b.src.ref.kind === "object" || b.dst.ref.kind === "object") ? ` on ${i.name} (LANIP: the appliance has no LAN address there)` : "";
        rep.warning(b.pos, "IG042", `rule ${b.number} matches nothing${why}: check its Match and address fields`);
      }
      mine.push({ block: b, first: rules.length, count: rs.length });
      rules.push(...rs);
    }
    // Stateful: replies to connections a rule or default accepted pass (once connection tracking runs).
    rulesets.push({ name: `${zone} ${i.name}`, rules, defaults: ZONE_DEFAULTS[zone], stateful: true });
    blocks.push(mine);
  }
  if (!ok) return null;
  const interfaces = a.interfaces.map((i) => i.name);
  return {
    policy: { dialect: "instagate", interfaces, rulesets, input: interfaces.map((_, k) => k), output: interfaces.map(() => null), monitor: null },
    blocks,
  };
}
