// The same .wasm outside Node: the matcher needs nothing of JavaScript but
// `env.abort`, and the release build, unmodified, gives the ClassBench
// answers of the `.expected` files under another WebAssembly engine (wabt's
// interpreter, `spectest-interp`, running a generated script of assertions:
// test/support/classbench-wast.ts). Evidence that the matcher can go to a
// router without Node. Needs Debian's `wabt` (.ci/run installs it); without
// it these tests fail rather than skip.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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
  for (const set of ["acl1_1k", "fw1_1k", "ipc1_1k"]) {
    for (const flavour of ["release", "release-nosimd"] as const) {
      it.skipIf(!existsSync(CB + set))(`${flavour}.wasm answers ${set}_trace as ${set}_trace.expected says`, () => {
        expect(haveWabt, "wabt's wast2json and spectest-interp are needed: apt-get install wabt").toBe(true);
        const program = encodePolicy(readClassBenchRules(CB + set).policy);
        const { headers, errors } = readClassBenchTrace(CB + set + "_trace");
        expect(errors).toEqual([]);
        const expected = readExpected(CB + set + "_trace.expected");
        expect(expected.length).toBe(headers.length);
        const tuples = new Uint8Array(headers.length * L.TUPLE_SIZE);
        const dv = new DataView(tuples.buffer);
        headers.forEach((h, i) => writeTuple(dv, i * L.TUPLE_SIZE, h, CLASSBENCH_META));
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
