// One table row per field and operator: a rule, a packet, and whether the rule
// matches; run through both engines. Boundaries included: strict lt/gt, /0,
// /32, /128, negation, fragments.
import { describe, it, expect, beforeAll } from "vitest";
import * as L from "../assembly/layout.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { parsePrefix } from "../host/model/addr.ts";
import { anyRule, ESTABLISHED, type Rule, type Policy } from "../host/model/rule.ts";
import { emptyHeader, type PacketHeader, type PacketMeta } from "../host/engine/header.ts";

const ORIGIN = { dialect: "test", file: "fields", line: 1, column: 1, text: "" };
const rule = (over: Partial<Rule>): Rule => ({ ...anyRule("permit", ORIGIN), ...over });
const pfx = (t: string, negate = false) => ({ prefix: parsePrefix(t)!, negate });

function pkt(over: Partial<PacketHeader> & { s?: string; d?: string }): PacketHeader {
  const h = emptyHeader(60);
  h.family = 4; h.proto = 6; h.src = [0x0a000001]; h.dst = [0xc0a80065]; h.sport = 40000; h.dport = 80; h.tcpFlags = 2;
  const v6 = over.s?.includes(":");
  if (over.s) { h.family = v6 ? 6 : 4; h.src = parsePrefix(over.s)!.words; }
  if (over.d) { h.dst = parsePrefix(over.d)!.words; }
  const { s: _s, d: _d, ...rest } = over;
  return { ...h, ...rest };
}

const META: PacketMeta = { ifIn: 0, ifOut: 1, dir: L.DIR_OUTBOUND, minuteOfDay: 600, dayOfWeek: 1, day: 23, month: 11, timeNs: 0n };

type Row = [string, Partial<Rule>, Partial<PacketHeader> & { s?: string; d?: string }, boolean, Partial<PacketMeta>?];

const TABLE: Row[] = [
  ["any rule matches", {}, {}, true],
  ["proto eq", { proto: 6 }, {}, true],
  ["proto ne", { proto: 17 }, {}, false],
  ["dport eq hit", { dport: { op: "eq", port: 80 } }, {}, true],
  ["dport eq miss", { dport: { op: "eq", port: 81 } }, {}, false],
  ["dport neq hit", { dport: { op: "neq", port: 81 } }, {}, true],
  ["dport neq miss", { dport: { op: "neq", port: 80 } }, {}, false],
  ["lt 1024 vs 1023", { dport: { op: "lt", port: 1024 } }, { dport: 1023 }, true],
  ["lt 1024 vs 1024 (strict)", { dport: { op: "lt", port: 1024 } }, { dport: 1024 }, false],
  ["gt 1023 vs 1024", { dport: { op: "gt", port: 1023 } }, { dport: 1024 }, true],
  ["gt 1023 vs 1023 (strict)", { dport: { op: "gt", port: 1023 } }, { dport: 1023 }, false],
  ["lt 0 never", { dport: { op: "lt", port: 0 } }, { dport: 0 }, false],
  ["gt 65535 never", { dport: { op: "gt", port: 65535 } }, { dport: 65535 }, false],
  ["range inclusive low", { sport: { op: "range", lo: 1000, hi: 2000 } }, { sport: 1000 }, true],
  ["range inclusive high", { sport: { op: "range", lo: 1000, hi: 2000 } }, { sport: 2000 }, true],
  ["range outside", { sport: { op: "range", lo: 1000, hi: 2000 } }, { sport: 2001 }, false],
  ["port test on a packet without ports", { dport: { op: "neq", port: 1 } }, { proto: 50, sport: null, dport: null, tcpFlags: null }, false],
  ["src /32 hit", { src: pfx("10.0.0.1/32") }, {}, true],
  ["src /32 miss", { src: pfx("10.0.0.2/32") }, {}, false],
  ["src /0 matches any IPv4", { src: pfx("0.0.0.0/0") }, { s: "203.0.113.9" }, true],
  ["src /0 IPv4 does not match IPv6", { src: pfx("0.0.0.0/0") }, { s: "2001:db8::1", d: "2001:db8::2" }, false],
  ["dst /24 hit", { dst: pfx("192.168.0.0/24") }, {}, true],
  ["dst /24 miss", { dst: pfx("192.168.1.0/24") }, {}, false],
  ["negated src, inside", { src: pfx("10.0.0.0/8", true) }, {}, false],
  ["negated src, outside", { src: pfx("10.0.0.0/8", true) }, { s: "11.0.0.1" }, true],
  ["negated dst /32 (Exclude LANIP)", { dst: pfx("192.168.0.1/32", true) }, { d: "192.168.0.1" }, false],
  ["negated dst /32, other host", { dst: pfx("192.168.0.1/32", true) }, {}, true],
  ["v6 /128 hit", { src: pfx("2001:db8::1/128") }, { s: "2001:db8::1", d: "2001:db8::2" }, true],
  ["v6 /128 miss in last bit", { src: pfx("2001:db8::1/128") }, { s: "2001:db8::3", d: "2001:db8::2" }, false],
  ["v6 /64 hit", { dst: pfx("2001:db8:0:1::/64") }, { s: "2001:db8::1", d: "2001:db8:0:1::99" }, true],
  ["v6 /64 miss in word 1", { dst: pfx("2001:db8:0:1::/64") }, { s: "2001:db8::1", d: "2001:db8:0:2::99" }, false],
  ["v6 /0", { family: 6, src: pfx("::/0") }, { s: "2001:db8::1", d: "::1" }, true],
  ["family 6 vs IPv4", { family: 6 }, {}, false],
  ["established: SYN alone", { flags: ESTABLISHED }, { tcpFlags: 2 }, false],
  ["established: SYN+ACK", { flags: ESTABLISHED }, { tcpFlags: 18 }, true],
  ["established: ACK", { flags: ESTABLISHED }, { tcpFlags: 16 }, true],
  ["established: RST", { flags: ESTABLISHED }, { tcpFlags: 4 }, true],
  ["established on UDP", { flags: ESTABLISHED }, { proto: 17, tcpFlags: null }, false],
  ["flags all: SYN without ACK", { flags: { mask: 18, value: 2, mode: "all" } }, { tcpFlags: 2 }, true],
  ["flags all: SYN+ACK rejected", { flags: { mask: 18, value: 2, mode: "all" } }, { tcpFlags: 18 }, false],
  ["icmp type hit", { proto: 1, icmpType: 8 }, { proto: 1, sport: null, dport: null, tcpFlags: null, icmpType: 8, icmpCode: 0 }, true],
  ["icmp type miss", { proto: 1, icmpType: 0 }, { proto: 1, sport: null, dport: null, tcpFlags: null, icmpType: 8, icmpCode: 0 }, false],
  ["icmp code", { proto: 1, icmpType: 3, icmpCode: 3 }, { proto: 1, sport: null, dport: null, tcpFlags: null, icmpType: 3, icmpCode: 3 }, true],
  ["icmp type on TCP", { icmpType: 8 }, {}, false],
  ["ifIn hit", { ifIn: "lan" }, {}, true],
  ["ifIn miss", { ifIn: "wan" }, {}, false],
  ["ifOut hit", { ifOut: "wan" }, {}, true],
  ["time window inside", { time: { minuteFrom: 540, minuteTo: 1020, daysOfWeek: 0x3e, days: 0x7fffffff, months: 0xfff } }, {}, true],
  ["time window outside", { time: { minuteFrom: 540, minuteTo: 599, daysOfWeek: 0x7f, days: 0x7fffffff, months: 0xfff } }, {}, false],
  ["time window past midnight", { time: { minuteFrom: 1320, minuteTo: 360, daysOfWeek: 0x7f, days: 0x7fffffff, months: 0xfff } }, {}, true, { minuteOfDay: 30 }],
  ["weekday mask excludes Monday", { time: { minuteFrom: 0, minuteTo: 1439, daysOfWeek: 0x41, days: 0x7fffffff, months: 0xfff } }, {}, false],
  ["month mask", { time: { minuteFrom: 0, minuteTo: 1439, daysOfWeek: 0x7f, days: 0x7fffffff, months: 1 << 10 } }, {}, true],
  ["day mask", { time: { minuteFrom: 0, minuteTo: 1439, daysOfWeek: 0x7f, days: 1 << 21, months: 0xfff } }, {}, false],
  ["later fragment: permit with ports matches on layer 3", { dport: { op: "eq", port: 23 } }, { frag: "later", sport: null, dport: null, tcpFlags: null }, true],
  ["later fragment: deny with ports is skipped", { action: "deny", dport: { op: "eq", port: 23 } }, { frag: "later", sport: null, dport: null, tcpFlags: null }, false],
  ["later fragment: deny without ports decides", { action: "deny", src: pfx("10.0.0.0/8") }, { frag: "later", sport: null, dport: null, tcpFlags: null }, true],
  ["later fragment: address still tested", { dport: { op: "eq", port: 23 }, src: pfx("11.0.0.0/8") }, { frag: "later", sport: null, dport: null, tcpFlags: null }, false],
  ["first fragment is tested like a whole packet", { dport: { op: "eq", port: 23 } }, { frag: "first" }, false],
];

describe("every field and operator, both engines", () => {
  let wasm: WasmEngine;
  beforeAll(async () => {
    wasm = await WasmEngine.create();
  });
  for (const [name, r, p, matches, meta] of TABLE) {
    it(name, () => {
      const theRule = rule(r);
      const policy: Policy = {
        dialect: "test", interfaces: ["lan", "wan"], input: [0, 0], output: [null, null],
        // The default is the opposite of the rule's action, so a match shows in the verdict.
        rulesets: [{ name: "t", rules: [theRule], defaults: theRule.action === "permit" ? { inbound: "deny", outbound: "deny", other: "deny" } : { inbound: "permit", outbound: "permit", other: "permit" }, stateful: false }],
      };
      const h = pkt(p);
      const m = { ...META, ...meta };
      wasm.load(encodePolicy(policy));
      const w = wasm.classifyHeaders([h], [m])[0];
      const ref = new ReferenceEngine(policy).classify(h, m);
      const expected = matches ? { rule: 0, verdict: theRule.action } : { rule: -1, verdict: theRule.action === "permit" ? "deny" : "permit" };
      expect({ rule: w.rule, verdict: w.verdict }, "wasm").toEqual(expected);
      expect({ rule: ref.rule, verdict: ref.verdict }, "reference").toEqual(expected);
    });
  }
});

describe("pipeline", () => {
  const ORIG = { ...ORIGIN };
  const deny = anyRule("deny", ORIG);
  const permit = anyRule("permit", ORIG);
  const base: Policy = {
    dialect: "test", interfaces: ["lan", "wan"], input: [0, null], output: [null, 1],
    rulesets: [
      { name: "in-lan", rules: [permit], defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful: false },
      { name: "out-wan", rules: [deny], defaults: { inbound: "permit", outbound: "permit", other: "permit" }, stateful: false },
    ],
  };
  it("input then output: the output filter can still deny what the input permitted", async () => {
    const wasm = await WasmEngine.create();
    wasm.load(encodePolicy(base));
    const w = wasm.classifyHeaders([pkt({})], [META])[0];
    expect(w).toMatchObject({ verdict: "deny", rule: 1, stage: "output", inputRule: 0, outputRule: 1 });
    expect(new ReferenceEngine(base).classify(pkt({}), META)).toMatchObject({ verdict: "deny", rule: 1, stage: "output", inputRule: 0, outputRule: 1 });
  });
  it("no filter bound: permitted, reason no-filter", async () => {
    const wasm = await WasmEngine.create();
    const p = { ...base, input: [null, null], output: [null, null] };
    wasm.load(encodePolicy(p));
    expect(wasm.classifyHeaders([pkt({})], [META])[0]).toMatchObject({ verdict: "permit", rule: -1, reason: L.REASON_NO_FILTER });
  });
  it("defaults per direction", async () => {
    const wasm = await WasmEngine.create();
    const p: Policy = { ...base, input: [0, 0], output: [null, null], rulesets: [{ name: "d", rules: [], defaults: { inbound: "deny", outbound: "permit", other: "deny" }, stateful: false }] };
    wasm.load(encodePolicy(p));
    const res = wasm.classifyHeaders([pkt({}), pkt({}), pkt({})], [{ ...META, dir: L.DIR_INBOUND }, { ...META, dir: L.DIR_OUTBOUND }, { ...META, dir: L.DIR_OTHER }]);
    expect(res.map((r) => [r.verdict, r.reason])).toEqual([["deny", L.REASON_DEFAULT], ["permit", L.REASON_DEFAULT], ["deny", L.REASON_DEFAULT]]);
  });
  it("counters count packets and bytes per rule", async () => {
    const wasm = await WasmEngine.create();
    wasm.load(encodePolicy(base));
    wasm.classifyHeaders([pkt({ length: 100 }), pkt({ length: 50 })], [META, META]);
    expect(wasm.counters()).toEqual([{ packets: 2n, bytes: 150n }, { packets: 2n, bytes: 150n }]);
    wasm.resetCounters();
    expect(wasm.counters()[0]).toEqual({ packets: 0n, bytes: 0n });
  });
});

describe("address text", () => {
  it("a zone id is not part of a rule's address", async () => {
    const { parseAddress, parsePrefix } = await import("../host/model/addr.ts");
    expect(parseAddress("fe80::1%eth0")).toBeNull();
    expect(parsePrefix("fe80::%eth0/64")).toBeNull();
    expect(parseAddress("fe80::1")).toEqual({ family: 6, words: [0xfe800000, 0, 0, 1] });
  });
});
