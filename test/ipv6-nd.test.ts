// IPv6 as the lab's scenario g (lab/run.sh g) uses it, on both engines:
// neighbour discovery passes unfiltered (the bridge, the WebAssembly matcher
// and the reference agree on which packets are ND), and Windows CE rules with
// an IPv6 PrivateHost allow, block, and let replies pass by state.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { StatefulReference } from "../host/conntrack/reference.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { DEFAULT_META, type PacketMeta } from "../host/engine/header.ts";
import { classifyFrame } from "../host/runtime/bridge.ts";
import { icmpPacket, tcpPacket, EXT_HOP_BY_HOP, EXT_FRAGMENT } from "../host/packet/build.ts";
import { ruleAt, type Policy } from "../host/model/rule.ts";
import { writeCaptureFile } from "../host/pcap/pcap.ts";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { classify as verifyClass } from "../host/verify/compare.ts";
import type { Outcome } from "../host/runtime/firewall.ts";
import { loadOk } from "./wince-helpers.ts";
import { tempDir } from "./support/tmp.ts";

const CONFIG = "lab/configs/g-ipv6.reg";
const HOST_A = "fd00:0:0:1::101"; // the PrivateHost of every rule
const HOST_B = "fd00:0:0:1::102";
const WAN = "2001:db8:0:2::2";
const SEED = 614;

let policy: Policy;
let wasm: WasmEngine;
let outbound: (t?: bigint) => PacketMeta;
let inbound: (t?: bigint) => PacketMeta;

beforeAll(async () => {
  policy = loadOk(readFileSync(CONFIG, "utf8"), undefined, CONFIG);
  wasm = await WasmEngine.create();
  const lan = policy.interfaces.indexOf("lan"), wan = policy.interfaces.indexOf("wan");
  outbound = (t = 0n) => ({ ...DEFAULT_META, ifIn: lan, ifOut: wan, dir: L.DIR_OUTBOUND, timeNs: t });
  inbound = (t = 0n) => ({ ...DEFAULT_META, ifIn: wan, ifOut: lan, dir: L.DIR_INBOUND, timeNs: t });
});

function fresh(): void {
  wasm.flushConntrack();
  wasm.load(encodePolicy(policy));
}

const label = (rule: number) => (rule >= 0 ? ruleAt(policy, rule)?.rule.origin.label ?? `#${rule}` : null);

/** One frame, stateless, on both engines: they must agree; the WebAssembly result with the rule's label. */
function decide(frame: Uint8Array, meta: PacketMeta) {
  fresh();
  const [w] = wasm.classifyFrames([{ data: frame, meta }]);
  const r = new ReferenceEngine(policy).classify(parsePacketReference(frame), meta);
  expect({ verdict: w.verdict, rule: w.rule, reason: w.reason, monitor: w.monitorRule })
    .toEqual({ verdict: r.verdict, rule: r.rule, reason: r.reason, monitor: r.monitorRule });
  return { verdict: w.verdict, rule: label(w.rule), reason: w.reason, flow: w.flow };
}

const nd = (type: number, src: string, dst: string, hop = 255) => icmpPacket({ src, dst, type, code: 0, ttl: hop });
const ND_TYPES = [133, 134, 135, 136, 137]; // RS, RA, NS, NA, redirect

describe("IPv6 neighbour discovery passes unfiltered", () => {
  it("ND messages (ICMPv6 133..137, hop limit 255) pass both engines before rules that would deny them, counted by no rule", () => {
    for (const type of ND_TYPES) {
      // From the host every outbound packet is denied by BlockOutboundFromHost6; inbound ones by the default.
      for (const [frame, meta] of [[nd(type, HOST_A, "ff02::1:ff00:2"), outbound()], [nd(type, WAN, HOST_A), inbound()]] as const) {
        const d = decide(frame, meta);
        expect(d, `type ${type}`).toEqual({ verdict: "permit", rule: null, reason: L.REASON_NEIGHBOUR_DISCOVERY, flow: -1 });
        expect(classifyFrame(frame), `type ${type}`).toBe("l2");
        expect(wasm.counters().every((c) => c.packets === 0n)).toBe(true);
        expect(wasm.defaultCounters().every((c) => c.packets === 0n)).toBe(true);
        expect(wasm.conntrackStats().created).toBe(0);
      }
    }
  });

  it("the same messages with a hop limit below 255 were routed: not ND, the rules decide (and the bridge filters them)", () => {
    const out = nd(135, HOST_A, WAN, 64), inb = nd(136, WAN, HOST_A, 254);
    expect(decide(out, outbound())).toMatchObject({ verdict: "deny", rule: "BlockOutboundFromHost6", reason: L.REASON_MATCHED });
    expect(decide(inb, inbound())).toMatchObject({ verdict: "deny", rule: null, reason: L.REASON_DEFAULT });
    expect([classifyFrame(out), classifyFrame(inb)]).toEqual(["ip", "ip"]);
  });

  it("not ND either: an echo request, ND behind an extension header or in a fragment, a truncated one", () => {
    const behindHopByHop = icmpPacket({ src: HOST_A, dst: WAN, type: 135, code: 0, ttl: 255, extensions: [{ type: EXT_HOP_BY_HOP }] });
    const inFragment = icmpPacket({ src: HOST_A, dst: WAN, type: 135, code: 0, ttl: 255, extensions: [{ type: EXT_FRAGMENT, mf: true }] });
    const echo = icmpPacket({ src: HOST_A, dst: WAN, type: 128, code: 0, ttl: 255 });
    for (const [name, f] of [["hop-by-hop", behindHopByHop], ["fragment", inFragment], ["echo", echo]] as const) {
      expect(decide(f, outbound()), name).toMatchObject({ verdict: "deny", rule: "BlockOutboundFromHost6" });
      expect(classifyFrame(f), name).toBe("ip");
    }
    // A payload length too short for an ICMPv6 header: malformed to the parser, IP (so filtered) to the bridge.
    const cut = nd(135, HOST_A, WAN).slice();
    cut[14 + 4] = 0; cut[14 + 5] = 4;
    expect(decide(cut, outbound())).toMatchObject({ verdict: "deny", reason: L.REASON_TRUNCATED_L4 });
    expect(classifyFrame(cut)).toBe("ip");
  });

  it(`the bridge, the WebAssembly parser and the reference parser agree on which frames are ND, on mutated frames (seed ${SEED})`, () => {
    const frame = fc.record({
      type: fc.constantFrom(1, 128, 132, 133, 134, 135, 136, 137, 138),
      hop: fc.constantFrom(1, 64, 254, 255),
      ext: fc.constantFrom("none", "none", "hop-by-hop", "fragment"),
      payload: fc.integer({ min: 0, max: 120 }),
      edits: fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { maxLength: 3 }),
      cut: fc.nat({ max: 80 }),
    });
    let nds = 0;
    fc.assert(fc.property(frame, (g) => {
      const extensions = g.ext === "none" ? [] : [{ type: g.ext === "fragment" ? EXT_FRAGMENT : EXT_HOP_BY_HOP }];
      const f = icmpPacket({ src: HOST_A, dst: WAN, type: g.type, code: 0, ttl: g.hop, extensions, payload: new Uint8Array(g.payload) }).slice();
      for (const [at, v] of g.edits) f[14 + (at % (f.length - 14))] = v; // anywhere past the Ethernet header
      const data = f.subarray(0, Math.max(14, f.length - (g.cut > 60 ? g.cut - 60 : 0)));
      const [w] = wasm.parseFrames([{ data, meta: outbound() }]);
      const r = parsePacketReference(data);
      expect(w).toEqual(r);
      const isNd = w.reason === L.REASON_OK && w.nd === true;
      if (isNd) nds++;
      expect(classifyFrame(data) === "l2").toBe(isNd);
    }), { seed: SEED, numRuns: 3000 });
    expect(nds).toBeGreaterThan(100); // the generator reaches ND often enough to mean something
  });

  it("replay says what the bridge does: neighbour solicitations and advertisements pass, with the reason", async () => {
    const dir = tempDir("portcullis-nd-");
    const pcap = join(dir, "nd.pcap");
    writeCaptureFile(pcap, [nd(135, WAN, "ff02::1:ff00:101"), nd(136, WAN, HOST_A), nd(136, WAN, HOST_A, 64)].map((data, i) => ({ tsNs: BigInt(i) * 1000n, data })));
    const io = bufferIO();
    const code = await main(["replay", CONFIG, "--pcap", pcap, "--json", "--loghost", "none"], io);
    expect(code, io.stderr).toBe(0);
    const j = JSON.parse(io.stdout);
    expect(j.verdicts).toEqual(["permit", "permit", "deny"]);
    expect(j.reasons).toEqual(["neighbour discovery", "neighbour discovery", "default"]);
  });

  it("verify labels a kernel difference on ND as neighbour discovery (a router never forwards ND as ND)", () => {
    const frame = nd(136, WAN, HOST_A);
    fresh();
    const [w] = wasm.classifyFrames([{ data: frame, meta: inbound() }]);
    const o = { ...w, header: parsePacketReference(frame) } as Outcome;
    expect(verifyClass(o, frame.subarray(14), "deny", { usesConntrack: true, hasTimeWindows: false })).toMatch(/^neighbour discovery: /);
    // A routed copy (hop limit 64) is an ordinary packet: no class excuses a difference on it.
    const routed = nd(136, WAN, HOST_A, 64);
    const [r] = wasm.classifyFrames([{ data: routed, meta: inbound() }]);
    expect(verifyClass({ ...r, header: parsePacketReference(routed) } as Outcome, routed.subarray(14), "permit", { usesConntrack: false, hasTimeWindows: false })).toBeNull();
  });
});

describe("Windows CE rules with an IPv6 PrivateHost (the lab's g-ipv6.reg)", () => {
  const syn = (src: string, dst: string, sport: number, dport: number) => tcpPacket({ src, dst, sport, dport, flags: "S", seq: 100 });

  it("allow SMTP from the host, block the rest from it, block TCP to it; another host and IPv4 are untouched", () => {
    expect(decide(syn(HOST_A, WAN, 40000, 25), outbound())).toMatchObject({ verdict: "permit", rule: "AllowTCPOutboundPort25v6" });
    expect(decide(syn(HOST_A, WAN, 40001, 80), outbound())).toMatchObject({ verdict: "deny", rule: "BlockOutboundFromHost6" });
    expect(decide(syn(WAN, HOST_A, 40002, 22), inbound())).toMatchObject({ verdict: "deny", rule: "BlockInboundTCPToHost6" });
    expect(decide(syn(HOST_B, WAN, 40003, 80), outbound())).toMatchObject({ verdict: "permit", rule: null, reason: L.REASON_DEFAULT });
    // The address family is part of the address: the IPv6 PrivateHost never matches IPv4.
    expect(decide(syn("192.168.0.101", "10.0.0.2", 40004, 80), outbound())).toMatchObject({ verdict: "permit", rule: null });
  });

  it("the replies of an allowed connection pass by state, though BlockInboundTCPToHost6 matches them (both engines)", () => {
    fresh();
    const ref = new StatefulReference(policy);
    const steps: [Uint8Array, PacketMeta][] = [
      [syn(HOST_A, WAN, 40000, 25), outbound(1n)],
      [tcpPacket({ src: WAN, dst: HOST_A, sport: 25, dport: 40000, flags: "SA", seq: 500, ack: 101 }), inbound(2n)],
      [tcpPacket({ src: HOST_A, dst: WAN, sport: 40000, dport: 25, flags: "A", seq: 101, ack: 501 }), outbound(3n)],
      [tcpPacket({ src: WAN, dst: HOST_A, sport: 25, dport: 40000, flags: "PA", seq: 501, ack: 101, payload: new Uint8Array(5) }), inbound(4n)],
    ];
    const got = steps.map(([data, meta]) => {
      const [w] = wasm.classifyFrames([{ data, meta }]);
      const r = ref.classify(parsePacketReference(data), meta);
      expect({ verdict: w.verdict, rule: w.rule, reason: w.reason }).toEqual({ verdict: r.verdict, rule: r.rule, reason: r.reason });
      return [w.verdict, label(w.rule), w.reason];
    });
    expect(got).toEqual([
      ["permit", "AllowTCPOutboundPort25v6", L.REASON_MATCHED],
      ["permit", null, L.REASON_STATE],
      ["permit", null, L.REASON_STATE],
      ["permit", null, L.REASON_STATE],
    ]);
    // Without the flow the SYN-ACK is the rule's: it is the state that lets it in.
    expect(decide(steps[1][0], inbound())).toMatchObject({ verdict: "deny", rule: "BlockInboundTCPToHost6" });
  });
});
