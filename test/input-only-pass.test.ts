// The pipeline's input-only pass (assembly/pipeline/classify.ts): a batch is
// looked up and decided in one pass only when nothing but the input stage
// can decide it -- no connection table made yet, no rule or ruleset that
// keeps state, no output ruleset bound, no monitor ruleset. Otherwise the
// general pipeline runs. Both give the reference's answers (the differential
// test checks that on random policies); here, which one runs when.
import { describe, it, expect } from "vitest";
import * as L from "../assembly/layout.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import type { Policy } from "../host/model/rule.ts";
import type { WasmEngine } from "../host/engine/wasm.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";
import { rule, policy, out, inb, engineWith, one } from "./conntrack/helpers.ts";

const C = "192.168.0.10";
const S = "10.0.0.20";
const syn = () => tcpPacket({ src: C, dst: S, sport: 40000, dport: 80, flags: "S", seq: 1000 });
const synAck = () => tcpPacket({ src: S, dst: C, sport: 80, dport: 40000, flags: "SA", seq: 5000, ack: 1001 });
// Outbound TCP from the lan is permitted; everything else meets the deny defaults.
const rules = () => [rule("permit", { proto: 6, ifIn: "lan" })];

const passes = (e: WasmEngine) => e.x.pipelineInputOnlyPasses();

/** One frame through `e` and through the reference on `p`: the same verdict, rule and reason; and whether the input-only pass ran. */
function classify(e: WasmEngine, p: Policy, data: Uint8Array, meta: ReturnType<typeof out>) {
  const before = passes(e);
  const got = one(e, data, meta);
  const ref = new ReferenceEngine(p).classify(parsePacketReference(data), meta);
  return { got, ref, onePass: passes(e) - before === 1 };
}

describe("the pipeline's input-only pass", () => {
  it("runs for a stateless program decided by input rulesets alone, with the reference's answers", async () => {
    const p = policy(rules(), false);
    const e = await engineWith(p);
    const a = classify(e, p, syn(), out(0n));
    expect(a.onePass).toBe(true);
    expect(a.got).toMatchObject({ verdict: "permit", rule: 0, reason: L.REASON_MATCHED, stage: "input", inputRule: 0, outputRule: -1 });
    expect(a.got).toMatchObject({ verdict: a.ref.verdict, rule: a.ref.rule, reason: a.ref.reason });
    const b = classify(e, p, synAck(), inb(0n));
    expect(b.onePass).toBe(true);
    expect(b.got).toMatchObject({ verdict: "deny", rule: -1, reason: L.REASON_DEFAULT, stage: "input" });
    expect(b.got).toMatchObject({ verdict: b.ref.verdict, rule: b.ref.rule, reason: b.ref.reason });
  });

  it("does not run when an output ruleset is bound, a monitor ruleset is set, or anything keeps state", async () => {
    const base = policy(rules(), false);
    const cases: [string, Policy][] = [
      ["an output ruleset", { ...base, output: [null, 0] }],
      ["a monitor ruleset", { ...base, monitor: 0 }],
      ["a stateful ruleset", policy(rules(), true)],
      ["a keep-state rule", policy([rule("permit", { proto: 6, ifIn: "lan", keepState: true })], false)],
    ];
    for (const [what, p] of cases) {
      const e = await engineWith(p);
      const a = classify(e, p, syn(), out(0n));
      expect(a.onePass, what).toBe(false);
      expect(a.got, what).toMatchObject({ verdict: a.ref.verdict, rule: a.ref.rule, reason: a.ref.reason });
    }
  });

  it("does not run once a connection table exists: a tracked reply still passes after a reload to a stateless program", async () => {
    const e = await engineWith(policy(rules(), true));
    expect(one(e, syn(), out(0n))).toMatchObject({ verdict: "permit", rule: 0 });
    const stateless = policy(rules(), false);
    e.load(encodePolicy(stateless));
    const before = passes(e);
    // The flow the stateful program made answers its reply, over the rules' deny default.
    expect(one(e, synAck(), inb(1n))).toMatchObject({ verdict: "permit", reason: L.REASON_STATE });
    expect(passes(e)).toBe(before);
    // Emptied, the table still exists (ctIdle: none was ever made): the
    // general pipeline goes on running, and the rules decide the reply.
    conntrackOf(e).flush();
    expect(one(e, synAck(), inb(2n))).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT });
    expect(passes(e)).toBe(before);
  });
});
