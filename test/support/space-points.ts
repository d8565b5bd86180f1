// Packets as points of the analysis's header space (host/analysis/space.ts),
// and back: the property tests of the diff and the lint judge points with
// the reference matcher and look them up in the reported regions.
import fc from "fast-check";
import * as L from "../../assembly/layout.ts";
import type { PacketHeader, PacketMeta } from "../../host/engine/header.ts";
import type { Value, ISet } from "../../host/analysis/intervals.ts";
import {
  type Box, NDIMS, D_IN, D_OUT, D_FAMILY, D_FRAG, D_PROTO, D_SRC, D_DST, D_SPORT, D_DPORT, D_TYPE, D_CODE, D_FLAGS, D_TIME, D_DAY, D_MONTH,
  PORT_ABSENT, ICMP_ABSENT, FLAGS_ABSENT, PORT_PROTOS, ICMP_PROTOS,
} from "../../host/analysis/space.ts";
import { parseAppliance, type Appliance, direction } from "../../host/model/appliance.ts";
import type { Layout } from "../../host/analysis/frame.ts";
import { headerArb, metaArb, IFACES } from "./arbitrary.ts";
import type { ReferenceEngine } from "../../host/engine/reference.ts";
import type { Policy } from "../../host/model/rule.ts";

/** lan and dmz private, wan public: every direction occurs among the pairs. */
export const TEST_APPLIANCE: Appliance = parseAppliance({
  interfaces: [
    { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
    { name: "wan", role: "public", addresses: ["10.0.0.1/24"] },
    { name: "dmz", role: "private", addresses: ["172.16.0.1/24"] },
  ],
}, "test");
if (TEST_APPLIANCE.interfaces.map((i) => i.name).join() !== IFACES.join()) throw new Error("TEST_APPLIANCE must list IFACES");

export const TEST_LAYOUT: Layout = {
  interfaces: IFACES,
  direction: (i, o) => direction(TEST_APPLIANCE, i, o),
};

export function dirCode(ifIn: number, ifOut: number): number {
  const d = direction(TEST_APPLIANCE, ifIn, ifOut);
  return d === "inbound" ? L.DIR_INBOUND : d === "outbound" ? L.DIR_OUTBOUND : L.DIR_OTHER;
}

function addrValue(words: number[]): Value {
  if (words.length === 1) return words[0] >>> 0;
  let v = 0n;
  for (const w of words) v = (v << 32n) | BigInt(w >>> 0);
  return v;
}

function wordsOf(v: Value, family: 4 | 6): number[] {
  if (family === 4) return [Number(v)];
  const out: number[] = [];
  for (let i = 3; i >= 0; i--) out.push(Number((BigInt(v) >> BigInt(32 * i)) & 0xffffffffn));
  return out;
}

export type Point = Value[];

export function pointOf(h: PacketHeader, m: PacketMeta): Point {
  return [
    m.ifIn, m.ifOut, h.family, h.frag === "none" ? 0 : h.frag === "first" ? 1 : 2, h.proto, addrValue(h.src), addrValue(h.dst),
    h.sport ?? PORT_ABSENT, h.dport ?? PORT_ABSENT, h.icmpType ?? ICMP_ABSENT, h.icmpCode ?? ICMP_ABSENT, h.tcpFlags ?? FLAGS_ABSENT,
    m.dayOfWeek * 1440 + m.minuteOfDay, m.day, m.month,
  ];
}

export function packetOf(p: Point): [PacketHeader, PacketMeta] {
  const family = Number(p[D_FAMILY]) as 4 | 6;
  const n = (d: number, absent: number) => (Number(p[d]) === absent ? null : Number(p[d]));
  const frag = Number(p[D_FRAG]);
  const h: PacketHeader = {
    reason: L.REASON_OK, family, proto: Number(p[D_PROTO]), frag: frag === 0 ? "none" : frag === 1 ? "first" : "later",
    src: wordsOf(p[D_SRC], family), dst: wordsOf(p[D_DST], family),
    sport: n(D_SPORT, PORT_ABSENT), dport: n(D_DPORT, PORT_ABSENT), icmpType: n(D_TYPE, ICMP_ABSENT), icmpCode: n(D_CODE, ICMP_ABSENT),
    tcpFlags: n(D_FLAGS, FLAGS_ABSENT), length: 60, l4Offset: 0,
  };
  const ifIn = Number(p[D_IN]), ifOut = Number(p[D_OUT]), mow = Number(p[D_TIME]);
  const m: PacketMeta = {
    ifIn, ifOut, dir: dirCode(ifIn, ifOut), minuteOfDay: mow % 1440, dayOfWeek: Math.floor(mow / 1440),
    day: Number(p[D_DAY]), month: Number(p[D_MONTH]), timeNs: 0n,
  };
  return [h, m];
}

function inSet(s: ISet, v: Value): boolean {
  for (let i = 0; i < s.length; i += 2) if (s[i] <= v && v < s[i + 1]) return true;
  return false;
}

export function inBox(b: Box, p: Point): boolean {
  for (let d = 0; d < NDIMS; d++) if (!inSet(b[d], p[d])) return false;
  return true;
}

/** Points of a box near its edges: all low corners, all high corners, and mixes. */
export function cornerPoints(b: Box, rnd: () => number, count: number): Point[] {
  const out: Point[] = [];
  for (let k = 0; k < count; k++) {
    out.push(b.map((s) => {
      const i = 2 * Math.floor(rnd() * (s.length / 2));
      const lo = s[i], hi = s[i + 1];
      const mode = k === 0 ? 0 : k === 1 ? 1 : Math.floor(rnd() * 3);
      if (mode === 0) return lo;
      if (mode === 1) return typeof hi === "bigint" ? hi - 1n : (hi as number) - 1;
      if (typeof lo === "bigint") return lo + (BigInt(Math.floor(rnd() * 1e9)) % ((hi as bigint) - lo));
      return lo + Math.floor(rnd() * ((hi as number) - (lo as number)));
    }));
  }
  return out;
}

/**
 * A packet a parser can produce (what the analyses' space holds): fields
 * present as the protocol and fragment state say, the direction the test
 * appliance gives the interface pair, a real date.
 */
export const realPacketArb: fc.Arbitrary<[PacketHeader, PacketMeta]> = fc.tuple(headerArb, metaArb, fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 65535 }), fc.integer({ min: 0, max: 255 }))
  .map(([h0, m0, flags, port, icmp]) => {
    const h = { ...h0, reason: L.REASON_OK };
    const m = { ...m0, ifIn: m0.ifIn % IFACES.length, ifOut: m0.ifOut % IFACES.length };
    m.dir = dirCode(m.ifIn, m.ifOut);
    if (h.family === 6 && h.frag !== "later" && [0, 43, 44, 51, 60].includes(h.proto)) h.proto = 59;
    const l4 = h.frag !== "later";
    const ports = l4 && PORT_PROTOS.includes(h.proto);
    h.sport = ports ? (h.sport ?? port) : null;
    h.dport = ports ? (h.dport ?? port) : null;
    const icmpP = l4 && ICMP_PROTOS.includes(h.proto);
    h.icmpType = icmpP ? (h.icmpType ?? icmp) : null;
    h.icmpCode = icmpP ? (h.icmpCode ?? 0) : null;
    h.tcpFlags = l4 && h.proto === 6 ? (h.tcpFlags ?? flags) & 63 : null;
    const dim = m.month === 2 ? 29 : [4, 6, 9, 11].includes(m.month) ? 30 : 31;
    m.day = Math.min(m.day, dim);
    return [h, m] as [PacketHeader, PacketMeta];
  });

/** Is a point a packet of the space (present fields as the shape says)? */
export function isRealPoint(p: Point): boolean {
  const [h] = packetOf(p);
  const l4 = h.frag !== "later";
  if ((h.sport !== null) !== (l4 && PORT_PROTOS.includes(h.proto))) return false;
  if ((h.icmpType !== null) !== (l4 && ICMP_PROTOS.includes(h.proto))) return false;
  if ((h.tcpFlags !== null) !== (l4 && h.proto === 6)) return false;
  return true;
}

/** What decided: "permit|rule RULESET TEXT", "deny|default RULESET", "permit|no filter". */
export function decisionKey(p: Policy, engine: ReferenceEngine, h: PacketHeader, m: PacketMeta): { verdict: string; who: string } {
  const d = engine.classify(h, m);
  let who: string;
  if (d.rule >= 0) {
    let i = d.rule;
    let rsName = "";
    let text = "";
    for (const rs of p.rulesets) {
      if (i < rs.rules.length) { rsName = rs.name; text = rs.rules[i].origin.text; break; }
      i -= rs.rules.length;
    }
    who = `rule ${rsName} ${text}`;
  } else if (d.stage === "none") {
    who = "no filter";
  } else {
    const rs = d.stage === "input" ? p.input[m.ifIn] : p.output[m.ifOut];
    who = `default ${p.rulesets[rs!].name}`;
  }
  return { verdict: d.verdict, who };
}
