// The shape of the matcher's sources (README, "The matcher's files"): one
// set of program accessors, one call into the classifier, an index.ts of
// exports only, no export that hands back a result kept in module state, and
// a host binding typed by the compiler's generated .d.ts that knows nothing
// of the connection table's views. Each check fails if a copy creeps back.
import { describe, it, expect } from "vitest";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith(".ts") ? [p] : [];
  });
}

// The classifier (assembly/classifier/) builds its own per-ruleset tables
// from the program at load time and is outside these rules.
const ours = sources("assembly").filter((p) => !p.startsWith(join("assembly", "classifier")));
const code = (p: string) => readFileSync(p, "utf8").replace(/\/\/.*$/gm, "").replace(/\/\*[\s\S]*?\*\//g, "");
const using = (re: RegExp) => ours.filter((p) => !/layout\.ts$/.test(p) && re.test(code(p))).sort();

describe("assembly/ layout of concerns", () => {
  it("reads a program's tables only through program/access.ts (and the validator)", () => {
    expect(using(/\bHDR_(BINDINGS_OFFSET|RULES_OFFSET|RULESETS_OFFSET|IFACE_COUNT|MONITOR_RULESET)\b/))
      .toEqual([join("assembly", "program", "access.ts"), join("assembly", "program", "validate.ts")]);
    expect(using(/\bBIND_(INPUT|OUTPUT)\b/)).toEqual([join("assembly", "program", "access.ts"), join("assembly", "program", "validate.ts")]);
  });

  it("looks a ruleset up through program/lookup.ts only", () => {
    expect(using(/\bclassifierMatch\s*\(/)).toEqual([join("assembly", "program", "lookup.ts")]);
  });

  it("index.ts holds exports only: no module state, no logic beyond a call", () => {
    const src = code(join("assembly", "index.ts"));
    expect(src).not.toMatch(/^\s*(let|var|const)\s/m);
    expect(src).not.toMatch(/^\s*(function|class)\s/m);
    for (const body of src.matchAll(/export function \w+\([^)]*\): \w+ \{([^}]*)\}/g)) {
      expect(body[1].trim().split("\n").length, body[0]).toBe(1);
    }
  });

  it("exports no getter for a result another export left behind", async () => {
    const dts = readFileSync(join("build", "release.d.ts"), "utf8");
    const exported = [...dts.matchAll(/export function (\w+)/g)].map((m) => m[1]);
    expect(exported).toContain("loadProgram");
    expect(exported).toContain("ctAllowFutureConnect");
    expect(exported.filter((n) => /^(badRule|ctLastExpect|last)/i.test(n))).toEqual([]);
  });
});

describe("host/engine/wasm.ts is a thin binding", () => {
  const src = readFileSync(join("host", "engine", "wasm.ts"), "utf8");

  it("takes the exports' types from the compiler's generated .d.ts", () => {
    expect(src).toMatch(/import type \{ instantiate \} from "\.\.\/\.\.\/build\/release\.js"/);
    expect(src).not.toMatch(/type Exports = \{/);
  });

  it("imports nothing of host/conntrack (the table's views sit above it)", () => {
    expect(src).not.toMatch(/from "\.\.\/conntrack\//);
    expect(src).not.toMatch(/conntrack-layout/);
  });
});
