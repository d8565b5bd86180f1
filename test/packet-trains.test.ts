// Packet trains (assembly/pipeline/classify.ts, lookUpInputs): a packet
// whose rule inputs (the tuple's first T_RULE_INPUTS bytes) equal those of
// the packet before it takes that packet's input-stage answer instead of a
// lookup. Here, against the reference: trains of exact repeats, and of
// near repeats that differ from the packet before in exactly one thing a
// rule can test (which must be looked up again), or only in what no rule
// tests (length, timestamp: still a repeat). Seeded, like every property.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { WasmEngine } from "../host/engine/wasm.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import type { Policy } from "../host/model/rule.ts";
import type { PacketHeader, PacketMeta } from "../host/engine/header.ts";
import * as L from "../assembly/layout.ts";
import { policyArb, inputOnlyPolicyArb, packetsArb, IFACES } from "./support/arbitrary.ts";
import { agree, forcedIndexEngine } from "./support/agree.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";

const SEED = Number(process.env.DIFF_SEED ?? 20261122) + 7;
const RUNS = Number(process.env.DIFF_RUNS ?? 700);

type Packet = [PacketHeader, PacketMeta];

// Each changes one rule input of a copy of the packet to another value.
const CHANGES: Record<string, (h: PacketHeader, m: PacketMeta) => void> = {
  minute: (_, m) => { m.minuteOfDay = (m.minuteOfDay + 1) % 1440; },
  dayOfWeek: (_, m) => { m.dayOfWeek = (m.dayOfWeek + 1) % 7; },
  day: (_, m) => { m.day = (m.day % 31) + 1; },
  month: (_, m) => { m.month = (m.month % 12) + 1; },
  ifIn: (_, m) => { m.ifIn = (m.ifIn + 1) % (IFACES.length + 1); },
  ifOut: (_, m) => { m.ifOut = (m.ifOut + 1) % (IFACES.length + 1); },
  dir: (_, m) => { m.dir = m.dir === L.DIR_INBOUND ? L.DIR_OUTBOUND : L.DIR_INBOUND; },
  proto: (h) => { h.proto = (h.proto + 1) & 255; },
  frag: (h) => { h.frag = h.frag === "first" ? "none" : "first"; },
  srcLastWord: (h) => { h.src[h.src.length - 1] = (h.src[h.src.length - 1] + 1) >>> 0; },
  dstFirstWord: (h) => { h.dst[0] = (h.dst[0] ^ 0x80000000) >>> 0; },
  dport: (h) => { if (h.dport === null) { h.sport = 1024; h.dport = 80; } else h.dport = (h.dport + 1) & 0xffff; },
  sport: (h) => { if (h.sport === null) { h.sport = 80; h.dport = 1024; } else h.sport = (h.sport + 1) & 0xffff; },
  tcpFlags: (h) => { h.tcpFlags = h.tcpFlags === null ? 0x12 : h.tcpFlags ^ 0x02; },
  icmp: (h) => { if (h.icmpType === null) { h.icmpType = 8; h.icmpCode = 0; } else h.icmpType ^= 1; },
  reason: (h) => { h.reason = h.reason === L.REASON_OK ? L.REASON_MALFORMED_FIRST : L.REASON_OK; },
};
// What no rule tests: a copy changed only here is still a repeat.
const NOT_RULE_INPUTS: Record<string, (h: PacketHeader, m: PacketMeta) => void> = {
  length: (h) => { h.length = h.length === 1500 ? 40 : h.length + 1; },
  timeNs: (_, m) => { m.timeNs += 1000n; },
  // Back in time: a train whose latest packet is not its last (the clock keeps the latest).
  timeBack: (_, m) => { m.timeNs -= m.timeNs >= 300n ? 300n : 0n; },
};

interface Train { batch: Packet[]; exact: boolean[]; near: number; changed: Set<string> }

/** Each packet followed by 0-3 copies: exact, changed in one rule input, or changed in what no rule reads. */
const trainsArb: fc.Arbitrary<Train> = packetsArb(100).chain((batch) =>
  fc.array(fc.array(fc.constantFrom("same", ...Object.keys(CHANGES), ...Object.keys(NOT_RULE_INPUTS)), { maxLength: 3 }), {
    minLength: batch.length, maxLength: batch.length,
  }).map((copies) => {
    const out: Packet[] = [];
    const exact: boolean[] = [];
    const changed = new Set<string>();
    let near = 0;
    batch.forEach(([h, m0], i) => {
      const m = { ...m0, timeNs: BigInt(i * 10) };
      out.push([h, m]);
      exact.push(false);
      let prev: Packet = [h, m];
      for (const how of copies[i]) {
        const c: Packet = [{ ...prev[0], src: [...prev[0].src], dst: [...prev[0].dst] }, { ...prev[1] }];
        if (how in CHANGES) { CHANGES[how](c[0], c[1]); changed.add(how); near++; }
        if (how in NOT_RULE_INPUTS) NOT_RULE_INPUTS[how](c[0], c[1]);
        out.push(c);
        exact.push(!(how in CHANGES));
        prev = c;
      }
    });
    return { batch: out, exact, near, changed };
  }));

/** Packets an input ruleset decides (what lookUpInputs looks up): well formed, not neighbour discovery, an input ruleset bound. */
function looksUp(policy: Policy, [h, m]: Packet): boolean {
  return h.reason === L.REASON_OK && !h.nd && m.ifIn < IFACES.length && policy.input[m.ifIn] !== null;
}

describe("packet trains: a packet that repeats the one before takes its answer", () => {
  let linear: WasmEngine;
  let indexed: WasmEngine;
  // The build for runtimes without SIMD compares tuples word by word.
  let noSimd: WasmEngine;
  beforeAll(async () => {
    linear = await WasmEngine.create(); // policyArb's rulesets are below the index's threshold: scanned
    indexed = await forcedIndexEngine();
    noSimd = await forcedIndexEngine("release-nosimd");
  });

  it(`agrees with the reference, and reuses exactly the exact repeats, on input-only policies (${Math.round(RUNS / 2)} policies)`, () => {
    let reusedExpected = 0;
    let reused = 0;
    let nearRepeats = 0;
    let latestNotLast = 0;
    const changed = new Set<string>();
    fc.assert(
      fc.property(inputOnlyPolicyArb, trainsArb, (policy, { batch, exact, near, changed: c }) => {
        // Every 9th IPv6 packet as neighbour discovery (passed unfiltered, never looked up), repeats too.
        const mixed = batch.map(([h, m], i): Packet => [h.family === 6 && i % 9 === 4 ? { ...h, nd: true } : h, m]);
        const expected = mixed.filter((p, i) => exact[i] && looksUp(policy, p)
          && !!mixed[i - 1][0].nd === !!p[0].nd).length;
        // What the input-only pass must leave besides the answers (agree checks
        // the rules' counters): each input ruleset's default counter, and the
        // clock at the latest time of a packet the pipeline took in.
        const ref = new ReferenceEngine(policy);
        const defaults = new Map<number, { packets: number; bytes: number }>();
        let latest = 0n;
        for (const [h, m] of mixed) {
          const d = ref.classify(h, m);
          if (d.stage === "input" && d.rule < 0) {
            const c = defaults.get(policy.input[m.ifIn]!) ?? { packets: 0, bytes: 0 };
            defaults.set(policy.input[m.ifIn]!, { packets: c.packets + 1, bytes: c.bytes + h.length });
          }
          if (h.reason === L.REASON_OK && !h.nd && m.timeNs > latest) latest = m.timeNs;
        }
        const last = mixed.reduce((at, [h], i) => (h.reason === L.REASON_OK && !h.nd ? i : at), -1);
        if (latest > 0n && mixed[last][1].timeNs < latest) latestNotLast++;
        for (const engine of [linear, indexed, noSimd]) {
          engine.load(encodePolicy(policy));
          engine.x.ctFlush(); // the clock from 0
          const before = engine.x.pipelineRepeatsReused();
          agree(engine, policy, mixed);
          reused += engine.x.pipelineRepeatsReused() - before;
          reusedExpected += expected;
          expect(engine.x.ctClock()).toBe(latest);
          engine.defaultCounters().forEach((c, rs) => {
            const want = defaults.get(rs) ?? { packets: 0, bytes: 0 };
            expect([Number(c.packets), Number(c.bytes)]).toEqual([want.packets, want.bytes]);
          });
        }
        nearRepeats += near;
        c.forEach((x) => changed.add(x));
      }),
      { seed: SEED, numRuns: Math.max(1, Math.round(RUNS / 2)) },
    );
    expect(reusedExpected).toBeGreaterThan(RUNS * 2);
    expect(reused).toBe(reusedExpected);
    expect(nearRepeats).toBeGreaterThan(RUNS * 2);
    expect([...changed].sort()).toEqual(Object.keys(CHANGES).sort());
    // Batches whose latest packet is not their last: the clock is the maximum, not the last time seen.
    expect(latestNotLast).toBeGreaterThan(RUNS / 10);
  }, 600_000);

  it(`agrees with the reference on policies with output and monitor rulesets (the general pipeline's pre-pass, ${Math.round(RUNS / 4)} policies)`, () => {
    let reused = 0;
    fc.assert(
      fc.property(policyArb, trainsArb, (policy, { batch }) => {
        for (const engine of [linear, indexed]) {
          engine.load(encodePolicy(policy));
          const before = engine.x.pipelineRepeatsReused();
          agree(engine, policy, batch);
          reused += engine.x.pipelineRepeatsReused() - before;
        }
      }),
      { seed: SEED + 1, numRuns: Math.max(1, Math.round(RUNS / 4)) },
    );
    expect(reused).toBeGreaterThan(RUNS);
  }, 600_000);
});
