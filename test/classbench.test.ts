// Every ClassBench trace through the engines: the answers must equal the
// `.expected` files exactly. The reference runs the 1k sets; the linear scan
// and the indexed classifier run every set, the uniform traces and acl1_100k
// included (the indexed one must really be indexed there).
import { describe, it, expect, beforeAll } from "vitest";
import { existsSync } from "node:fs";
import { readClassBenchRules, readClassBenchTrace, readExpected, CLASSBENCH_META } from "../host/classbench/classbench.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { classBenchDir } from "../bench/data-dir.ts";

const CB = classBenchDir() + "/";
const haveData = existsSync(CB + "acl1_1k");

describe.skipIf(!haveData)("ClassBench", () => {
  let wasm: WasmEngine;
  beforeAll(async () => {
    wasm = await WasmEngine.create();
  });

  const classify = (headers: ReturnType<typeof readClassBenchTrace>["headers"]) =>
    wasm.classifyHeaders(headers, headers.map(() => CLASSBENCH_META)).map((r) => r.rule);

  it("a reload never answers from a walk made in the replaced program's trees", () => {
    // One ruleset in both programs, so a walk cached for the next tuple
    // under acl1 has the very ruleset and keys the packet has under fw1.
    const a = encodePolicy(readClassBenchRules(CB + "acl1_1k").policy);
    const b = encodePolicy(readClassBenchRules(CB + "fw1_1k").policy);
    const trace = readClassBenchTrace(CB + "fw1_1k_trace").headers;
    const expected = readExpected(CB + "fw1_1k_trace.expected");
    wasm.setClassifier("index");
    for (let i = 1; i < 400; i += 7) {
      wasm.load(a);
      classify([trace[0], trace[i]]); // trace[i] is the second tuple
      classify([trace[0]]); // walks acl1's trees for trace[i]
      wasm.load(b);
      expect(classify([trace[i]])).toEqual([expected[i]]);
    }
    wasm.setClassifier("auto");
  });

  for (const set of ["acl1_1k", "fw1_1k", "ipc1_1k"]) {
    it(`${set}: reference, linear and indexed engines give the expected answers`, () => {
      const { policy, diagnostics } = readClassBenchRules(CB + set);
      expect(diagnostics).toEqual([]);
      const trace = readClassBenchTrace(CB + set + "_trace");
      expect(trace.errors).toEqual([]);
      const expected = readExpected(CB + set + "_trace.expected");
      expect(trace.headers.length).toBe(expected.length);

      wasm.setClassifier("linear");
      wasm.load(encodePolicy(policy));
      expect(wasm.indexInfo(0).kind).toBe("linear");
      expect(classify(trace.headers)).toEqual(expected);
      const uniform = readClassBenchTrace(CB + "uniform_trace").headers.slice(0, 20000);
      const linearUniform = classify(uniform);

      wasm.setClassifier("auto");
      wasm.load(encodePolicy(policy));
      expect(wasm.indexInfo(0)).toMatchObject({ kind: "tree", reason: "indexed" });
      expect(classify(trace.headers)).toEqual(expected);
      // No .expected for the 1k sets on the uniform trace: the scan is the oracle.
      expect(classify(uniform)).toEqual(linearUniform);

      const ref = new ReferenceEngine(policy);
      expect(trace.headers.map((h) => ref.classify(h, CLASSBENCH_META).rule)).toEqual(expected);
    });
  }

  for (const set of ["acl1_10k", "fw1_10k", "ipc1_10k"]) {
    it(`${set}: linear and indexed engines give the expected answers on its trace and the uniform trace`, () => {
      const { policy } = readClassBenchRules(CB + set);
      const traces = [[set + "_trace", set + "_trace.expected"], ["uniform_trace", set + "_uniform_trace.expected"]];
      for (const mode of ["linear", "auto"] as const) {
        wasm.setClassifier(mode);
        wasm.load(encodePolicy(policy));
        expect(wasm.indexInfo(0).kind).toBe(mode === "linear" ? "linear" : "tree");
        // The narrow groups have filters (layout.ts, "group filters"), so these answers go through them.
        if (mode === "auto") expect(wasm.x.treeStat(5)).toBeGreaterThan(0);
        // And the rules wide in both addresses are a bit-vector group (build-bitvec.ts)
        // with combine tables (build-bitvec-combine.ts).
        if (mode === "auto") expect([wasm.x.treeStat(6), wasm.x.treeStat(7)]).toEqual([1, 1]);
        // acl1 and ipc1 have a narrow groups' filter (layout.ts, IX); fw1's
        // walked groups together cover too many cells for one.
        if (mode === "auto") expect(wasm.x.treeStat(8)).toBe(set === "fw1_10k" ? 0 : 1);
        for (const [trace, exp] of traces) {
          // The scan at 10k rules is slow: a sample of each trace is enough for it.
          const headers = readClassBenchTrace(CB + trace).headers.slice(0, mode === "linear" ? 5000 : undefined);
          const misses = wasm.x.classifierNarrowMisses();
          expect(classify(headers)).toEqual(readExpected(CB + exp).slice(0, headers.length));
          // On the uniform trace most packets are kept out of the walked groups by that one probe.
          if (mode === "auto" && trace === "uniform_trace" && set !== "fw1_10k") {
            expect(wasm.x.classifierNarrowMisses() - misses).toBeGreaterThan(headers.length * 0.8);
          }
        }
      }
    });
  }

  it("acl1_100k: the indexed engine gives the expected answers, and agrees with the scan on the uniform trace", () => {
    const { policy } = readClassBenchRules(CB + "acl1_100k");
    const program = encodePolicy(policy);
    const trace = readClassBenchTrace(CB + "acl1_100k_trace").headers;
    const uniform = readClassBenchTrace(CB + "uniform_trace").headers;
    wasm.setClassifier("auto");
    wasm.load(program);
    const info = wasm.indexInfo(0);
    expect(info.kind).toBe("tree");
    expect(info.bytes / policy.rulesets[0].rules.length).toBeLessThan(64);
    expect(classify(trace)).toEqual(readExpected(CB + "acl1_100k_trace.expected"));
    // Its cut group joined the bit-vector group (build-tree.ts, cutsMerged):
    // one group fewer, and the narrow groups' filter, made of the two walked
    // groups alone, keeps most uniform packets out of both.
    expect([wasm.x.indexGroups(0), wasm.x.treeStat(6), wasm.x.treeStat(8)]).toEqual([3, 1, 1]);
    const misses = wasm.x.classifierNarrowMisses();
    const indexedUniform = classify(uniform);
    expect(wasm.x.classifierNarrowMisses() - misses).toBeGreaterThan(uniform.length * 0.8);
    wasm.setClassifier("linear");
    wasm.load(program);
    expect(classify(uniform.slice(0, 2000))).toEqual(indexedUniform.slice(0, 2000));
    wasm.setClassifier("auto");
  });
});

describe("warmUp (what classify and the benchmark do before timing)", () => {
  it("runs one pass at least, and passes until the time asked for has gone by", async () => {
    const { warmUp } = await import("../host/classbench/runner.ts");
    let passes = 0;
    const answers = new Int32Array([4, 2]);
    const runner = { name: "fake", buildMs: 0, bytesPerRule: 0, indexBytesPerRule: 0, classify: () => { passes++; return answers; } };
    expect(warmUp(runner, 256, 0)).toBe(answers);
    expect(passes).toBe(1);
    passes = 0;
    const t0 = performance.now();
    warmUp(runner, 256, 30);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(30);
    expect(passes).toBeGreaterThan(1);
  });
});

describe.skipIf(!haveData)("the ClassBench runner (what classify and the benchmark time)", () => {
  it("answers from the packed answers region, any batch size, into one array it refills", async () => {
    const { classBenchRunner } = await import("../host/classbench/runner.ts");
    const rules = readClassBenchRules(CB + "fw1_1k").policy;
    const headers = readClassBenchTrace(CB + "fw1_1k_trace").headers;
    const expected = readExpected(CB + "fw1_1k_trace.expected");
    const runner = await classBenchRunner("wasm", rules, headers, CLASSBENCH_META);
    const first = runner.classify(256);
    expect(Array.from(first)).toEqual(expected);
    first.fill(-7); // refilled whole by the next pass, whatever the batch size
    for (const batch of [1, 7, 1000, headers.length + 5]) {
      const again = runner.classify(batch);
      expect(again).toBe(first);
      expect(Array.from(again)).toEqual(expected);
      again.fill(-7);
    }
  });
});

describe.skipIf(!haveData)("portcullis classify (the command)", () => {
  it("prints exactly the expected indices for acl1_10k, then the summary line of cli.md", async () => {
    const { main } = await import("../host/cli/main.ts");
    const { bufferIO } = await import("../host/cli/io.ts");
    const io = bufferIO();
    const code = await main(["classify", "--classbench", CB + "acl1_10k", CB + "acl1_10k_trace", "--repeat", "1"], io);
    expect(code).toBe(0);
    const lines = io.stdout.trimEnd().split("\n");
    const summary = lines.pop()!;
    expect(lines.map(Number)).toEqual(readExpected(CB + "acl1_10k_trace.expected"));
    expect(summary).toMatch(/^packets=97740 matched=97740 engine=wasm ns_per_packet=\d+(\.\d+)? mpps=\d+(\.\d+)? build_ms=\d+(\.\d+)? bytes_per_rule=\d+(\.\d+)?$/);
  });

  it("takes --warmup in milliseconds, and refuses anything else as a usage error", async () => {
    const { main } = await import("../host/cli/main.ts");
    const { bufferIO } = await import("../host/cli/io.ts");
    for (const bad of ["-1", "1.5", "ten", "60001"]) {
      const io = bufferIO();
      expect(await main(["classify", "--classbench", CB + "acl1_1k", CB + "acl1_1k_trace", "--warmup", bad, "--quiet"], io)).toBe(2);
      expect(io.stderr).toContain("--warmup");
    }
    const io = bufferIO();
    expect(await main(["classify", "--classbench", CB + "acl1_1k", CB + "acl1_1k_trace", "--warmup", "0", "--repeat", "1", "--quiet"], io)).toBe(0);
    expect(io.stdout).toMatch(/^packets=15555 matched=\d+ engine=wasm /);
  });
});
