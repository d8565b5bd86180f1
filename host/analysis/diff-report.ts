// The answer of `portcullis diff` as data: the merged regions, each split
// into fields of one interval (the JSON contract), with its decisions and an
// example packet, in a stable order.
import type { Policy } from "../model/rule.ts";
import { type Outcome, diffPolicies, mergeRegions } from "./diff.ts";
import type { Layout } from "./frame.ts";
import { regionJson, regionText, examplePacket } from "./describe.ts";
import { type Box, type Shape, NDIMS } from "./space.ts";

export interface Decision {
  verdict: "permit" | "deny";
  rule: { file: string; line: number; text: string } | null;
  reason: string;
}

export interface Change {
  region: Record<string, unknown>;
  example: string;
  old: Decision;
  new: Decision;
  /** Not in the JSON: for the text output and the tests. */
  words: string;
  box: Box;
  shape: Shape;
  oldOutcome: Outcome;
  newOutcome: Outcome;
}

export interface DiffReport {
  equivalent: boolean;
  changes: Change[];
  nodes: number;
  ms: number;
}

function decision(o: Outcome): Decision {
  if (o.rule) {
    const g = o.rule.rule.origin;
    return { verdict: o.verdict, rule: { file: g.file, line: g.line, text: g.text }, reason: "matched rule" };
  }
  return { verdict: o.verdict, rule: null, reason: o.defaultOf !== null ? `default: default of ${o.defaultOf} (${o.verdict})` : "no filter" };
}

function compareBoxes(a: Box, b: Box): number {
  for (let d = 0; d < NDIMS; d++) {
    const x = a[d], y = b[d];
    for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
    if (x.length !== y.length) return x.length - y.length;
  }
  return 0;
}

export function diffReport(oldP: Policy, newP: Policy, layout: Layout, verdictOnly: boolean): DiffReport {
  const t0 = performance.now();
  const raw = diffPolicies(oldP, newP, layout, { verdictOnly });
  const merged = mergeRegions(raw.regions, layout.interfaces.length);
  const changes: Change[] = [];
  for (const r of merged) {
    for (const box of [r.box]) {
      changes.push({
        region: regionJson(box, r.shape, layout.interfaces),
        example: examplePacket(box, r.shape, layout.interfaces),
        old: decision(r.old),
        new: decision(r.new),
        words: regionText(box, r.shape, layout.interfaces),
        box, shape: r.shape, oldOutcome: r.old, newOutcome: r.new,
      });
    }
  }
  const fam = (c: Change) => c.shape.family;
  changes.sort((a, b) => fam(a) - fam(b) || compareBoxes(a.box, b.box) || (a.shape.name < b.shape.name ? -1 : a.shape.name > b.shape.name ? 1 : 0));
  return { equivalent: changes.length === 0, changes, nodes: raw.nodes, ms: performance.now() - t0 };
}

/** The JSON object of `diff --json` (../shared/notes/cli.md). */
export function diffJson(r: DiffReport): unknown {
  return {
    equivalent: r.equivalent,
    changes: r.changes.map((c) => ({ region: c.region, example: c.example, old: c.old, new: c.new })),
    stats: { regions: r.changes.length, ms: Math.round(r.ms) },
  };
}
