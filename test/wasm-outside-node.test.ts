// The same .wasm outside Node: the matcher needs nothing of JavaScript but
// `env.abort`, and the release build, unmodified, gives the ClassBench
// answers of the `.expected` files under another WebAssembly engine (wabt's
// interpreter, `spectest-interp`, running a generated script of assertions:
// test/support/classbench-wast.ts). Evidence that the matcher can go to a
// router without Node. The no-SIMD build also goes through wasm2c into C,
// compiled with gcc into a native harness (test/support/wasm2c-harness.c):
// no WebAssembly engine at all. Needs Debian's `wabt` and `gcc` (.ci/run
// installs them); without them these tests fail rather than skip.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import { readClassBenchRules, readClassBenchTrace, readExpected, CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { writeTuple } from "../host/engine/header.ts";
import { wasmPath, type WasmFlavour } from "../host/engine/wasm.ts";
import { classBenchWast } from "./support/classbench-wast.ts";
import { classBenchDir } from "../bench/data-dir.ts";

const CB = classBenchDir() + "/";
const FLAVOURS = ["release", "release-nosimd", "debug"] as const;
const haveWabt = spawnSync("spectest-interp", ["--version"]).status === 0 && spawnSync("wast2json", ["--version"]).status === 0;
const haveWasm2c = spawnSync("wasm2c", ["--version"]).status === 0 && spawnSync("gcc", ["--version"]).status === 0;
const WASM2C_RUNTIME = "/usr/share/wabt/wasm2c"; // Debian's wabt: wasm-rt-impl.c and its header
const SETS = ["acl1_1k", "fw1_1k", "ipc1_1k"];

let dir = "";
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "pc-wabt-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the matcher's imports", () => {
  for (const flavour of FLAVOURS) {
    it(`${flavour}.wasm imports env.abort and nothing else`, () => {
      const module = new WebAssembly.Module(readFileSync(wasmPath(flavour)));
      expect(WebAssembly.Module.imports(module)).toEqual([{ module: "env", name: "abort", kind: "function" }]);
    });
  }

  it("the no-SIMD build has no SIMD instruction, the release build does (both are built)", () => {
    // Binaryen's optimizer brings in v128 loads and stores in the release build.
    const wat = (f: WasmFlavour) => readFileSync(wasmPath(f).replace(/\.wasm$/, ".wat"), "utf8");
    expect(wat("release")).toMatch(/\bv128\./);
    expect(wat("release-nosimd")).not.toMatch(/\bv128|\bi8x16|\bi16x8|\bi32x4|\bi64x2|\bf32x4|\bf64x2/);
  });
});

describe("under wabt's interpreter (not Node's engine)", () => {
  for (const set of SETS) {
    for (const flavour of ["release", "release-nosimd"] as const) {
      it.skipIf(!existsSync(CB + set))(`${flavour}.wasm answers ${set}_trace as ${set}_trace.expected says`, () => {
        expect(haveWabt, "wabt's wast2json and spectest-interp are needed: apt-get install wabt").toBe(true);
        const { program, tuples, expected } = classBenchInputs(set);
        const matcher = readFileSync(wasmPath(flavour));
        const wast = join(dir, `${set}-${flavour}.wast`), json = join(dir, `${set}-${flavour}.json`);
        writeFileSync(wast, classBenchWast(matcher, program, tuples, expected));
        execFileSync("wast2json", [wast, "-o", json]);
        // The module the interpreter runs is the built file, byte for byte.
        const spec = JSON.parse(readFileSync(json, "utf8"));
        const matcherFile = spec.commands.find((c: { type: string; name?: string }) => c.type === "module" && c.name === "$matcher").filename;
        expect(Buffer.compare(readFileSync(join(dir, matcherFile)), matcher)).toBe(0);
        const r = spawnSync("spectest-interp", [json], { cwd: dir, encoding: "utf8", maxBuffer: 64 << 20 });
        expect(r.stderr).toBe("");
        expect(r.status).toBe(0);
        // Every command counts as a test: the three modules, `load`, `classify` and one per packet.
        const total = 3 + 2 + expected.length;
        expect(r.stdout.trim().split("\n").slice(-1)[0]).toBe(`${total}/${total} tests passed.`);
      });
    }
  }
});

describe("translated to C by wasm2c and compiled with gcc (no WebAssembly engine)", () => {
  let harness = "";
  beforeAll(() => {
    if (!haveWasm2c) return;
    const c = join(dir, "w2c");
    mkdirSync(c);
    execFileSync("wasm2c", [wasmPath("release-nosimd"), "-n", "matcher", "-o", join(c, "matcher.c")]);
    const layout = ["TUPLE_SIZE", "RESULT_SIZE", "RES_RULE", "LOAD_OK"].map((k) => `-D${k}=${L[k as keyof typeof L]}`);
    harness = join(c, "harness");
    execFileSync("gcc", ["-O1", `-I${WASM2C_RUNTIME}`, `-I${c}`, ...layout, join(import.meta.dirname, "support/wasm2c-harness.c"),
      join(c, "matcher.c"), join(WASM2C_RUNTIME, "wasm-rt-impl.c"), "-lm", "-o", harness]);
  });

  for (const set of SETS) {
    it.skipIf(!existsSync(CB + set))(`release-nosimd.wasm as native code answers ${set}_trace as ${set}_trace.expected says`, () => {
      expect(haveWasm2c, "wabt's wasm2c and gcc are needed: apt-get install wabt gcc").toBe(true);
      const { program, tuples, expected } = classBenchInputs(set);
      writeFileSync(join(dir, `${set}.program`), program);
      writeFileSync(join(dir, `${set}.tuples`), tuples);
      const r = spawnSync(harness, [join(dir, `${set}.program`), join(dir, `${set}.tuples`)], { encoding: "utf8", maxBuffer: 64 << 20 });
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
      expect(r.stdout.trim().split("\n").map(Number)).toEqual(expected);
    });
  }
});

/** A ClassBench set as the matcher takes it: the encoded program, the trace's header tuples, and the expected answers. */
function classBenchInputs(set: string): { program: Uint8Array; tuples: Uint8Array; expected: number[] } {
  const program = encodePolicy(readClassBenchRules(CB + set).policy);
  const { headers, errors } = readClassBenchTrace(CB + set + "_trace");
  expect(errors).toEqual([]);
  const expected = readExpected(CB + set + "_trace.expected");
  expect(expected.length).toBe(headers.length);
  const tuples = new Uint8Array(headers.length * L.TUPLE_SIZE);
  const dv = new DataView(tuples.buffer);
  headers.forEach((h, i) => writeTuple(dv, i * L.TUPLE_SIZE, h, CLASSBENCH_META));
  return { program, tuples, expected };
}
