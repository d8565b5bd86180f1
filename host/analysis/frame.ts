// How a policy judges the packets between one pair of interfaces, as the
// analyses need it: the stages (input ruleset of the ingress interface, then
// output ruleset of the egress one, as in host/engine/reference.ts), each
// with the default verdict for that pair's direction, and each rule of a
// stage as a box of the header space.
import type { Policy, Rule, Verdict } from "../model/rule.ts";
import type { Direction } from "../model/appliance.ts";
import { type Box, type Shape, ruleBox, narrowedDims, D_IN, D_OUT } from "./space.ts";
import { intersect, isEmpty } from "./intervals.ts";

/** Where packets are judged: the interface names (index = the space's index) and the direction of each pair. */
export interface Layout {
  interfaces: string[];
  direction: (ifIn: number, ifOut: number) => Direction;
}

export interface StageFrame {
  rs: number; // ruleset index in its policy
  name: string;
  default: Verdict; // for the pair's direction
}

/** The stages a packet from ifIn to ifOut meets: 0, 1 or 2. */
export function framesOf(p: Policy, layout: Layout, ifIn: number, ifOut: number): StageFrame[] {
  const own = (i: number) => p.interfaces.indexOf(layout.interfaces[i]);
  const at = (list: (number | null)[], i: number) => {
    const k = own(i);
    return k < 0 ? null : (list[k] ?? null);
  };
  const dir = layout.direction(ifIn, ifOut);
  const out: StageFrame[] = [];
  for (const rs of [at(p.input, ifIn), at(p.output, ifOut)]) {
    if (rs === null) continue;
    const r = p.rulesets[rs];
    out.push({ rs, name: r.name, default: dir === "inbound" ? r.defaults.inbound : dir === "outbound" ? r.defaults.outbound : r.defaults.other });
  }
  return out;
}

/** A rule within one root box: its box there and the fields it narrows. */
export interface SpecRule {
  box: Box;
  dims: number[];
  action: Verdict;
  rule: Rule;
  index: number; // global index in its policy
  ident: number; // identity: ruleset name + text
  sem: number; // same sem = same identity, action and packets (or, verdict-only, same action and packets)
}

/** Interns strings as small integers. */
export class Interner {
  private map = new Map<string, number>();
  id(s: string): number {
    let v = this.map.get(s);
    if (v === undefined) {
      v = this.map.size;
      this.map.set(s, v);
    }
    return v;
  }
  get size(): number {
    return this.map.size;
  }
}

export function matchKey(r: Rule): string {
  return JSON.stringify([r.action, r.ifIn, r.ifOut, r.family, r.src, r.dst, r.proto, r.sport, r.dport, r.icmpType, r.icmpCode, r.flags, r.time]);
}

/** Identity and semantic ids of every rule of a policy, by global index. */
export function ruleIds(p: Policy, idents: Interner, sems: Interner, verdictOnly: boolean): { ident: number[]; sem: number[] } {
  const ident: number[] = [];
  const sem: number[] = [];
  for (const rs of p.rulesets) {
    for (const r of rs.rules) {
      const id = `${rs.name}\u0000${r.origin.text}`;
      ident.push(idents.id(id));
      sem.push(sems.id(verdictOnly ? matchKey(r) : `${id}\u0000${matchKey(r)}`));
    }
  }
  return { ident, sem };
}

/** The first global index of each ruleset. */
export function firstIndexes(p: Policy): number[] {
  const out: number[] = [];
  let n = 0;
  for (const rs of p.rulesets) {
    out.push(n);
    n += rs.rules.length;
  }
  return out;
}

/**
 * The rules of ruleset `rs` as boxes of one shape (cached per shape, since
 * every root of a shape starts from them), before narrowing to a root.
 */
export class ShapeRules {
  private cache = new Map<string, { box: Box; rule: Rule; index: number }[]>();
  constructor(private p: Policy, private layout: Layout, private first: number[]) {}

  of(rs: number, shape: Shape, shapeIndex: number): { box: Box; rule: Rule; index: number }[] {
    const k = `${rs}/${shapeIndex}`;
    let v = this.cache.get(k);
    if (!v) {
      const idx = (name: string) => this.layout.interfaces.indexOf(name);
      v = [];
      this.p.rulesets[rs].rules.forEach((rule, i) => {
        const box = ruleBox(rule, shape, idx);
        if (box) v!.push({ box, rule, index: this.first[rs] + i });
      });
      this.cache.set(k, v);
    }
    return v;
  }
}

/** Narrow shape-level rule boxes to a root (its interface sets). */
export function rootRules(list: { box: Box; rule: Rule; index: number }[], root: Box, ids: { ident: number[]; sem: number[] }): SpecRule[] {
  const out: SpecRule[] = [];
  for (const x of list) {
    let box = x.box;
    if (box[D_IN] !== root[D_IN] || box[D_OUT] !== root[D_OUT]) {
      const i = intersect(box[D_IN], root[D_IN]);
      const o = intersect(box[D_OUT], root[D_OUT]);
      if (isEmpty(i) || isEmpty(o)) continue;
      box = [...box];
      box[D_IN] = i;
      box[D_OUT] = o;
    }
    out.push({ box, dims: narrowedDims(box, root), action: x.rule.action, rule: x.rule, index: x.index, ident: ids.ident[x.index], sem: ids.sem[x.index] });
  }
  return out;
}

/**
 * Split the interface pairs into groups of the same key, each group as boxes
 * (a set of ingress interfaces times a set of egress ones).
 */
export function pairGroups(n: number, keyOf: (i: number, o: number) => string): { key: string; ins: number[]; outs: number[] }[] {
  const byKey = new Map<string, Map<number, number[]>>();
  for (let i = 0; i < n; i++) {
    for (let o = 0; o < n; o++) {
      const k = keyOf(i, o);
      let m = byKey.get(k);
      if (!m) byKey.set(k, (m = new Map()));
      let outs = m.get(i);
      if (!outs) m.set(i, (outs = []));
      outs.push(o);
    }
  }
  const res: { key: string; ins: number[]; outs: number[] }[] = [];
  for (const [key, m] of byKey) {
    const byOuts = new Map<string, { ins: number[]; outs: number[] }>();
    for (const [i, outs] of m) {
      const ok = outs.join(",");
      const g = byOuts.get(ok);
      if (g) g.ins.push(i);
      else byOuts.set(ok, { ins: [i], outs });
    }
    for (const g of byOuts.values()) res.push({ key, ...g });
  }
  return res;
}
