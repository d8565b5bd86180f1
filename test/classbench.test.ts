// Every ClassBench 1k trace through both engines: the answers must equal the
// `.expected` files exactly (and at 10k for the WebAssembly engine).
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync } from "node:fs";
import { readClassBenchRules, readClassBenchTrace, readExpected, CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";

const CB = new URL("../../shared/classbench/", import.meta.url).pathname;
const haveData = existsSync(CB + "acl1_1k");

describe.skipIf(!haveData)("ClassBench", () => {
  let wasm: WasmEngine;
  beforeAll(async () => {
    wasm = await WasmEngine.create();
  });

  for (const set of ["acl1_1k", "fw1_1k", "ipc1_1k"]) {
    it(`${set}: both engines give the expected answers`, () => {
      const { policy, diagnostics } = readClassBenchRules(CB + set);
      expect(diagnostics).toEqual([]);
      const trace = readClassBenchTrace(CB + set + "_trace");
      expect(trace.errors).toEqual([]);
      const expected = readExpected(CB + set + "_trace.expected");
      expect(trace.headers.length).toBe(expected.length);

      wasm.load(encodePolicy(policy));
      const metas = trace.headers.map(() => CLASSBENCH_META);
      const got = wasm.classifyHeaders(trace.headers, metas).map((r) => r.rule);
      expect(got).toEqual(expected);

      const ref = new ReferenceEngine(policy);
      const refGot = trace.headers.map((h) => ref.classify(h, CLASSBENCH_META).rule);
      expect(refGot).toEqual(expected);
    });
  }

  for (const set of ["acl1_10k", "fw1_10k", "ipc1_10k"]) {
    it(`${set}: WebAssembly engine gives the expected answers on its trace and the uniform trace`, () => {
      const { policy } = readClassBenchRules(CB + set);
      wasm.load(encodePolicy(policy));
      for (const [trace, exp] of [[set + "_trace", set + "_trace.expected"], ["uniform_trace", set + "_uniform_trace.expected"]]) {
        const t = readClassBenchTrace(CB + trace);
        const got = wasm.classifyHeaders(t.headers, t.headers.map(() => CLASSBENCH_META)).map((r) => r.rule);
        expect(got).toEqual(readExpected(CB + exp));
      }
    });
  }
});
