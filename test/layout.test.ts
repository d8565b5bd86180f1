// The byte layout is written once (assembly/layout.ts) and imported by both
// sides; this proves the compiled module agrees with what the host imports,
// and that the encoder and decoder agree with each other.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import * as L from "../assembly/layout.ts";
import { WasmEngine, ProgramError } from "../host/engine/wasm.ts";
import { encodePolicy, fnv1a } from "../host/engine/encode.ts";
import { decodeProgram, disassemble } from "../host/engine/disasm.ts";
import { maskWord } from "../host/model/addr.ts";
import { anyRule, portRange, ruleFamily, type Policy } from "../host/model/rule.ts";
import { policyArb } from "./support/arbitrary.ts";

const EXPECTED: [number, number][] = [
  [0, L.PROGRAM_MAGIC], [1, L.PROGRAM_VERSION], [2, L.PROGRAM_HEADER_SIZE], [3, L.RULE_SIZE], [4, L.RULESET_SIZE],
  [5, L.BINDING_SIZE], [6, L.DESC_SIZE], [7, L.TUPLE_SIZE], [8, L.RESULT_SIZE], [9, L.R_SRC1], [10, L.R_DST_MASK1],
  [11, L.T_SRC], [12, L.T_DST], [13, L.T_SPORT], [14, L.HAS_TCP_FLAGS], [15, L.REASON_BAD_TCP_OFFSET], [16, L.TEST_L4],
  [17, L.MARK_DST_NEG], [18, L.RES_OUTPUT_RULE], [19, L.D_MONTH],
];

const ORIGIN = { dialect: "test", file: "t.cfg", line: 1, column: 1, text: "t" };

function onePolicy(): Policy {
  return {
    dialect: "test", interfaces: ["lan", "wan"], input: [0, null], output: [null, 0],
    rulesets: [{ name: "f", rules: [anyRule("deny", ORIGIN), anyRule("permit", ORIGIN)], defaults: { inbound: "deny", outbound: "permit", other: "deny" }, stateful: false }],
  };
}

let wasm: WasmEngine;
beforeAll(async () => {
  wasm = await WasmEngine.create();
});

describe("byte layout", () => {
  it("the compiled module has the layout the host imports", () => {
    for (const [id, value] of EXPECTED) expect(wasm.layoutValue(id), `layoutValue(${id})`).toBe(value);
  });

  it("fields do not overlap and fit their records", () => {
    const ruleFields: [number, number][] = [
      [L.R_TESTS, 2], [L.R_ACTION, 1], [L.R_MARKS, 1], [L.R_FAMILY, 1], [L.R_PROTO, 1], [L.R_SRC_LEN, 1], [L.R_DST_LEN, 1],
      [L.R_SRC0, 4], [L.R_SRC_MASK0, 4], [L.R_DST0, 4], [L.R_DST_MASK0, 4], [L.R_SPORT_LO, 2], [L.R_SPORT_HI, 2],
      [L.R_DPORT_LO, 2], [L.R_DPORT_HI, 2], [L.R_IF_IN, 1], [L.R_IF_OUT, 1], [L.R_ICMP_TYPE, 1], [L.R_ICMP_CODE, 1],
      [L.R_FLAGS_MASK, 1], [L.R_FLAGS_VALUE, 1], [L.R_SPORT_OP, 1], [L.R_DPORT_OP, 1], [L.R_FLAGS_MODE, 1],
      [L.R_MINUTE_FROM, 2], [L.R_MINUTE_TO, 2], [L.R_MONTH_MASK, 2], [L.R_DAY_MASK, 4], [L.R_DOW_MASK, 1],
      [L.R_SRC1, 12], [L.R_SRC_MASK1, 12], [L.R_DST1, 12], [L.R_DST_MASK1, 12], [L.R_RULESET, 4],
    ];
    const used = new Uint8Array(L.RULE_SIZE);
    for (const [off, size] of ruleFields) {
      expect(off + size).toBeLessThanOrEqual(L.RULE_SIZE);
      expect(off % Math.min(size, 4), `alignment of ${off}`).toBe(0);
      for (let i = off; i < off + size; i++) {
        expect(used[i], `byte ${i} used twice`).toBe(0);
        used[i] = 1;
      }
    }
  });

  it("decode(encode(policy)) gives back every field of every rule", () => {
    fc.assert(
      fc.property(policyArb, (policy) => {
        const bytes = encodePolicy(policy);
        const d = decodeProgram(bytes);
        const rules = policy.rulesets.flatMap((rs, k) => rs.rules.map((r) => ({ r, k })));
        expect(d.rules.length).toBe(rules.length);
        d.rules.forEach((dr, i) => {
          const { r, k } = rules[i];
          expect(dr.ruleset).toBe(k);
          expect(dr.action).toBe(r.action);
          expect(dr.family).toBe(ruleFamily(r) ?? 0);
          expect(dr.proto).toBe(r.proto ?? 0);
          expect(dr.src?.len ?? null).toBe(r.src?.prefix.len ?? null);
          expect(dr.src?.negate ?? null).toBe(r.src?.negate ?? null);
          if (r.src) expect(dr.src!.words).toEqual(r.src.prefix.words.map((w, j) => (w & maskWord(r.src!.prefix.len, j)) >>> 0));
          if (r.dport) {
            const { lo, hi } = portRange(r.dport);
            if (lo <= hi) expect([dr.dport!.lo, dr.dport!.hi]).toEqual([lo, hi]);
            else expect(dr.dport!.lo).toBeGreaterThan(dr.dport!.hi);
          } else expect(dr.dport).toBeNull();
          expect(dr.icmpType).toBe(r.icmpType);
          expect(dr.flags === null).toBe(r.flags === null);
          expect(dr.ifIn).toBe(r.ifIn === null ? null : policy.interfaces.indexOf(r.ifIn));
          expect(dr.time?.minuteFrom ?? null).toBe(r.time?.minuteFrom ?? null);
        });
        expect(d.bindings.map((b) => b.input)).toEqual(policy.input.map((x) => x ?? null));
        expect(d.monitor).toBe(policy.monitor ?? null);
        expect(disassemble(bytes, policy.interfaces).split("\n").length).toBeGreaterThan(rules.length);
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it("refuses damaged programs with a reason and keeps the running one", () => {
    const good = encodePolicy(onePolicy());
    wasm.load(good);
    const probe = () => wasm.classifyHeaders([{ reason: 0, family: 4, proto: 6, frag: "none", src: [1], dst: [2], sport: 1, dport: 2, icmpType: null, icmpCode: null, tcpFlags: 2, length: 60, l4Offset: 0 }],
      [{ ifIn: 0, ifOut: 1, dir: L.DIR_OUTBOUND, minuteOfDay: 0, dayOfWeek: 0, day: 1, month: 1, timeNs: 0n }])[0];
    expect(probe()).toMatchObject({ verdict: "deny", rule: 0 });
    const damage = (f: (b: Uint8Array, dv: DataView) => void, fixChecksum = true) => {
      const b = good.slice();
      const dv = new DataView(b.buffer);
      f(b, dv);
      if (fixChecksum) dv.setUint32(L.HDR_CHECKSUM, fnv1a(b, L.PROGRAM_HEADER_SIZE), true);
      return b;
    };
    const cases: [string, Uint8Array, number][] = [
      ["short", good.slice(0, 10), L.LOAD_TOO_SHORT],
      ["magic", damage((_, dv) => dv.setUint32(L.HDR_MAGIC, 1, true)), L.LOAD_BAD_MAGIC],
      ["version", damage((_, dv) => dv.setUint16(L.HDR_VERSION, 99, true)), L.LOAD_BAD_VERSION],
      ["rule size", damage((_, dv) => dv.setUint32(L.HDR_RULE_SIZE, 64, true)), L.LOAD_BAD_HEADER],
      ["length", damage((_, dv) => dv.setUint32(L.HDR_TOTAL_LENGTH, good.length + 1, true)), L.LOAD_BAD_LENGTH],
      ["trailing byte", (() => { const b = new Uint8Array(good.length + 1); b.set(good); return b; })(), L.LOAD_BAD_LENGTH],
      ["checksum", damage((b) => { b[b.length - 1] ^= 1; }, false), L.LOAD_BAD_CHECKSUM],
      ["ruleset count", damage((_, dv) => dv.setUint32(L.PROGRAM_HEADER_SIZE + L.RS_RULE_COUNT, 1, true)), L.LOAD_BAD_RULESET],
      ["default verdict", damage((_, dv) => dv.setUint8(L.PROGRAM_HEADER_SIZE + L.RS_DEFAULT_OTHER, 7)), L.LOAD_BAD_RULESET],
      ["binding", damage((_, dv) => dv.setUint16(dv.getUint32(L.HDR_BINDINGS_OFFSET, true), 5, true)), L.LOAD_BAD_BINDING],
      ["rule action", damage((_, dv) => dv.setUint8(dv.getUint32(L.HDR_RULES_OFFSET, true) + L.R_ACTION, 9)), L.LOAD_BAD_RULE],
      ["rule tests", damage((_, dv) => dv.setUint16(dv.getUint32(L.HDR_RULES_OFFSET, true) + L.R_TESTS, 0xffff, true)), L.LOAD_BAD_RULE],
      ["prefix length", damage((_, dv) => { const o = dv.getUint32(L.HDR_RULES_OFFSET, true); dv.setUint16(o, L.TEST_FAMILY | L.TEST_SRC, true); dv.setUint8(o + L.R_FAMILY, 4); dv.setUint8(o + L.R_SRC_LEN, 33); }), L.LOAD_BAD_RULE],
      ["interface", damage((_, dv) => { const o = dv.getUint32(L.HDR_RULES_OFFSET, true); dv.setUint16(o, L.TEST_IFIN, true); dv.setUint8(o + L.R_IF_IN, 9); }), L.LOAD_BAD_RULE],
      ["port op", damage((_, dv) => { const o = dv.getUint32(L.HDR_RULES_OFFSET, true); dv.setUint8(o + L.R_DPORT_OP, 42); }), L.LOAD_BAD_RULE],
    ];
    for (const [name, bytes, code] of cases) {
      let err: unknown;
      try { wasm.load(bytes); } catch (e) { err = e; }
      expect(err, name).toBeInstanceOf(ProgramError);
      expect((err as ProgramError).code, name).toBe(code);
      expect(probe(), `${name}: the running program stays`).toMatchObject({ verdict: "deny", rule: 0 });
    }
  });

  it("names the refused rule record: its index comes back in loadProgram's value, not from a second call", () => {
    const policy = onePolicy();
    policy.rulesets[0].rules = Array.from({ length: 300 }, (_, i) => anyRule(i % 2 ? "permit" : "deny", ORIGIN));
    const good = encodePolicy(policy);
    for (const bad of [0, 2, 299]) {
      const b = good.slice();
      const dv = new DataView(b.buffer);
      dv.setUint8(dv.getUint32(L.HDR_RULES_OFFSET, true) + bad * L.RULE_SIZE + L.R_ACTION, 9);
      dv.setUint32(L.HDR_CHECKSUM, fnv1a(b, L.PROGRAM_HEADER_SIZE), true);
      let err: unknown;
      try { wasm.load(b); } catch (e) { err = e; }
      expect(err, `rule ${bad}`).toBeInstanceOf(ProgramError);
      expect({ code: (err as ProgramError).code, badRule: (err as ProgramError).badRule }).toEqual({ code: L.LOAD_BAD_RULE, badRule: bad });
      expect((err as ProgramError).message).toContain(`(rule ${bad})`);
    }
    let other: unknown;
    try { wasm.load(good.slice(0, 10)); } catch (e) { other = e; }
    expect({ code: (other as ProgramError).code, badRule: (other as ProgramError).badRule }).toEqual({ code: L.LOAD_TOO_SHORT, badRule: -1 });
  });
});
