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
import type { DiagnosticSink } from "../../model/diagnostic.ts";
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

/** Bit `i` (0 = most significant) of a prefix's address. */
const bitOf = (p: Prefix, i: number): number => (p.words[i >>> 5] >>> (31 - (i & 31))) & 1;

interface TrieNode { child: [TrieNode | null, TrieNode | null]; terminal: boolean }
const node = (): TrieNode => ({ child: [null, null], terminal: false });

/**
 * Drop prefixes that another prefix of the set already contains (of equal
 * ones, the first stays), keeping the order. A binary trie per family, filled
 * shortest first: O(n log n + n * bits) where comparing every pair was
 * quadratic (an object list of 30,000 members took minutes).
 */
function minimal(ps: Prefix[]): Prefix[] {
  const order = ps.map((_, i) => i).sort((a, b) => ps[a].len - ps[b].len || a - b);
  const roots = new Map<Family, TrieNode>();
  const keep = new Array<boolean>(ps.length).fill(false);
  for (const i of order) {
    const p = ps[i];
    let n = roots.get(p.family);
    if (!n) roots.set(p.family, (n = node()));
    let covered = n.terminal;
    for (let b = 0; b < p.len && !covered; b++) {
      const bit = bitOf(p, b);
      n = n.child[bit] ?? (n.child[bit] = node());
      covered = n.terminal;
    }
    if (covered) continue;
    n.terminal = true;
    keep[i] = true;
  }
  return ps.filter((_, i) => keep[i]);
}

/** The two halves of a prefix one bit longer. */
function split(p: Prefix): [Prefix, Prefix] {
  const len = p.len + 1;
  const word = Math.floor((len - 1) / 32);
  const bit = (0x80000000 >>> ((len - 1) % 32)) >>> 0;
  const hi = p.words.map((w, i) => (i === word ? (w | bit) >>> 0 : w));
  return [{ family: p.family, len, words: [...p.words] }, { family: p.family, len, words: hi }];
}

/**
 * Every address of the family outside the given prefixes, as a list of
 * disjoint prefixes in address order. The excluded prefixes go into a binary
 * trie; the answer is every missing sibling along its paths. Linear in the
 * excluded prefixes times the address width (splitting a growing list per
 * excluded prefix was quadratic).
 */
export function complement(excluded: Prefix[], family: Family): Prefix[] {
  const zero = family === 4 ? [0] : [0, 0, 0, 0];
  const root = node();
  for (const x of excluded) {
    if (x.family !== family) continue;
    let n = root;
    for (let b = 0; b < x.len && !n.terminal; b++) {
      const bit = bitOf(x, b);
      n = n.child[bit] ?? (n.child[bit] = node());
    }
    n.terminal = true;
    n.child = [null, null]; // everything under an excluded prefix is excluded
  }
  const out: Prefix[] = [];
  if (!root.terminal && !root.child[0] && !root.child[1]) return [{ family, len: 0, words: zero }];
  // Depth first, bit 0 before bit 1, so the output is in address order. Depth <= 128: an explicit stack anyway.
  const stack: { n: TrieNode; p: Prefix }[] = [{ n: root, p: { family, len: 0, words: zero } }];
  while (stack.length) {
    const { n, p } = stack.pop()!;
    if (n.terminal) continue;
    const [lo, hi] = split(p);
    const halves: [TrieNode | null, Prefix][] = [[n.child[0], lo], [n.child[1], hi]];
    const pending: { n: TrieNode; p: Prefix }[] = [];
    for (const [c, half] of halves) {
      if (!c) out.push(half);
      else pending.push({ n: c, p: half });
    }
    // Emit in order: a missing low half is already out; visit the low child before the high one.
    for (let k = pending.length - 1; k >= 0; k--) stack.push(pending[k]);
  }
  return out;
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
    number: b.number,
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

export function lowerTable(t: Table, names: Names, a: Appliance, rep: DiagnosticSink): Lowered | null {
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
        rep.warningAt(b.pos, "IG042", `rule ${b.number} matches nothing${why}: check its Match and address fields`);
      }
      mine.push({ block: b, first: rules.length, count: rs.length });
      for (const r of rs) rules.push(r); // not push(...rs): a rule can expand to more items than a call takes
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
