// The exact rule-order lint of one ruleset: which rules never decide a
// packet because the rules before them together cover them (and which of
// those rules decide their packets instead), and which rules decide packets
// that the rules after them, or the default, would give the same verdict
// (removing such a rule changes no verdict).
//
// One pass of recursive cutting computes the ruleset's first-match
// partition: a node is a box with the rules that meet it, in order; its
// first rule decides the part of the box it covers, and the rest is cut off
// it field by field. Each decided part is then checked against the rules
// after its decider (the same cutting, stopping at the first disagreement).
// The packets judged are those that reach the ruleset through its interface
// bindings (all packets when it is bound nowhere), whatever other rulesets
// decided first; no connection state.
import type { Policy, Verdict } from "../model/rule.ts";
import { intersect, minus, subset } from "./intervals.ts";
import { type Box, type Shape, shapes, boxIntersects, boxCovers, D_IN, D_OUT } from "./space.ts";
import { type Layout, type SpecRule, Interner, ruleIds, firstIndexes, ShapeRules, rootRules, pairGroups } from "./frame.ts";

export interface DeadRule {
  index: number; // position in the ruleset
  by: number[]; // positions of the earlier rules that decide its packets instead
}

export interface RulesetLint {
  dead: DeadRule[];
  /** Rules that decide packets, all of which the rest of the ruleset would judge the same. */
  redundant: number[];
  /** For every rule that decides some packet: a box of packets it decides. */
  witness: Map<number, { box: Box; shape: Shape }>;
}

interface Piece {
  box: Box;
  list: SpecRule[];
}

function filter(list: SpecRule[], box: Box, dims: number[], skip: SpecRule | null): SpecRule[] {
  const out: SpecRule[] = [];
  for (const r of list) if (r !== skip && boxIntersects(r.box, box, dims)) out.push(r);
  return out;
}

/** Cut `x` by r: the part inside r (with its rules after r), and the parts outside, field by field. */
function cut(x: Piece, r: SpecRule, out: Piece[]): Piece {
  const inner = [...x.box];
  const changed: number[] = [];
  for (const d of r.dims) {
    if (subset(x.box[d], r.box[d])) continue;
    const rest = minus(x.box[d], r.box[d]);
    const dims = [...changed, d];
    // One piece per interval: the rules then split between the pieces below
    // and above r (a search tree), rather than all following one piece.
    for (let i = 0; i < rest.length; i += 2) {
      const piece = [...inner];
      piece[d] = rest.length === 2 ? rest : [rest[i], rest[i + 1]];
      out.push({ box: piece, list: filter(x.list, piece, dims, r) });
    }
    inner[d] = intersect(x.box[d], r.box[d]);
    changed.push(d);
  }
  const after = x.list.slice(x.list.indexOf(r) + 1);
  return { box: inner, list: filter(after, inner, changed, null) };
}

/** Does every packet of the piece get verdict v from its rules, first match, or else from `def`? */
function allJudge(start: Piece, v: Verdict, def: Verdict): boolean {
  const stack = [start];
  while (stack.length) {
    const x = stack.pop()!;
    if (x.list.length === 0) {
      if (def !== v) return false;
      continue;
    }
    if (def === v && x.list.every((r) => r.action === v)) continue;
    const r = x.list[0];
    // r meets the box (lists hold only such rules), so it decides part of it.
    if (r.action !== v) return false;
    if (boxCovers(r.box, x.box, r.dims)) continue;
    cut(x, r, stack);
  }
  return true;
}

export function lintRuleset(p: Policy, rs: number, layout: Layout): RulesetLint {
  const ids = ruleIds(p, new Interner(), new Interner(), false);
  const first = firstIndexes(p);
  const base = first[rs];
  const rules = new ShapeRules(p, layout, first);
  const n = layout.interfaces.length;
  const own = (i: number) => p.interfaces.indexOf(layout.interfaces[i]);
  const bound = p.input.includes(rs) || p.output.includes(rs);
  const groups = pairGroups(n, (i, o) => {
    const reached = !bound || p.input[own(i)] === rs || p.output[own(o)] === rs;
    if (!reached) return "-";
    const dir = layout.direction(i, o);
    const d = p.rulesets[rs].defaults;
    return dir === "inbound" ? d.inbound : dir === "outbound" ? d.outbound : d.other;
  });
  const count = p.rulesets[rs].rules.length;
  const live = new Array<boolean>(count).fill(false);
  const needed = new Array<boolean>(count).fill(false);
  const witness = new Map<number, { box: Box; shape: Shape }>();
  const roots: { shape: Shape; list: SpecRule[]; root: Box }[] = [];
  const allShapes = shapes(n, p.rulesets[rs].rules.some((r) => r.time && (r.time.days !== 0x7fffffff || r.time.months !== 0xfff)));

  for (const g of groups) {
    if (g.key === "-") continue;
    const def = g.key as Verdict;
    allShapes.forEach((shape, si) => {
      const root = [...shape.box];
      root[D_IN] = setOf(g.ins);
      root[D_OUT] = setOf(g.outs);
      const list = rootRules(rules.of(rs, shape, si), root, ids);
      roots.push({ shape, list, root });
      const decide = (r: SpecRule, piece: Piece) => {
        const k = r.index - base;
        if (!live[k]) {
          live[k] = true;
          witness.set(k, { box: piece.box, shape });
        }
        if (!needed[k] && !allJudge(piece, r.action, def)) needed[k] = true;
      };
      const stack: Piece[] = [{ box: root, list }];
      while (stack.length) {
        const x = stack.pop()!;
        if (x.list.length === 0) continue;
        const r = x.list[0];
        if (boxCovers(r.box, x.box, r.dims)) {
          decide(r, { box: x.box, list: x.list.slice(1) });
          continue;
        }
        decide(r, cut(x, r, stack));
      }
    });
  }

  const dead: DeadRule[] = [];
  for (let k = 0; k < count; k++) {
    if (live[k]) continue;
    const by = new Set<number>();
    for (const { list, root } of roots) {
      const me = list.find((r) => r.index - base === k);
      if (!me) continue;
      const earlier = list.slice(0, list.indexOf(me));
      const stack: Piece[] = [{ box: intersectBox(root, me.box), list: filter(earlier, me.box, me.dims, null) }];
      while (stack.length) {
        const x = stack.pop()!;
        if (x.list.length === 0) throw new Error(`lint: rule ${k} of ${p.rulesets[rs].name} found dead but part of it is uncovered`);
        const r = x.list[0];
        by.add(r.index - base);
        if (!boxCovers(r.box, x.box, r.dims)) {
          // Inside r, r decides; only the parts outside need another rule.
          const tmp: Piece[] = [];
          cut(x, r, tmp);
          stack.push(...tmp);
        }
      }
    }
    dead.push({ index: k, by: [...by].sort((a, b) => a - b) });
  }
  const redundant: number[] = [];
  for (let k = 0; k < count; k++) if (live[k] && !needed[k]) redundant.push(k);
  return { dead, redundant, witness };
}

function intersectBox(a: Box, b: Box): Box {
  return a.map((s, d) => intersect(s, b[d]));
}

function setOf(xs: number[]): number[] {
  const s: number[] = [];
  for (const v of [...xs].sort((a, b) => a - b)) {
    if (s.length && s[s.length - 1] === v) s[s.length - 1] = v + 1;
    else s.push(v, v + 1);
  }
  return s;
}
