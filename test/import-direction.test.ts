// Layers point down: every import in host/ goes from a folder to one in a
// lower layer (or stays in its folder), and no files import each other in a
// cycle. The layer order is read from the README's "Layers" list, written
// there once.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, dirname, relative, normalize } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const HOST = join(ROOT, "host");

/** Layer of each folder name ("host/*.ts" files count as the folder "host"), 1 = top. */
export function readLayers(readme: string): Map<string, number> {
  const start = readme.indexOf("<!-- layers: top to bottom -->");
  const end = readme.indexOf("<!-- /layers -->");
  if (start < 0 || end < start) throw new Error("README has no layers list");
  const layers = new Map<string, number>();
  for (const line of readme.slice(start, end).split("\n")) {
    const m = /^(\d+)\. (.*?):/.exec(line);
    if (!m) continue;
    for (const name of m[2].matchAll(/`([^`]+)`/g)) layers.set(name[1] === "host/*.ts" ? "host" : name[1], Number(m[1]));
  }
  return layers;
}

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(ts|mjs)$/.test(name)) out.push(p);
  }
  return out;
}

/** Relative specifiers a file imports: static, type-only, re-exports, side-effect and dynamic imports. */
export function importsOf(text: string): string[] {
  const out: string[] = [];
  const re = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)["']([^"']+)["']/gm;
  for (const m of text.matchAll(re)) if (m[1].startsWith(".")) out.push(m[1]);
  return out;
}

/** The folder an import target or source belongs to, for layering: host/X/... -> X, host/f.ts -> host, assembly/... -> assembly. */
function folderOf(path: string): string {
  const rel = relative(ROOT, path).split(/[\\/]/);
  if (rel[0] === "host") return rel.length > 2 ? rel[1] : "host";
  return rel[0];
}

export interface Edge { from: string; to: string }

/** The imports that break the order: to a higher layer, or sideways to another folder of the same layer. */
export function violations(edges: Edge[], layers: Map<string, number>): string[] {
  const bad: string[] = [];
  for (const e of edges) {
    const a = folderOf(e.from), b = folderOf(e.to);
    if (a === b) continue;
    const la = layers.get(a), lb = layers.get(b);
    if (la === undefined || lb === undefined) bad.push(`${relative(ROOT, e.from)} -> ${relative(ROOT, e.to)}: ${la === undefined ? a : b} is in no layer`);
    else if (lb <= la) bad.push(`${relative(ROOT, e.from)} (${a}, layer ${la}) -> ${relative(ROOT, e.to)} (${b}, layer ${lb})`);
  }
  return bad;
}

/** Every import cycle between files, each as its path of files (Tarjan's strongly connected components of size > 1, or a self-import). */
export function cycles(edges: Edge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const e of edges) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  const index = new Map<string, number>(), low = new Map<string, number>(), onStack = new Set<string>();
  const stack: string[] = [];
  const found: string[][] = [];
  let counter = 0;
  const visit = (v: string) => {
    index.set(v, counter); low.set(v, counter); counter++;
    stack.push(v); onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) { visit(w); low.set(v, Math.min(low.get(v)!, low.get(w)!)); }
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do { w = stack.pop()!; onStack.delete(w); scc.push(w); } while (w !== v);
      if (scc.length > 1 || (next.get(v) ?? []).includes(v)) found.push(scc.map((f) => relative(ROOT, f)).sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return found;
}

function hostEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(HOST)) {
    for (const spec of importsOf(readFileSync(file, "utf8"))) {
      edges.push({ from: file, to: normalize(join(dirname(file), spec)) });
    }
  }
  return edges;
}

describe("layers that point down", () => {
  const layers = readLayers(readFileSync(join(ROOT, "README.md"), "utf8"));
  const edges = hostEdges();

  it("the README's list places every folder of host/", () => {
    const folders = readdirSync(HOST).filter((n) => statSync(join(HOST, n)).isDirectory());
    expect(folders.filter((f) => !layers.has(f))).toEqual([]);
    expect(layers.get("cli")).toBe(1);
    expect(layers.get("model")).toBeGreaterThan(layers.get("engine")!);
  });

  it("finds the imports it checks (static, type-only, dynamic)", () => {
    expect(edges.length).toBeGreaterThan(300);
    expect(importsOf(`import type { A } from "./a.ts";\nexport * from "../b.ts";\nconst m = await import("./c.ts");\nimport "./d.ts";`))
      .toEqual(["./a.ts", "../b.ts", "./c.ts", "./d.ts"]);
  });

  it("no import points up a layer or sideways", () => {
    expect(violations(edges, layers)).toEqual([]);
  });

  it("would catch one that did: runtime -> cli, model -> engine, sideways config -> conntrack", () => {
    const f = (p: string) => join(ROOT, p);
    const bad = [
      { from: f("host/runtime/live.ts"), to: f("host/cli/common.ts") },
      { from: f("host/model/localtime.ts"), to: f("host/engine/header.ts") },
      { from: f("host/config/compile.ts"), to: f("host/conntrack/ftp.ts") },
    ];
    expect(violations(bad, layers)).toHaveLength(3);
    expect(violations([{ from: f("host/cli/run.ts"), to: f("host/runtime/live.ts") }], layers)).toEqual([]);
  });

  it("a packet is parsed once, by the WebAssembly parser: the TypeScript parser is imported by tests only, never by host/", () => {
    const parser = join(HOST, "engine", "parse-packet.ts");
    expect(edges.filter((e) => e.to === parser).map((e) => relative(ROOT, e.from))).toEqual([]);
  });

  it("no import cycles between files", () => {
    expect(cycles(edges)).toEqual([]);
    const f = (p: string) => join(ROOT, p);
    expect(cycles([{ from: f("host/a.ts"), to: f("host/b.ts") }, { from: f("host/b.ts"), to: f("host/a.ts") }])).toHaveLength(1);
  });
});
