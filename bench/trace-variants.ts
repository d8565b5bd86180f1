// Variants of a ClassBench set's own trace, for taking a lookup's time apart
// (docs/benchmarks.md, issue 18's ninth session): each is a data directory
// that `CLASSBENCH_DIR=DIR node --import tsx bench/wasm-ab.ts ... SET:own`
// and `portcullis classify --classbench DIR/SET DIR/SET_trace` read like the
// real one (the rule file linked, the trace written).
//
//   heads      the trace without its repeats (a packet whose five fields equal
//              the packet's before it): every packet a lookup, runs of four
//   sample     N of those heads, drawn with a seeded generator: an index
//              working set small enough to stay in the caches
//   sample-xK  that sample K times over: as many packets streamed as `heads`,
//              the index lines of `sample`
//
//   node --import tsx bench/trace-variants.ts SET OUTDIR [--sample N] [--times K] [--seed S]
import { mkdirSync, readFileSync, symlinkSync, writeFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { classBenchDir } from "./data-dir.ts";
import { rng } from "../test/support/mutate.ts";

/** A trace line's five header fields (addresses, ports, protocol), which decide its lookup. */
function headerKey(line: string): string {
  return line.trim().split(/\s+/).slice(0, 5).join(" ");
}

/** The lines of `lines` that do not repeat the five header fields of the line before them. */
export function heads(lines: string[]): string[] {
  return lines.filter((l, i) => i === 0 || headerKey(l) !== headerKey(lines[i - 1]));
}

/** `n` of `items` (all of them if fewer), drawn without replacement by a generator seeded with `seed` (the tests' mulberry32). */
export function sample<T>(items: T[], n: number, seed: number): T[] {
  const next = rng(seed);
  const a = items.slice();
  const m = Math.min(n, a.length);
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(next() * (a.length - i));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a.slice(0, m);
}

/**
 * Of `keys` (heads' header keys, in order), the share a cache of earlier
 * answers would find: a direct-mapped table of `entries` slots indexed by a
 * 32-bit FNV-1a hash of the key, each lookup that misses taking the slot.
 */
export function cacheHitShare(keys: string[], entries: number): number {
  const slots = new Array<string | undefined>(entries);
  let hits = 0;
  for (const k of keys) {
    let h = 0x811c9dc5;
    for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193) >>> 0;
    const at = h % entries;
    if (slots[at] === k) hits++;
    else slots[at] = k;
  }
  return keys.length ? hits / keys.length : 0;
}

function option(args: string[], name: string, fallback: number): number {
  const at = args.indexOf(name);
  if (at < 0) return fallback;
  const v = Number(args.splice(at, 2)[1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} wants a positive integer`);
  return v;
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const n = option(args, "--sample", 4000);
  const times = option(args, "--times", 12);
  const seed = option(args, "--seed", 1);
  const [set, out] = args;
  if (!set || !out) {
    console.error("usage: node --import tsx bench/trace-variants.ts SET OUTDIR [--sample N] [--times K] [--seed S]");
    process.exit(2);
  }
  const dir = classBenchDir();
  const lines = readFileSync(join(dir, `${set}_trace`), "utf8").split("\n").filter((l) => l.trim() !== "");
  const h = heads(lines);
  const s = sample(h, n, seed);
  const variants: [string, string[]][] = [["heads", h], ["sample", s], [`sample-x${times}`, Array.from({ length: times }, () => s).flat()]];
  for (const [name, trace] of variants) {
    const d = join(out, name);
    mkdirSync(d, { recursive: true });
    const rules = join(d, set);
    rmSync(rules, { force: true }); // a link from an earlier run, even a dangling one
    symlinkSync(resolve(dir, set), rules);
    writeFileSync(join(d, `${set}_trace`), trace.join("\n") + "\n");
    console.log(`${d}: ${trace.length} packets`);
  }
  const keys = h.map(headerKey);
  console.log(`${set}: ${lines.length} packets, ${h.length} heads, ${new Set(keys).size} distinct`);
  // How much a cache of earlier heads' answers could save (docs/benchmarks.md, ninth session).
  const share = (e: number) => `${(100 * cacheHitShare(keys, e)).toFixed(1)}%`;
  console.log(`heads a direct-mapped cache of earlier answers would find: 4,096 slots ${share(4096)}, 16,384 ${share(16384)}, 32,768 ${share(32768)}`);
}
