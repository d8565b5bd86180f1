// The WebAssembly connection table against the stateful reference
// (host/conntrack/reference.ts) on random packet sequences, and the two
// stateless engines against each other when no ruleset keeps state.
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import * as L from "../assembly/layout.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { StatefulReference } from "../host/conntrack/reference.ts";
import { type PacketHeader, type PacketMeta, emptyConn } from "../host/engine/header.ts";
import { parseIpv4 } from "../host/model/addr.ts";
import { rule, policy, out, inb, engineWith } from "./conntrack/helpers.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const LAN_HOSTS = ["192.168.0.10", "192.168.0.11"].map((a) => parseIpv4(a)!);
const WAN_HOSTS = ["10.0.0.20", "10.0.0.21"].map((a) => parseIpv4(a)!);
const PORTS = [21, 80, 1001];
const FLAGS = [L.TCP_SYN, L.TCP_SYN | L.TCP_ACK, L.TCP_ACK, L.TCP_ACK | L.TCP_PSH, L.TCP_FIN | L.TCP_ACK, L.TCP_RST, L.TCP_RST | L.TCP_ACK];
const NUMS = [0, 100, 101, 500, 501, 70000];
const GAPS = [0n, 0n, 1n, 29n, 31n, 61n, 121n].map((s) => s * 1_000_000_000n);

const packet = fc.record({
  fromLan: fc.boolean(),
  lanHost: fc.constantFrom(...LAN_HOSTS),
  wanHost: fc.constantFrom(...WAN_HOSTS),
  kind: fc.constantFrom("tcp", "tcp", "tcp", "tcp", "handshake", "udp", "icmp", "icmp-error", "gre"),
  sport: fc.constantFrom(...PORTS),
  dport: fc.constantFrom(...PORTS),
  flags: fc.constantFrom(...FLAGS),
  seq: fc.constantFrom(...NUMS),
  ack: fc.constantFrom(...NUMS),
  window: fc.constantFrom(0, 10, 65535),
  payload: fc.constantFrom(0, 0, 1, 5),
  icmpType: fc.constantFrom(8, 0, 3),
  icmpId: fc.constantFrom(1, 2),
  innerProto: fc.constantFrom(6, 17),
  gap: fc.constantFrom(...GAPS),
});
type Gen = typeof packet extends fc.Arbitrary<infer T> ? T : never;

function build(g: Gen, t: bigint): { h: PacketHeader; m: PacketMeta } {
  const [src, dst] = g.fromLan ? [g.lanHost, g.wanHost] : [g.wanHost, g.lanHost];
  const h: PacketHeader = {
    reason: L.REASON_OK, family: 4, proto: 0, frag: "none", src: [src], dst: [dst], sport: null, dport: null,
    icmpType: null, icmpCode: null, tcpFlags: null, length: 60, l4Offset: 34, conn: emptyConn(),
  };
  switch (g.kind) {
    case "tcp":
      Object.assign(h, { proto: 6, sport: g.sport, dport: g.dport, tcpFlags: g.flags });
      Object.assign(h.conn!, { seq: g.seq, ack: g.ack, window: g.window, payload: g.payload });
      break;
    case "udp":
      Object.assign(h, { proto: 17, sport: g.sport, dport: g.dport });
      break;
    case "icmp":
      Object.assign(h, { proto: 1, icmpType: g.icmpType, icmpCode: 0 });
      if (g.icmpType !== 3) h.conn!.icmpId = g.icmpId;
      break;
    case "icmp-error":
      // Quoting a packet that went the other way (dst -> src), as a real error does.
      Object.assign(h, { proto: 1, icmpType: 3, icmpCode: 1 });
      h.conn!.inner = { family: 4, proto: g.innerProto, src: [dst], dst: [src], sport: g.dport, dport: g.sport };
      break;
    case "gre":
      h.proto = 47;
      break;
  }
  return { h, m: g.fromLan ? out(t) : inb(t) };
}

const rulesFor = (stateful: boolean) => policy([
  rule("deny", { proto: 6, dport: { op: "eq", port: 1001 } }),
  rule("permit", { proto: 6, ifIn: "lan" }),
  rule("permit", { proto: 17, ifIn: "lan", dport: { op: "eq", port: 80 }, keepState: true }),
  rule("permit", { proto: 17, ifIn: "lan", dport: { op: "eq", port: 21 } }),
  rule("permit", { proto: 1, ifIn: "lan" }),
  rule("permit", { proto: 47 }),
  rule("permit", { proto: 6, ifIn: "wan", dport: { op: "eq", port: 21 } }),
], stateful);

// "handshake" stands for three coherent segments (SYN, SYN-ACK, ACK), so the
// random sequences reach the established state and what follows it.
function sequence(gs: Gen[]) {
  let t = 1_000_000_000n;
  return gs.flatMap((g) => {
    t += g.gap;
    if (g.kind !== "handshake") return [build(g, t)];
    const tcp = { ...g, kind: "tcp" as const };
    const back = { ...tcp, fromLan: !g.fromLan, sport: g.dport, dport: g.sport };
    return [
      build({ ...tcp, flags: L.TCP_SYN, seq: 100, payload: 0 }, t),
      build({ ...back, flags: L.TCP_SYN | L.TCP_ACK, seq: 500, ack: 101, payload: 0 }, t),
      build({ ...tcp, flags: L.TCP_ACK, seq: 101, ack: 501, payload: 0 }, t),
    ];
  });
}

describe("stateful reference", () => {
  it("agrees with the WebAssembly table on random packet sequences", async () => {
    const p = rulesFor(true);
    const e = await engineWith(p, 4096);
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 300 }), async (gs) => {
        conntrackOf(e).flush();
        const ref = new StatefulReference(p);
        const seq = sequence(gs);
        // Vary the batch split: state must carry across batches.
        const wasm = [...e.classifyHeaders(seq.slice(0, 50).map((x) => x.h), seq.slice(0, 50).map((x) => x.m)),
          ...e.classifyHeaders(seq.slice(50).map((x) => x.h), seq.slice(50).map((x) => x.m))];
        seq.forEach(({ h, m }, i) => {
          const r = ref.classify(h, m);
          const w = wasm[i];
          expect([w.verdict, w.reason, w.rule, w.stage], `packet ${i}`).toEqual([r.verdict, r.reason, r.rule, r.stage]);
          const st = w.flow >= 0 ? conntrackOf(e).flow({ id: w.flow, gen: w.flowGen }) : null;
          if (r.state !== null && st && i === seq.length - 1) expect(st.state).toBe(r.state);
        });
      }),
      { seed: 20240611, numRuns: 150 },
    );
  });

  it("the random sequences do reach every kind of result", async () => {
    const p = rulesFor(true);
    const ref = new StatefulReference(p);
    const seen = new Set<number>();
    const states = new Set<string>();
    fc.assert(fc.property(fc.array(packet, { minLength: 200, maxLength: 200 }), (gs) => {
      for (const { h, m } of sequence(gs)) {
        const r = ref.classify(h, m);
        seen.add(r.reason);
        if (r.state) states.add(r.state);
      }
    }), { seed: 7, numRuns: 30 });
    expect([...seen].sort()).toEqual([L.REASON_MATCHED, L.REASON_DEFAULT, L.REASON_STATE, L.REASON_RELATED].sort());
    for (const s of ["syn-sent", "syn-recv", "established", "fin-wait", "closing", "closed", "none"]) expect(states.has(s), s).toBe(true);
  });
});

describe("stateless rulesets", () => {
  it("the WebAssembly and reference engines still agree, and nothing is tracked", async () => {
    const p = rulesFor(false);
    p.rulesets[0].rules.forEach((r) => (r.keepState = false));
    const e = await engineWith(p);
    await fc.assert(
      fc.asyncProperty(fc.array(packet, { minLength: 1, maxLength: 200 }), async (gs) => {
        const ref = new ReferenceEngine(p);
        const seq = sequence(gs);
        const wasm = e.classifyHeaders(seq.map((x) => x.h), seq.map((x) => x.m));
        seq.forEach(({ h, m }, i) => {
          const r = ref.classify(h, m);
          expect([wasm[i].verdict, wasm[i].reason, wasm[i].rule, wasm[i].stage, wasm[i].inputRule, wasm[i].outputRule]).toEqual([r.verdict, r.reason, r.rule, r.stage, r.inputRule, r.outputRule]);
        });
        expect(conntrackOf(e).stats().created).toBe(0);
      }),
      { seed: 99, numRuns: 100 },
    );
  });
});
