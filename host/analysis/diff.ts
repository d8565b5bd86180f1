// The exact semantic diff of two policies: every packet whose verdict (or
// deciding rule) differs, as disjoint boxes of the header space.
//
// Recursive cutting, per root box (a packet shape times a group of interface
// pairs that both policies treat alike): a node is a box with, for each
// policy and stage, the rules that meet it, in order. A node stops when the
// two policies' lists are the same (nothing can differ inside), or when both
// policies are decided throughout the box (the first rule of each list
// covers it, or the list is empty and the default applies); it is emitted
// when those decisions differ. Otherwise the box is cut by one rule's box:
// preferably a rule one policy has and the other lacks, so that everything
// outside the changed rules is pruned at once; else the first rule that
// keeps a policy undecided. Judged like `explain`: no connection state.
import type { Policy, Verdict } from "../model/rule.ts";
import { type ISet, intersect, minus, subset, union, key as setKey } from "./intervals.ts";
import { type Box, type Shape, shapes, boxIntersects, boxCovers, NDIMS, D_IN, D_OUT, D_DAY, D_MONTH } from "./space.ts";
import { flatten, LIST_FIELDS } from "./describe.ts";
import { type Layout, type SpecRule, type StageFrame, framesOf, Interner, ruleIds, firstIndexes, ShapeRules, rootRules, pairGroups } from "./frame.ts";

/** Who decided: a rule, a ruleset's default, or no filter at all. */
export interface Outcome {
  verdict: Verdict;
  rule: SpecRule | null;
  defaultOf: string | null; // ruleset name, when its default decided
  key: string; // equal keys: same verdict and same deciding rule identity
}

export interface Region {
  box: Box;
  shape: Shape;
  old: Outcome;
  new: Outcome;
}

export interface DiffResult {
  regions: Region[];
  nodes: number;
}

export interface DiffOptions {
  verdictOnly: boolean;
}

interface Side {
  frames: StageFrame[];
  lists: SpecRule[][]; // per stage
}

interface Node {
  box: Box;
  old: SpecRule[][];
  new: SpecRule[][];
}

function usesRealDates(ps: Policy[]): boolean {
  return ps.some((p) => p.rulesets.some((rs) => rs.rules.some((r) => r.time && (r.time.days !== 0x7fffffff || r.time.months !== 0xfff))));
}

const NO_FILTER: Outcome = { verdict: "permit", rule: null, defaultOf: null, key: "permit|no filter" };

function ruleOutcome(r: SpecRule): Outcome {
  return { verdict: r.action, rule: r, defaultOf: null, key: `${r.action}|r${r.ident}` };
}

function defaultOutcome(f: StageFrame): Outcome {
  return { verdict: f.default, rule: null, defaultOf: f.name, key: `${f.default}|d${f.name}` };
}

/** The decision of one policy throughout box x, or the rule to cut by. */
function resolve(frames: StageFrame[], lists: SpecRule[][], x: Box): Outcome | SpecRule {
  for (let k = 0; k < frames.length; k++) {
    const list = lists[k];
    const last = k === frames.length - 1;
    if (list.length === 0) {
      if (frames[k].default === "deny" || last) return defaultOutcome(frames[k]);
      continue;
    }
    const r = list[0];
    if (!boxCovers(r.box, x, r.dims)) return r;
    if (r.action === "deny" || last) return ruleOutcome(r);
  }
  return NO_FILTER;
}

function isOutcome(v: Outcome | SpecRule): v is Outcome {
  return (v as Outcome).key !== undefined;
}

function filter(list: SpecRule[], box: Box, dims: number[]): SpecRule[] {
  const out: SpecRule[] = [];
  for (const r of list) if (boxIntersects(r.box, box, dims)) out.push(r);
  return out;
}

function sameLists(a: SpecRule[][], b: SpecRule[][]): boolean {
  for (let k = 0; k < a.length; k++) {
    const x = a[k], y = b[k];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (x[i].sem !== y[i].sem) return false;
  }
  return true;
}

export function diffPolicies(oldP: Policy, newP: Policy, layout: Layout, opts: DiffOptions): DiffResult {
  const idents = new Interner();
  const sems = new Interner();
  const oldIds = ruleIds(oldP, idents, sems, opts.verdictOnly);
  const newIds = ruleIds(newP, idents, sems, opts.verdictOnly);
  const stampOld = new Int32Array(sems.size).fill(-1);
  const stampNew = new Int32Array(sems.size).fill(-1);
  const oldRules = new ShapeRules(oldP, layout, firstIndexes(oldP));
  const newRules = new ShapeRules(newP, layout, firstIndexes(newP));
  const n = layout.interfaces.length;
  const frameKey = (fs: StageFrame[]) => fs.map((f) => `${f.rs}:${f.default}`).join(",");
  const groups = pairGroups(n, (i, o) => `${frameKey(framesOf(oldP, layout, i, o))}/${frameKey(framesOf(newP, layout, i, o))}`);
  const regions: Region[] = [];
  let nodes = 0;
  const allShapes = shapes(n, usesRealDates([oldP, newP]));
  const setOf = (xs: number[]): ISet => {
    const s: ISet = [];
    for (const v of [...xs].sort((a, b) => a - b)) {
      if (s.length && s[s.length - 1] === v) s[s.length - 1] = v + 1;
      else s.push(v, v + 1);
    }
    return s;
  };

  for (const g of groups) {
    const oldF = framesOf(oldP, layout, g.ins[0], g.outs[0]);
    const newF = framesOf(newP, layout, g.ins[0], g.outs[0]);
    const sameFrame = oldF.length === newF.length && oldF.every((f, k) => f.default === newF[k].default && (opts.verdictOnly || f.name === newF[k].name));
    allShapes.forEach((shape, si) => {
      const root = [...shape.box];
      root[D_IN] = setOf(g.ins);
      root[D_OUT] = setOf(g.outs);
      const oldSide: Side = { frames: oldF, lists: oldF.map((f) => rootRules(oldRules.of(f.rs, shape, si), root, oldIds)) };
      const newSide: Side = { frames: newF, lists: newF.map((f) => rootRules(newRules.of(f.rs, shape, si), root, newIds)) };
      const stack: Node[] = [{ box: root, old: oldSide.lists, new: newSide.lists }];
      while (stack.length) {
        const x = stack.pop()!;
        nodes++;
        if (sameFrame && sameLists(x.old, x.new)) continue;
        const o = resolve(oldF, x.old, x.box);
        const w = resolve(newF, x.new, x.box);
        if (isOutcome(o) && isOutcome(w)) {
          const differ = opts.verdictOnly ? o.verdict !== w.verdict : o.key !== w.key;
          if (differ) regions.push({ box: x.box, shape, old: o, new: w });
          continue;
        }
        let by: SpecRule | null = sameFrame ? changedRule(x, nodes) : null;
        if (!by) by = !isOutcome(o) ? o : (w as SpecRule);
        cutNode(x, by, stack);
      }
    });
  }

  /** A rule in one policy's lists but not the other's that does not cover the box. */
  function changedRule(x: Node, stamp: number): SpecRule | null {
    for (const l of x.new) for (const r of l) stampNew[r.sem] = stamp;
    for (const l of x.old) for (const r of l) stampOld[r.sem] = stamp;
    for (const l of x.old) for (const r of l) if (stampNew[r.sem] !== stamp && !boxCovers(r.box, x.box, r.dims)) return r;
    for (const l of x.new) for (const r of l) if (stampOld[r.sem] !== stamp && !boxCovers(r.box, x.box, r.dims)) return r;
    return null;
  }

  return { regions, nodes };
}

/** Cut x by r's box: the part inside r, and the parts outside it, field by field. */
function cutNode(x: Node, r: SpecRule, stack: Node[]): void {
  const inner = [...x.box];
  const changed: number[] = [];
  for (const d of r.dims) {
    if (subset(x.box[d], r.box[d])) continue;
    const out = minus(x.box[d], r.box[d]);
    const dims = [...changed, d];
    // One piece per interval, so that the rules split between the pieces below and above r.
    for (let i = 0; i < out.length; i += 2) {
      const piece = [...inner];
      piece[d] = out.length === 2 ? out : [out[i], out[i + 1]];
      stack.push({ box: piece, old: x.old.map((l) => filter(l, piece, dims)), new: x.new.map((l) => filter(l, piece, dims)) });
    }
    inner[d] = intersect(x.box[d], r.box[d]);
    changed.push(d);
  }
  stack.push({ box: inner, old: x.old.map((l) => filter(l, inner, changed)), new: x.new.map((l) => filter(l, inner, changed)) });
}

// ---- merging ----

function keyExcept(b: Box, d: number): string {
  let s = "";
  for (let i = 0; i < NDIMS; i++) if (i !== d) s += setKey(b[i]) + "|";
  return s;
}

/**
 * Merge boxes that differ in one field only and touch there (so the merged
 * field is still one interval; the flags field, a list in the JSON, may be
 * any set), until none do.
 */
export function mergeBoxes(boxes: Box[]): Box[] {
  let cur = boxes;
  let changed = true;
  while (changed && cur.length > 1) {
    changed = false;
    for (let d = 0; d < NDIMS; d++) {
      const buckets = new Map<string, Box[]>();
      for (const b of cur) {
        const k = keyExcept(b, d);
        const g = buckets.get(k);
        if (g) g.push(b);
        else buckets.set(k, [b]);
      }
      const next: Box[] = [];
      for (const g of buckets.values()) {
        if (g.length === 1) {
          next.push(g[0]);
          continue;
        }
        if (LIST_FIELDS.includes(d)) {
          const m = [...g[0]];
          for (const b of g.slice(1)) m[d] = union(m[d], b[d]);
          next.push(m);
          changed = true;
          continue;
        }
        g.sort((a, b) => (a[d][0] < b[d][0] ? -1 : a[d][0] > b[d][0] ? 1 : 0));
        let run = g[0];
        for (const b of g.slice(1)) {
          if (run[d].length === 2 && b[d].length === 2 && run[d][1] === b[d][0]) {
            run = [...run];
            run[d] = [run[d][0], b[d][1]];
            changed = true;
          } else {
            next.push(run);
            run = b;
          }
        }
        next.push(run);
      }
      cur = next;
    }
  }
  return cur;
}

/** Regions with the same pair of decisions (and shape) merged. */
export function mergeRegions(regions: Region[], nIfaces: number): Region[] {
  const groups = new Map<string, Region[]>();
  for (const r of regions) {
    const k = `${r.shape.family}/${r.shape.name}/${setKey(r.shape.box[D_MONTH])}/${setKey(r.shape.box[D_DAY])}/${r.old.key}/${r.new.key}`;
    const g = groups.get(k);
    if (g) g.push(r);
    else groups.set(k, [r]);
  }
  const out: Region[] = [];
  for (const g of groups.values()) {
    for (const box of mergeBoxes(g.flatMap((r) => flatten(r.box, nIfaces)))) out.push({ ...g[0], box });
  }
  return out;
}
