// The connection table (assembly/conntrack/) through WasmEngine: every TCP
// state transition, the sequence checks, each idle timeout with controlled
// timestamps, replies, ICMP echo and related errors, eviction, reloads.
import { describe, expect, it } from "vitest";
import * as L from "../assembly/layout.ts";
import { tcpPacket, udpPacket, icmpPacket, ipv4, tcp, udp } from "../host/packet/build.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import type { WasmEngine } from "../host/engine/wasm.ts";
import { rule, policy, out, inb, engineWith, one, SEC, LAN, WAN } from "./conntrack/helpers.ts";
import { ethernet } from "../host/packet/build.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const C = "192.168.0.10"; // client on lan
const S = "10.0.0.20"; // server on wan

// Outbound TCP and UDP and ICMP from the lan are permitted; nothing inbound.
const rules = () => [
  rule("permit", { proto: 6, ifIn: "lan" }),
  rule("permit", { proto: 17, ifIn: "lan" }),
  rule("permit", { proto: 1, ifIn: "lan" }),
];

type Seg = { flags: string; seq?: number; ack?: number; payload?: string; window?: number };
const c2s = (s: Seg, sport = 40000, dport = 80) =>
  tcpPacket({ src: C, dst: S, sport, dport, flags: s.flags, seq: s.seq, ack: s.ack, window: s.window, payload: s.payload ? new TextEncoder().encode(s.payload) : undefined });
const s2c = (s: Seg, sport = 40000, dport = 80) =>
  tcpPacket({ src: S, dst: C, sport: dport, dport: sport, flags: s.flags, seq: s.seq, ack: s.ack, window: s.window, payload: s.payload ? new TextEncoder().encode(s.payload) : undefined });

function stateOf(e: WasmEngine, r: { flow: number; flowGen: number }): string | undefined {
  return conntrackOf(e).flow({ id: r.flow, gen: r.flowGen })?.state;
}

// The three-way handshake at time t0 (client ISN 1000, server ISN 5000).
function handshake(e: WasmEngine, t0 = 0n, sport = 40000) {
  const syn = one(e, c2s({ flags: "S", seq: 1000 }, sport), out(t0));
  const synack = one(e, s2c({ flags: "SA", seq: 5000, ack: 1001 }, sport), inb(t0));
  const ack = one(e, c2s({ flags: "A", seq: 1001, ack: 5001 }, sport), out(t0));
  return { syn, synack, ack };
}

describe("TCP state tracking", () => {
  it("walks SYN, SYN-ACK, established, FIN, FIN-ACK, last ACK to closed", async () => {
    const e = await engineWith(policy(rules()));
    const syn = one(e, c2s({ flags: "S", seq: 1000 }), out(0n));
    expect(syn).toMatchObject({ verdict: "permit", reason: L.REASON_MATCHED, rule: 0 });
    expect(syn.ctFlags & L.CTR_NEW).toBe(L.CTR_NEW);
    expect(stateOf(e, syn)).toBe("syn-sent");
    const synack = one(e, s2c({ flags: "SA", seq: 5000, ack: 1001 }), inb(SEC));
    expect(synack).toMatchObject({ verdict: "permit", reason: L.REASON_STATE, rule: -1, stage: "none", flow: syn.flow });
    expect(stateOf(e, syn)).toBe("syn-recv");
    one(e, c2s({ flags: "A", seq: 1001, ack: 5001 }), out(SEC));
    expect(stateOf(e, syn)).toBe("established");
    expect(one(e, s2c({ flags: "PA", seq: 5001, ack: 1001, payload: "hello" }), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, c2s({ flags: "FA", seq: 1001, ack: 5006 }), out(SEC)).reason).toBe(L.REASON_STATE);
    expect(stateOf(e, syn)).toBe("fin-wait");
    expect(one(e, s2c({ flags: "FA", seq: 5006, ack: 1002 }), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(stateOf(e, syn)).toBe("closing");
    expect(one(e, c2s({ flags: "A", seq: 1002, ack: 5007 }), out(SEC)).reason).toBe(L.REASON_STATE);
    expect(stateOf(e, syn)).toBe("closed");
  });

  it("an unsolicited inbound packet is decided by the rules (default deny)", async () => {
    const e = await engineWith(policy(rules()));
    const r = one(e, s2c({ flags: "SA", seq: 5000, ack: 1001 }), inb(0n));
    expect(r).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT, flow: -1 });
  });

  it("a SYN-ACK that does not acknowledge the SYN is invalid: rules decide, state unchanged", async () => {
    const e = await engineWith(policy(rules()));
    const syn = one(e, c2s({ flags: "S", seq: 1000 }), out(0n));
    expect(one(e, s2c({ flags: "SA", seq: 5000, ack: 999 }), inb(0n))).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT });
    expect(stateOf(e, syn)).toBe("syn-sent");
    expect(conntrackOf(e).stats().invalid).toBe(1);
  });

  it("in SYN-SENT only a SYN-ACK or an acceptable RST comes back", async () => {
    const e = await engineWith(policy(rules()));
    const syn = one(e, c2s({ flags: "S", seq: 1000 }), out(0n));
    expect(one(e, s2c({ flags: "A", seq: 5000, ack: 1001 }), inb(0n)).verdict).toBe("deny");
    expect(one(e, s2c({ flags: "RA", seq: 0, ack: 7 }), inb(0n)).verdict).toBe("deny");
    expect(stateOf(e, syn)).toBe("syn-sent");
    expect(one(e, s2c({ flags: "RA", seq: 0, ack: 1001 }), inb(0n))).toMatchObject({ verdict: "permit", reason: L.REASON_STATE });
    expect(stateOf(e, syn)).toBe("closed");
  });

  it("a retransmitted SYN refreshes SYN-SENT", async () => {
    const e = await engineWith(policy(rules()));
    const syn = one(e, c2s({ flags: "S", seq: 1000 }), out(0n));
    expect(one(e, c2s({ flags: "S", seq: 1000 }), out(50n * SEC))).toMatchObject({ reason: L.REASON_STATE, flow: syn.flow });
    // 50 + 60 s later than the first: alive thanks to the retransmission at 50 s.
    expect(one(e, s2c({ flags: "SA", seq: 5000, ack: 1001 }), inb(100n * SEC)).reason).toBe(L.REASON_STATE);
  });

  it("an RST inside the receiver's window closes; one outside is invalid and leaves the flow", async () => {
    const e = await engineWith(policy(rules()));
    const { syn } = handshake(e);
    // Server's next sequence number is 5001; the client advertised 65535.
    expect(one(e, s2c({ flags: "R", seq: 5001 + 70000 }), inb(0n))).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT });
    expect(stateOf(e, syn)).toBe("established");
    expect(conntrackOf(e).stats().invalid).toBe(1);
    expect(one(e, s2c({ flags: "R", seq: 5001 + 100 }), inb(0n))).toMatchObject({ verdict: "permit", reason: L.REASON_STATE });
    expect(stateOf(e, syn)).toBe("closed");
  });

  it("a closed flow lingers 10 s for stragglers, then a new SYN with the same ports starts over", async () => {
    const e = await engineWith(policy(rules()));
    const { syn } = handshake(e);
    one(e, c2s({ flags: "R", seq: 1001 }), out(0n));
    expect(stateOf(e, syn)).toBe("closed");
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }), inb(9n * SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }), inb(11n * SEC)).verdict).toBe("deny");
    const again = one(e, c2s({ flags: "S", seq: 9000 }), out(12n * SEC));
    expect(again).toMatchObject({ reason: L.REASON_MATCHED });
    expect(again.ctFlags & L.CTR_NEW).toBe(L.CTR_NEW);
    expect(stateOf(e, again)).toBe("syn-sent");
  });

  it("a SYN reusing a closed flow's ports is decided again by the rules", async () => {
    const e = await engineWith(policy(rules()));
    handshake(e);
    one(e, c2s({ flags: "R", seq: 1001 }), out(0n));
    const r = one(e, c2s({ flags: "S", seq: 77 }), out(SEC));
    expect(r.reason).toBe(L.REASON_MATCHED);
    expect(r.ctFlags & L.CTR_NEW).toBe(L.CTR_NEW);
  });

  it("only a bare SYN opens a flow: a permitted ACK passes untracked", async () => {
    const e = await engineWith(policy(rules()));
    const r = one(e, c2s({ flags: "A", seq: 1, ack: 1 }), out(0n));
    expect(r).toMatchObject({ verdict: "permit", reason: L.REASON_MATCHED, flow: -1 });
    expect(one(e, s2c({ flags: "A", seq: 1, ack: 1 }), inb(0n)).verdict).toBe("deny");
  });
});

describe("idle timeouts, from the packets' own timestamps", () => {
  it("TCP before establishment: 60 s", async () => {
    const e = await engineWith(policy(rules()));
    one(e, c2s({ flags: "S", seq: 1000 }), out(0n));
    expect(one(e, s2c({ flags: "SA", seq: 5000, ack: 1001 }), inb(60n * SEC)).reason).toBe(L.REASON_STATE);
    // The SYN-ACK at 60 s refreshed it; the final ACK 61 s after that is too late.
    expect(one(e, c2s({ flags: "A", seq: 1001, ack: 5001 }), out(121n * SEC + 1n)).reason).toBe(L.REASON_MATCHED);
    expect(conntrackOf(e).stats().expired).toBe(1);
  });

  it("established TCP: 86,400 s", async () => {
    const e = await engineWith(policy(rules()));
    handshake(e);
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }), inb(86_400n * SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }), inb(2n * 86_400n * SEC + 1n)).verdict).toBe("deny");
  });

  it("FIN-WAIT and CLOSING: 120 s", async () => {
    const e = await engineWith(policy(rules()));
    handshake(e);
    one(e, c2s({ flags: "FA", seq: 1001, ack: 5001 }), out(0n));
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1002 }), inb(120n * SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1002 }), inb(240n * SEC + 1n)).verdict).toBe("deny");
  });

  it("UDP: 60 s; ICMP echo: 30 s", async () => {
    const e = await engineWith(policy(rules()));
    one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(0n));
    expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(60n * SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(120n * SEC + 1n)).verdict).toBe("deny");
    one(e, icmpPacket({ src: C, dst: S, type: 8, code: 0, id: 77, seq: 1 }), out(200n * SEC));
    expect(one(e, icmpPacket({ src: S, dst: C, type: 0, code: 0, id: 77, seq: 1 }), inb(230n * SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, icmpPacket({ src: S, dst: C, type: 0, code: 0, id: 77, seq: 2 }), inb(260n * SEC + 1n)).verdict).toBe("deny");
  });

  it("timeouts are configurable and validated", async () => {
    const e = await engineWith(policy(rules()));
    conntrackOf(e).configure({ timeouts: { udp: 5, tcpEstablished: 100 } });
    expect(conntrackOf(e).timeouts()).toMatchObject({ udp: 5, tcpEstablished: 100, tcpOpening: 60, icmp: 30 });
    one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(0n));
    expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(6n * SEC)).verdict).toBe("deny");
    expect(() => conntrackOf(e).configure({ timeouts: { udp: 0 } })).toThrow(/whole number of seconds/);
    expect(() => conntrackOf(e).configure({ timeouts: { bogus: 3 } as never })).toThrow(/unknown conntrack timeout/);
    expect(() => conntrackOf(e).configure({ capacity: 0 })).toThrow(/capacity/);
  });

  it("a packet with an older timestamp neither expires nor revives a flow (the clock only moves forward)", async () => {
    const e = await engineWith(policy(rules()));
    one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(100n * SEC));
    expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(10n * SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(161n * SEC)).verdict).toBe("deny");
  });

  it("sweepConntrack removes expired flows from the count", async () => {
    const e = await engineWith(policy(rules()));
    for (let i = 0; i < 10; i++) one(e, udpPacket({ src: C, dst: S, sport: 6000 + i, dport: 53 }), out(0n));
    expect(conntrackOf(e).stats().flows).toBe(10);
    conntrackOf(e).sweep(61n * SEC);
    expect(conntrackOf(e).stats()).toMatchObject({ flows: 0, expired: 10 });
  });
});

describe("replies and statefulness", () => {
  it("replies of a permitted UDP flow pass without the rules; a stateless ruleset drops them", async () => {
    for (const stateful of [true, false]) {
      const e = await engineWith(policy(rules(), stateful));
      one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(0n));
      const reply = one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(SEC));
      expect(reply.verdict).toBe(stateful ? "permit" : "deny");
      expect(reply.reason).toBe(stateful ? L.REASON_STATE : L.REASON_DEFAULT);
    }
  });

  it("a keep-state rule makes its own flows stateful in a stateless ruleset", async () => {
    const e = await engineWith(policy([rule("permit", { proto: 17, ifIn: "lan", dport: { op: "eq", port: 53 }, keepState: true }), rule("permit", { proto: 17, ifIn: "lan" })], false));
    one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(0n));
    one(e, udpPacket({ src: C, dst: S, sport: 5354, dport: 123 }), out(0n));
    expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, udpPacket({ src: S, dst: C, sport: 123, dport: 5354 }), inb(SEC)).verdict).toBe("deny");
  });

  it("whether a program can keep state is worked out again at each load (stateless, then stateful, then a keep-state rule)", async () => {
    // conntrack.ts skips its keep-state check for a program that cannot keep
    // state; a reload must not carry that over to the next program.
    const e = await engineWith(policy(rules(), false));
    one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(0n));
    expect(conntrackOf(e).stats().flows).toBe(0);
    e.load(encodePolicy(policy(rules(), true)));
    one(e, udpPacket({ src: C, dst: S, sport: 5354, dport: 53 }), out(0n));
    expect(conntrackOf(e).stats().flows).toBe(1);
    e.load(encodePolicy(policy(rules(), false)));
    one(e, udpPacket({ src: C, dst: S, sport: 5355, dport: 53 }), out(0n));
    expect(conntrackOf(e).stats().flows).toBe(1);
    e.load(encodePolicy(policy([rule("permit", { proto: 17, ifIn: "lan", keepState: true })], false)));
    one(e, udpPacket({ src: C, dst: S, sport: 5356, dport: 53 }), out(0n));
    expect(conntrackOf(e).stats().flows).toBe(2);
  });

  it("a denied packet creates no flow", async () => {
    const e = await engineWith(policy(rules()));
    one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 5353 }), inb(0n));
    expect(conntrackOf(e).stats().flows).toBe(0);
  });

  it("ICMP echo: the reply passes; a request the other way is not part of the flow", async () => {
    const e = await engineWith(policy(rules()));
    one(e, icmpPacket({ src: C, dst: S, type: 8, code: 0, id: 9, seq: 1 }), out(0n));
    expect(one(e, icmpPacket({ src: S, dst: C, type: 0, code: 0, id: 9, seq: 1 }), inb(0n)).reason).toBe(L.REASON_STATE);
    expect(one(e, icmpPacket({ src: S, dst: C, type: 8, code: 0, id: 9, seq: 1 }), inb(0n)).verdict).toBe("deny");
    expect(one(e, icmpPacket({ src: S, dst: C, type: 0, code: 0, id: 10, seq: 1 }), inb(0n)).verdict).toBe("deny");
  });

  it("IPv6 flows are tracked too", async () => {
    const e = await engineWith(policy(rules()));
    one(e, tcpPacket({ src: "2001:db8::10", dst: "2001:db8:1::20", sport: 40000, dport: 443, flags: "S", seq: 1 }), out(0n));
    expect(one(e, tcpPacket({ src: "2001:db8:1::20", dst: "2001:db8::10", sport: 443, dport: 40000, flags: "SA", seq: 9, ack: 2 }), inb(0n)).reason).toBe(L.REASON_STATE);
  });

  it("flows survive a program reload (even to a program that permits nothing)", async () => {
    const e = await engineWith(policy(rules()));
    handshake(e);
    e.load(encodePolicy(policy([])));
    expect(one(e, s2c({ flags: "PA", seq: 5001, ack: 1001, payload: "x" }), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, c2s({ flags: "S", seq: 1 }, 40001), out(SEC)).verdict).toBe("deny");
  });

  it("flushConntrack forgets every flow", async () => {
    const e = await engineWith(policy(rules()));
    handshake(e);
    conntrackOf(e).flush();
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }), inb(SEC)).verdict).toBe("deny");
  });

  it("non-first fragments bypass the table", async () => {
    const e = await engineWith(policy(rules()));
    // A flow whose key has ports 0, which is what a later fragment's tuple holds.
    one(e, udpPacket({ src: C, dst: S, sport: 0, dport: 0 }), out(0n));
    expect(one(e, udpPacket({ src: S, dst: C, sport: 0, dport: 0 }), inb(0n)).reason).toBe(L.REASON_STATE);
    const frag = ethernet(ipv4(new Uint8Array(16), { src: S, dst: C, proto: 17, fragOffset: 8 }));
    expect(one(e, frag, inb(0n))).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT, flow: -1 });
  });
});

describe("ICMP errors related to a tracked flow", () => {
  // An error from a router (or the server) quoting the client's segment.
  const quoteC2S = () => ipv4(tcp({ sport: 40000, dport: 80, flags: "S", seq: 1000 }, { src: C, dst: S }), { src: C, dst: S, proto: 6 });
  const err = (from: string, to: string, quoted: Uint8Array, type = 3, code = 1) =>
    icmpPacket({ src: from, dst: to, type, code, payload: quoted.subarray(0, 28) });

  it("a destination-unreachable about the flow passes as related", async () => {
    const e = await engineWith(policy(rules()));
    handshake(e);
    const r = one(e, err("10.0.0.254", C, quoteC2S()), inb(0n));
    expect(r).toMatchObject({ verdict: "permit", reason: L.REASON_RELATED });
    expect(one(e, err("10.0.0.254", C, quoteC2S(), 11, 0), inb(0n)).reason).toBe(L.REASON_RELATED);
    expect(conntrackOf(e).stats().related).toBe(2);
  });

  it("an error about an untracked flow, or sent to someone else than the quoted sender, is decided by the rules", async () => {
    const e = await engineWith(policy(rules()));
    expect(one(e, err("10.0.0.254", C, quoteC2S()), inb(0n)).verdict).toBe("deny");
    handshake(e);
    expect(one(e, err("10.0.0.254", "192.168.0.99", quoteC2S()), inb(0n)).verdict).toBe("deny");
    const otherPort = ipv4(tcp({ sport: 40001, dport: 80, flags: "S" }, { src: C, dst: S }), { src: C, dst: S, proto: 6 });
    expect(one(e, err("10.0.0.254", C, otherPort), inb(0n)).verdict).toBe("deny");
  });

  it("an error about a UDP flow, and about a ping, is related", async () => {
    const e = await engineWith(policy(rules()));
    one(e, udpPacket({ src: C, dst: S, sport: 5353, dport: 53 }), out(0n));
    one(e, icmpPacket({ src: C, dst: S, type: 8, code: 0, id: 4, seq: 1 }), out(0n));
    const qu = ipv4(udp({ sport: 5353, dport: 53 }, { src: C, dst: S }), { src: C, dst: S, proto: 17 });
    expect(one(e, err(S, C, qu, 3, 3), inb(0n)).reason).toBe(L.REASON_RELATED);
    const qp = ipv4(new Uint8Array([8, 0, 0, 0, 0, 4, 0, 1]), { src: C, dst: S, proto: 1 });
    expect(one(e, err("10.0.0.254", C, qp, 11, 0), inb(0n)).reason).toBe(L.REASON_RELATED);
  });
});

describe("bounded table", () => {
  it("evicts opening flows first and never established ones; when only those remain, new flows go untracked", async () => {
    const e = await engineWith(policy(rules()), 4);
    handshake(e, 0n, 30001);
    handshake(e, 0n, 30002);
    for (let i = 0; i < 20; i++) one(e, c2s({ flags: "S", seq: i }, 41000 + i), out(BigInt(i) * 1000n));
    const s = conntrackOf(e).stats();
    expect(s).toMatchObject({ flows: 4, capacity: 4, untracked: 0, evicted: 18 });
    // Both established flows still work.
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }, 30001), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, s2c({ flags: "A", seq: 5001, ack: 1001 }, 30002), inb(SEC)).reason).toBe(L.REASON_STATE);
    // The two newest SYNs survived, the older ones went.
    expect(one(e, s2c({ flags: "SA", seq: 1, ack: 20 }, 41019), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, s2c({ flags: "SA", seq: 1, ack: 1 }, 41000), inb(SEC)).verdict).toBe("deny");

    const full = await engineWith(policy(rules()), 2);
    handshake(full, 0n, 30001);
    handshake(full, 0n, 30002);
    const r = one(full, c2s({ flags: "S", seq: 1 }, 42000), out(SEC));
    expect(r).toMatchObject({ verdict: "permit", reason: L.REASON_MATCHED, flow: -1 });
    expect(conntrackOf(full).stats()).toMatchObject({ flows: 2, untracked: 1, evicted: 0 });
  });

  it("an expired flow is reused before anything is evicted", async () => {
    const e = await engineWith(policy(rules()), 2);
    one(e, udpPacket({ src: C, dst: S, sport: 1, dport: 53 }), out(0n));
    one(e, udpPacket({ src: C, dst: S, sport: 2, dport: 53 }), out(0n));
    one(e, udpPacket({ src: C, dst: S, sport: 3, dport: 53 }), out(61n * SEC));
    expect(conntrackOf(e).stats()).toMatchObject({ flows: 2, evicted: 0, expired: 1 });
  });
});

describe("hash index", () => {
  it("finds every flow after many inserts and deletions (backward-shift deletion keeps probe runs intact)", async () => {
    const e = await engineWith(policy(rules()), 64);
    let t = 0n;
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 60; i++) one(e, udpPacket({ src: C, dst: S, sport: 1000 + round * 100 + i, dport: 53 }), out(t));
      // Replies to every third flow keep those; the rest expire at the next round.
      for (let i = 0; i < 60; i += 3) {
        expect(one(e, udpPacket({ src: S, dst: C, sport: 53, dport: 1000 + round * 100 + i }), inb(t)).reason).toBe(L.REASON_STATE);
      }
      t += 61n * SEC;
    }
    expect(conntrackOf(e).stats().untracked).toBe(0);
  });
});

it("LAN and WAN helpers match the built-in appliance order", () => {
  expect([LAN, WAN]).toEqual([0, 1]);
});
