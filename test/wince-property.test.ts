// Random rule sets: the order of the keys never changes a verdict or what is
// logged; both engines agree with a direct reading of the device's rules
// (any ALLOW, else any BLOCK, else the default); export then import gives
// the same rules.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { load, wasm, BUILTIN } from "./wince-helpers.ts";
import { exportReg } from "../host/dialects/wince/export.ts";
import { ruleMeaning, type CeRule } from "../host/dialects/wince/model.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { emptyHeader, type PacketHeader, type PacketMeta } from "../host/engine/header.ts";
import { parseIpv4, makePrefix, prefixContains } from "../host/model/addr.ts";
import * as L from "../assembly/layout.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const v4 = (s: string) => ({ family: 4 as const, words: [parseIpv4(s)!] });
const PRIVATE = ["192.168.0.100", "192.168.0.101", "192.168.0.102"];
const PUBLIC = ["198.51.100.1", "198.51.100.2", "198.51.101.1"];
const OWN = ["192.168.0.1", "10.0.0.1"];
// Seeded (issue 12, item 22): the same cases every run; WINCE_PROP_SEED=N tries others. fast-check prints the seed with any counterexample.
const SEED = Number(process.env.WINCE_PROP_SEED ?? 20261129);
console.log(`wince-property: seed ${SEED} (WINCE_PROP_SEED to change)`);

/** null (no test) `nilWeight` times as often as a value, so that rules often match. */
const opt = <T>(a: fc.Arbitrary<T>, nilWeight = 2): fc.Arbitrary<T | null> =>
  fc.oneof({ weight: nilWeight, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });

const ruleArb: fc.Arbitrary<Omit<CeRule, "name" | "origin">> = fc
  .record({
    action: fc.constantFrom("block", "allow", "log"),
    direction: fc.constantFrom("inbound", "outbound"),
    disabled: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    privateHost: opt(fc.constantFrom(...PRIVATE)),
    publicHost: opt(fc.constantFrom(...PUBLIC)),
    subnet: opt(fc.constantFrom({ form: "prefix", len: 16 }, { form: "prefix", len: 24 }, { form: "mask", len: 24 })),
    protocol: opt(fc.constantFrom(6, 17, 1)),
    ports: opt(fc.constantFrom({ min: 25, max: 25 }, { min: 80, max: 110 }, { min: 1000, max: 2000 })),
    icmpType: opt(fc.constantFrom(0, 3, 8)),
    icmpCode: opt(fc.constantFrom(0, 3)),
    logAction: opt(fc.constantFrom(1, 2), 1),
    hours: opt(fc.record({ start: fc.constantFrom(0, 8, 17, 21), end: fc.constantFrom(0, 8, 17, 21) })),
    dayOfWeek: opt(fc.integer({ min: 1, max: 127 })),
    day: opt(fc.constantFrom(1, 15)),
    month: opt(fc.constantFrom(1, 6)),
  })
  .map((x) => {
    const protocol = x.protocol;
    const ports = protocol === 1 ? null : x.ports;
    const icmp = ports === null && (protocol === null || protocol === 1);
    return {
      description: null, action: x.action, direction: x.direction, disabled: x.disabled, family: 4 as const,
      privateHost: x.privateHost === null ? null : v4(x.privateHost),
      publicHost: x.publicHost === null ? null : v4(x.publicHost),
      publicSubnet: x.publicHost === null ? null : (x.subnet as CeRule["publicSubnet"]),
      protocol, ports,
      icmpType: icmp ? x.icmpType : null,
      icmpCode: icmp ? x.icmpCode : null,
      logAction: x.action === "log" ? x.logAction : null,
      hours: x.hours, dayOfWeek: x.dayOfWeek, day: x.day, month: x.month,
    } as Omit<CeRule, "name" | "origin">;
  });

const rulesArb = fc.array(ruleArb, { minLength: 1, maxLength: 8 }).map((rs) =>
  rs.map((r, i): CeRule => ({ ...r, name: `Rule${i}`, origin: { file: "gen", line: 0, column: 0 } })));

interface Pkt { out: boolean; h: PacketHeader; m: PacketMeta }
const pktArb: fc.Arbitrary<Pkt> = fc
  .record({
    out: fc.boolean(),
    priv: fc.constantFrom(...PRIVATE, OWN[0], OWN[1]),
    pub: fc.constantFrom(...PUBLIC, "198.51.255.9", OWN[1]),
    proto: fc.constantFrom(6, 17, 1, 47),
    sport: fc.constantFrom(25, 1024, 1500),
    dport: fc.constantFrom(25, 80, 100, 110, 999, 1000, 2000, 2001),
    type: fc.constantFrom(0, 3, 8),
    code: fc.constantFrom(0, 1, 3),
    // Minutes at and around the window edges the rules use (0, 8, 17, 21 h).
    minute: fc.constantFrom(0, 1, 479, 480, 600, 1019, 1020, 1259, 1260, 1439),
    dow: fc.integer({ min: 0, max: 6 }),
    day: fc.constantFrom(1, 15, 20),
    month: fc.constantFrom(1, 6, 12),
  })
  .map((x) => {
    const h = emptyHeader(60);
    const a = parseIpv4(x.priv)!, b = parseIpv4(x.pub)!;
    h.proto = x.proto;
    h.src = [x.out ? a : b];
    h.dst = [x.out ? b : a];
    if (x.proto === 6 || x.proto === 17) { h.sport = x.sport; h.dport = x.dport; }
    if (x.proto === 6) h.tcpFlags = 2;
    if (x.proto === 1) { h.icmpType = x.type; h.icmpCode = x.code; }
    const m: PacketMeta = {
      ifIn: x.out ? 0 : 1, ifOut: x.out ? 1 : 0, dir: x.out ? L.DIR_OUTBOUND : L.DIR_INBOUND,
      minuteOfDay: x.minute, dayOfWeek: x.dow, day: x.day, month: x.month, timeNs: 0n,
    };
    return { out: x.out, h, m };
  });

/** The device's rules read directly, with no lowering. */
function oracle(rules: CeRule[], p: Pkt): { verdict: "permit" | "deny"; logged: boolean } {
  const { h, m } = p;
  const dir = p.out ? "outbound" : "inbound";
  const priv = p.out ? h.src : h.dst, pub = p.out ? h.dst : h.src;
  const matches = (r: CeRule) => {
    if (r.disabled || r.direction !== dir) return false;
    if (r.privateHost && r.privateHost.words[0] !== priv[0]) return false;
    if (r.publicHost && !prefixContains(makePrefix(r.publicHost, r.publicSubnet?.len ?? 32), { family: 4, words: pub })) return false;
    const proto = r.protocol ?? (r.icmpType !== null || r.icmpCode !== null ? 1 : null);
    if (proto !== null && proto !== h.proto) return false;
    if (r.ports && (h.dport === null || h.dport < r.ports.min || h.dport > r.ports.max)) return false;
    if (r.icmpType !== null && h.icmpType !== r.icmpType) return false;
    if (r.icmpCode !== null && h.icmpCode !== r.icmpCode) return false;
    if (r.hours) {
      const from = r.hours.start * 60, to = r.hours.end * 60; // [from, to), wrapping; equal = all day
      const inside = from < to ? m.minuteOfDay >= from && m.minuteOfDay < to : from === to || m.minuteOfDay >= from || m.minuteOfDay < to;
      if (!inside) return false;
    }
    if (r.dayOfWeek !== null && !(r.dayOfWeek & (1 << m.dayOfWeek))) return false;
    if (r.day !== null && r.day !== m.day) return false;
    if (r.month !== null && r.month !== m.month) return false;
    return true;
  };
  // Only the appliance's traffic to itself always passes (from a private interface: from the Internet it is forged).
  const own = (w: number) => OWN.some((o) => parseIpv4(o) === w);
  const local = p.out && own(h.src[0]) && own(h.dst[0]);
  const hit = rules.filter(matches);
  const verdict = local ? "permit" : hit.some((r) => r.action === "allow") ? "permit" : hit.some((r) => r.action === "block") ? "deny" : p.out ? "permit" : "deny";
  const logged = hit.some((r) => r.action === "log" && (r.logAction === null || (!local && (r.logAction === 1) === (verdict === "deny"))));
  return { verdict, logged };
}

function regeditBlock(r: CeRule): string {
  return exportReg([r]).split("\r\n").slice(2).join("\r\n");
}

describe("order independence and the device's semantics (property)", () => {
  it("shuffled keys give the same verdicts and logs as each other and as a direct reading of the rules", async () => {
    const e = await wasm();
    await fc.assert(
      fc.asyncProperty(rulesArb.chain((rs) => fc.tuple(fc.constant(rs), fc.shuffledSubarray(rs, { minLength: rs.length }))), fc.array(pktArb, { minLength: 1, maxLength: 24 }), async ([rules, shuffled], pkts) => {
        const texts = [rules.map(regeditBlock).join(""), shuffled.map(regeditBlock).join("")];
        const outcomes = texts.map((text) => {
          const res = load(text, BUILTIN);
          expect(res.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
          const policy = res.policy!;
          e.load(encodePolicy(policy));
          // Rule semantics, packet by packet: no flow left by an earlier packet may decide a later one.
          const w = pkts.map((p) => {
            conntrackOf(e).flush();
            return e.classifyHeaders([p.h], [p.m])[0];
          });
          const ref = new ReferenceEngine(policy);
          return pkts.map((p, i) => {
            const r = ref.classify(p.h, p.m);
            expect([w[i].verdict, w[i].rule, w[i].monitorRule]).toEqual([r.verdict, r.rule, r.monitorRule]);
            return { verdict: w[i].verdict, logged: w[i].monitorRule >= 0 || (w[i].marks & L.MARK_LOG) !== 0 };
          });
        });
        expect(outcomes[1]).toEqual(outcomes[0]);
        expect(outcomes[0]).toEqual(pkts.map((p) => oracle(rules, p)));
      }),
      { numRuns: 1000, seed: SEED },
    );
  });

  it("export then import gives the same rules", () => {
    fc.assert(
      fc.property(rulesArb, (rules) => {
        const res = load(exportReg(rules));
        expect(res.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
        const byName = (a: CeRule, b: CeRule) => a.name.localeCompare(b.name);
        expect(res.rules.sort(byName).map(ruleMeaning)).toEqual([...rules].sort(byName).map(ruleMeaning));
      }),
      { numRuns: 300, seed: SEED + 1 },
    );
  });
});
