// The filtering bridge: MAC learning and ageing, flooding, ARP/ND bypass,
// unknown EtherTypes dropped, IP through the firewall once per egress port,
// and the ICMP unreachable it sends back for a denied packet.
import { describe, it, expect } from "vitest";
import * as L from "../assembly/layout.ts";
import { Bridge, MacTable, classifyFrame, macAt, formatMac, type Classifier } from "../host/runtime/bridge.ts";
import type { Frame, Outcome } from "../host/runtime/firewall.ts";
import { tcpPacket, icmpPacket, ethernet, parseMac } from "../host/packet/build.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { buildUnreachable } from "../host/runtime/unreachable.ts";
import { loadAppliance } from "../host/model/appliance.ts";

const A = "02:00:00:00:00:0a", B = "02:00:00:00:00:0b", C = "02:00:00:00:00:0c", BCAST = "ff:ff:ff:ff:ff:ff";

function arp(src: string, dst: string): Uint8Array {
  return ethernet(new Uint8Array(28), { src, dst, ethertype: 0x0806 });
}
function ip(src: string, dst: string, dport = 80): Uint8Array {
  return tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 1000, dport, flags: "S", macSrc: src, macDst: dst });
}

/** A classifier that records what it was asked and denies port 23. */
function recorder(): Classifier & { seen: Frame[] } {
  const seen: Frame[] = [];
  return {
    seen,
    process(frames: Frame[]): Outcome[] {
      seen.push(...frames);
      return frames.map((f) => {
        const h = parsePacketReference(f.data, f.linkType);
        return { verdict: h.dport === 23 ? "deny" : "permit", rule: -1, reason: 0, stage: "input", marks: 0, inputRule: -1, outputRule: -1, monitorRule: -1, header: h, path: { ...f.path!, dir: 0 }, events: [], unreachable: h.dport === 23 } as unknown as Outcome;
      });
    },
  };
}

describe("MacTable", () => {
  it("learns, moves, ages out and stays bounded", () => {
    const t = new MacTable(1000, 2);
    const a = macAt(parseMac(A), 0), b = macAt(parseMac(B), 0), c = macAt(parseMac(C), 0);
    expect(formatMac(a)).toBe(A);
    t.learn(a, 0, 0);
    expect(t.lookup(a, 500)).toBe(0);
    t.learn(a, 1, 600);
    expect(t.moves).toBe(1);
    expect(t.lookup(a, 1500)).toBe(1); // refreshed at 600
    expect(t.lookup(a, 1601)).toBe(-1); // aged out
    t.learn(a, 0, 2000);
    t.learn(b, 0, 2000);
    t.learn(c, 0, 2000); // full: the least recently seen (a) goes
    expect(t.evicted).toBe(1);
    expect(t.lookup(c, 2000)).toBe(0);
    expect(t.lookup(a, 2000)).toBe(-1);
  });
});

describe("classifyFrame", () => {
  it("filters IP, passes ARP and neighbour discovery, drops other EtherTypes and runts", () => {
    expect(classifyFrame(ip(A, B))).toBe("ip");
    expect(classifyFrame(arp(A, BCAST))).toBe("l2");
    const ns = icmpPacket({ src: "fe80::1", dst: "ff02::1:ff00:2", type: 135, code: 0, ttl: 255 });
    expect(classifyFrame(ns)).toBe("l2");
    // The same ICMPv6 type with a hop limit below 255 was routed: not ND, so filtered.
    expect(classifyFrame(icmpPacket({ src: "fe80::1", dst: "ff02::1:ff00:2", type: 135, code: 0, ttl: 64 }))).toBe("ip");
    expect(classifyFrame(icmpPacket({ src: "2001:db8::1", dst: "2001:db8::2", type: 128, code: 0, ttl: 255 }))).toBe("ip");
    expect(classifyFrame(ethernet(new Uint8Array(46), { ethertype: 0x88cc }))).toBe("other"); // LLDP
    expect(classifyFrame(new Uint8Array(13))).toBe("runt");
    expect(classifyFrame(ethernet(new Uint8Array(28), { ethertype: 0x0806, vlan: 5 }))).toBe("l2");
  });
});

describe("Bridge", () => {
  it("floods what it cannot place, then sends only to the learnt port", () => {
    const br = new Bridge([0, 1, 2]);
    const fw = recorder();
    // A broadcasts ARP from port 0: flooded to 1 and 2, never filtered.
    let r = br.handle([{ port: 0, data: arp(A, BCAST) }], fw, 0, 0n);
    expect(r.sends.map((s) => s.port)).toEqual([1, 2]);
    expect(fw.seen).toHaveLength(0);
    // B answers from port 1 to A: A is known behind port 0.
    r = br.handle([{ port: 1, data: arp(B, A) }], fw, 1, 0n);
    expect(r.sends.map((s) => s.port)).toEqual([0]);
    // IP from A to B goes through the firewall once, with port 1 as egress.
    r = br.handle([{ port: 0, data: ip(A, B) }], fw, 2, 0n);
    expect(r.sends.map((s) => s.port)).toEqual([1]);
    expect(fw.seen.map((f) => f.path)).toEqual([{ ifIn: 0, ifOut: 1 }]);
    // IP to an unknown MAC is flooded, filtered once per egress port.
    fw.seen.length = 0;
    r = br.handle([{ port: 0, data: ip(A, C) }], fw, 3, 0n);
    expect(fw.seen.map((f) => f.path)).toEqual([{ ifIn: 0, ifOut: 1 }, { ifIn: 0, ifOut: 2 }]);
    expect(r.sends.map((s) => s.port)).toEqual([1, 2]);
    expect(br.counters.flooded).toBe(2);
    expect(br.macs.size).toBe(2);
  });

  it("does not send a frame back out of the port it came from", () => {
    const br = new Bridge([0, 1]);
    const fw = recorder();
    br.handle([{ port: 0, data: arp(A, BCAST) }, { port: 0, data: arp(B, BCAST) }], fw, 0, 0n);
    const r = br.handle([{ port: 0, data: ip(A, B) }], fw, 1, 0n);
    expect(r.sends).toEqual([]);
    expect(fw.seen).toHaveLength(0);
    expect(br.counters.filteredLocal).toBe(1);
  });

  it("forgets an address after the ageing time and floods again", () => {
    const br = new Bridge([0, 1, 2], 1000);
    const fw = recorder();
    br.handle([{ port: 1, data: arp(B, BCAST) }], fw, 0, 0n);
    expect(br.handle([{ port: 0, data: arp(A, B) }], fw, 900, 0n).sends.map((s) => s.port)).toEqual([1]);
    expect(br.handle([{ port: 0, data: arp(A, B) }], fw, 2000, 0n).sends.map((s) => s.port)).toEqual([1, 2]);
  });

  it("never learns a group address as a source", () => {
    const br = new Bridge([0, 1]);
    br.handle([{ port: 0, data: arp(BCAST, BCAST) }], recorder(), 0, 0n);
    expect(br.macs.size).toBe(0);
  });

  it("drops denied packets, keeps batch order for the firewall, and reports outcomes", () => {
    const br = new Bridge([0, 1]);
    const fw = recorder();
    br.handle([{ port: 1, data: arp(B, BCAST) }], fw, 0, 0n);
    const frames = [ip(A, B, 80), ip(A, B, 23), ip(A, B, 443)];
    const r = br.handle(frames.map((data) => ({ port: 0, data })), fw, 1, 0n);
    expect(fw.seen.map((f) => parsePacketReference(f.data, L.LINK_ETHERNET).dport)).toEqual([80, 23, 443]);
    expect(r.sends.map((s) => s.data)).toEqual([frames[0], frames[2]]);
    expect(r.outcomes.map((o) => o.outcome.verdict)).toEqual(["permit", "deny", "permit"]);
    expect(br.counters.denied).toBe(1);
  });
});

describe("buildUnreachable", () => {
  const appliance = loadAppliance(undefined); // lan 192.168.0.1/24, wan 10.0.0.1/24

  it("answers an IPv4 packet with ICMP 3/13 from the ingress address, to the sender's MAC, quoting the packet", () => {
    const f = ip(A, B, 80);
    const err = buildUnreachable(f, appliance, 0)!;
    expect(Array.from(err.subarray(0, 6))).toEqual(Array.from(parseMac(A)));
    expect(Array.from(err.subarray(6, 12))).toEqual(Array.from(parseMac(B)));
    const h = parsePacketReference(err, L.LINK_ETHERNET);
    expect(h.reason).toBe(L.REASON_OK);
    expect(h.proto).toBe(1);
    expect([h.icmpType, h.icmpCode]).toEqual([3, 13]);
    expect(h.src).toEqual([0xc0a80001]);
    expect(h.dst).toEqual([0xc0a80065]);
    // The quote is the original IP packet (header + TCP header).
    expect(Array.from(err.subarray(14 + 28))).toEqual(Array.from(f.subarray(14)));
  });

  it("answers IPv6 with ICMPv6 1/1 from the original destination when the port has no IPv6 address", () => {
    const f = tcpPacket({ src: "2001:db8::1", dst: "2001:db8::2", sport: 1, dport: 2, flags: "S", macSrc: A, macDst: B });
    const h = parsePacketReference(buildUnreachable(f, appliance, 0)!, L.LINK_ETHERNET);
    expect([h.proto, h.icmpType, h.icmpCode]).toEqual([58, 1, 1]);
    expect(h.src).toEqual([0x20010db8, 0, 0, 2]);
    expect(h.dst).toEqual([0x20010db8, 0, 0, 1]);
  });

  it("sends nothing for a non-IP frame", () => {
    expect(buildUnreachable(arp(A, B), appliance, 0)).toBeNull();
  });
});
