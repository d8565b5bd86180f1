// The index's memory, written by the build (build*.ts) when a program is
// loaded and read by the lookup (lookup.ts) per packet; layout.ts says what
// each record holds.
import { Buf } from "./buffer";

/** Quad nodes of every tree (QUAD bytes each). */
export let quads = new Buf();
export let quadCount: u32 = 0;
/** Leaf lists and root tables, in u32 words (list offsets count words). */
export let lists = new Buf();
export let listCount: u32 = 0;
/** Per ruleset: one IX record. */
export let table = new Buf();
export let tableCount: u32 = 0;
/** Per ruleset: GROUPS slots. */
export let trees = new Buf();
/** Bumped on every build, so no walk of an old index is reused (lookup.ts's memo). */
export let generation: u32 = 1;

/** Forget every tree (a new program is being indexed). */
export function resetStore(rulesets: u32): void {
  quadCount = 0;
  listCount = 0;
  tableCount = rulesets;
  generation++;
}

/** Drop the quads and list words made since the counts were `q0` and `l0`. */
export function resetTo(q0: u32, l0: u32): void {
  quadCount = q0;
  listCount = l0;
}

/** Take `n` more quads; returns the first one's index. */
// @ts-ignore: decorator
@inline export function takeQuads(n: u32): u32 {
  let id = quadCount;
  quadCount += n;
  return id;
}

/** Take `n` more list words; returns the first one's offset. */
// @ts-ignore: decorator
@inline export function takeWords(n: u32): u32 {
  let at = listCount;
  listCount += n;
  return at;
}
