// AllowFutureConnect (seed 002, dialects.md section 4) through WasmEngine:
// every flag alone, the invalid combinations, and the exact result codes.
import { describe, expect, it } from "vitest";
import * as L from "../assembly/layout.ts";
import * as C from "../assembly/conntrack-layout.ts";
import { tcpPacket, udpPacket } from "../host/packet/build.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import type { WasmEngine } from "../host/engine/wasm.ts";
import type { FlowHandle, FutureConnectRequest } from "../host/conntrack/wasm-conntrack.ts";
import { parseSiteDenyList } from "../host/conntrack/site-deny.ts";
import { parseAddress } from "../host/model/addr.ts";
import { rule, policy, out, inb, engineWith, one, SEC, WAN, LAN } from "./conntrack/helpers.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const CLI = "192.168.0.10";
const SRV = "10.0.0.20";

// Only the control connection is permitted.
const ctlOnly = () => [rule("permit", { proto: 6, ifIn: "lan", dport: { op: "eq", port: 21 } })];

async function session(extraRules = [] as ReturnType<typeof rule>[]): Promise<{ e: WasmEngine; s: FlowHandle }> {
  const e = await engineWith(policy([...extraRules, ...ctlOnly()]));
  const syn = one(e, tcpPacket({ src: CLI, dst: SRV, sport: 40000, dport: 21, flags: "S", seq: 100 }), out(0n));
  one(e, tcpPacket({ src: SRV, dst: CLI, sport: 21, dport: 40000, flags: "SA", seq: 500, ack: 101 }), inb(0n));
  one(e, tcpPacket({ src: CLI, dst: SRV, sport: 40000, dport: 21, flags: "A", seq: 101, ack: 501 }), out(0n));
  expect(conntrackOf(e).flow({ id: syn.flow, gen: syn.flowGen })?.state).toBe("established");
  return { e, s: { id: syn.flow, gen: syn.flowGen } };
}

const req = (s: FlowHandle | null, flags: number, extra: Partial<FutureConnectRequest> = {}): FutureConnectRequest =>
  ({ session: s, destination: { address: SRV, port: 50000 }, protocol: "tcp", flags, ...extra });
const dataSyn = (sport: number, dport = 50000, dst = SRV) => tcpPacket({ src: CLI, dst, sport, dport, flags: "S", seq: 7 });
const resetControl = (e: WasmEngine, t: bigint) =>
  one(e, tcpPacket({ src: CLI, dst: SRV, sport: 40000, dport: 21, flags: "R", seq: 101 }), out(t));

describe("AllowFutureConnect: granted pinholes", () => {
  it("no flags: the first matching connection passes, as expected; a second is dropped", async () => {
    const { e, s } = await session();
    expect(one(e, dataSyn(40001), out(SEC)).verdict).toBe("deny");
    const g = conntrackOf(e).allowFutureConnect(req(s, 0));
    expect(g.result).toBe("granted");
    expect(g.id).toBeGreaterThan(0);
    expect(conntrackOf(e).expectations()).toHaveLength(1);
    const first = one(e, dataSyn(40001), out(SEC));
    expect(first).toMatchObject({ verdict: "permit", reason: L.REASON_EXPECTED, rule: -1 });
    expect(first.ctFlags & L.CTR_NEW).toBe(L.CTR_NEW);
    expect(one(e, tcpPacket({ src: SRV, dst: CLI, sport: 50000, dport: 40001, flags: "SA", seq: 1, ack: 8 }), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, dataSyn(40002), out(SEC))).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT });
    expect(conntrackOf(e).stats()).toMatchObject({ expectGranted: 1, expectUsed: 1, expectLive: 0 });
  });

  it("only the announced destination address, port and protocol match", async () => {
    const { e, s } = await session();
    conntrackOf(e).allowFutureConnect(req(s, 0));
    expect(one(e, dataSyn(40001, 50001), out(SEC)).verdict).toBe("deny");
    expect(one(e, dataSyn(40001, 50000, "10.0.0.21"), out(SEC)).verdict).toBe("deny");
    expect(one(e, udpPacket({ src: CLI, dst: SRV, sport: 40001, dport: 50000 }), out(SEC)).verdict).toBe("deny");
    expect(one(e, tcpPacket({ src: "192.168.0.11", dst: SRV, sport: 40001, dport: 50000, flags: "S" }), out(SEC)).verdict).toBe("deny");
    expect(one(e, dataSyn(40001), out(SEC)).reason).toBe(L.REASON_EXPECTED);
  });

  it("without ADDRESS_BASED the pinhole dies with its session", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, 0)).result).toBe("granted");
    resetControl(e, SEC);
    expect(one(e, dataSyn(40001), out(SEC)).verdict).toBe("deny");
    expect(conntrackOf(e).stats()).toMatchObject({ expectDropped: 1, expectLive: 0 });
  });

  it("ADDRESS_BASED: the pinhole belongs to the client address and outlives the session", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_ADDRESS_BASED)).result).toBe("granted");
    expect(conntrackOf(e).expectations()[0].session).toBeNull();
    resetControl(e, SEC);
    expect(one(e, dataSyn(40001), out(2n * SEC)).reason).toBe(L.REASON_EXPECTED);
    // With no session, the interfaces must be given.
    expect(conntrackOf(e).allowFutureConnect(req(null, C.AFC_ADDRESS_BASED, { client: CLI })).result).toBe("invalid-args");
    expect(conntrackOf(e).allowFutureConnect(req(null, C.AFC_ADDRESS_BASED, { client: CLI, via: { ifIn: LAN, ifOut: WAN, dir: L.DIR_OUTBOUND } })).result).toBe("granted");
  });

  it("ALLOW_MULTIPLE: every matching connection passes", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_ALLOW_MULTIPLE)).result).toBe("granted");
    for (let p = 40001; p < 40004; p++) expect(one(e, dataSyn(p), out(SEC)).reason).toBe(L.REASON_EXPECTED);
    expect(conntrackOf(e).stats()).toMatchObject({ expectUsed: 3, expectLive: 1 });
    expect(conntrackOf(e).expectations()[0].uses).toBe(3);
  });

  it("TIMEOUT: unused for a minute, the pinhole expires; without it, it waits", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_TIMEOUT, { timeNs: 0n })).result).toBe("granted");
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_TIMEOUT, { destination: { address: SRV, port: 50001 } })).result).toBe("granted");
    expect(conntrackOf(e).allowFutureConnect(req(s, 0, { destination: { address: SRV, port: 50002 } })).result).toBe("granted");
    expect(conntrackOf(e).expectations().map((x) => x.expiresNs)).toEqual([60n * SEC, 60n * SEC, 0n]);
    expect(one(e, dataSyn(40001), out(59n * SEC)).reason).toBe(L.REASON_EXPECTED);
    expect(one(e, dataSyn(40002, 50001), out(61n * SEC)).verdict).toBe("deny");
    // Keep the control session alive, then use the pinhole without TIMEOUT late.
    one(e, tcpPacket({ src: CLI, dst: SRV, sport: 40000, dport: 21, flags: "A", seq: 101, ack: 501 }), out(500n * SEC));
    expect(one(e, dataSyn(40003, 50002), out(1000n * SEC)).reason).toBe(L.REASON_EXPECTED);
    expect(conntrackOf(e).stats()).toMatchObject({ expectExpired: 1, expectUsed: 2 });
  });

  it("the expectation timeout is configurable", async () => {
    const { e, s } = await session();
    conntrackOf(e).configure({ timeouts: { expectation: 5 } });
    conntrackOf(e).allowFutureConnect(req(s, C.AFC_TIMEOUT, { timeNs: 0n }));
    expect(one(e, dataSyn(40001), out(6n * SEC)).verdict).toBe("deny");
  });

  it("NO_KERNEL_MODE: the flow's packets take the host's slow path, which may override the verdict", async () => {
    const { e, s } = await session();
    const seen: number[] = [];
    e.onSlowPath((frame, r) => {
      seen.push(r.reason);
      return new DataView(frame.data.buffer, frame.data.byteOffset).getUint8(14 + 20 + 13) & 0x08 ? "deny" : undefined;
    });
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_NO_KERNEL_MODE)).result).toBe("granted");
    const syn = one(e, dataSyn(40001), out(SEC));
    expect(syn.ctFlags & L.CTR_SLOW_PATH).toBe(L.CTR_SLOW_PATH);
    expect(syn.verdict).toBe("permit");
    const reply = one(e, tcpPacket({ src: SRV, dst: CLI, sport: 50000, dport: 40001, flags: "SA", seq: 1, ack: 8 }), inb(SEC));
    expect(reply.ctFlags & L.CTR_SLOW_PATH).toBe(L.CTR_SLOW_PATH);
    // The handler denies PSH segments: the data filter has the last word.
    const push = one(e, tcpPacket({ src: SRV, dst: CLI, sport: 50000, dport: 40001, flags: "PA", seq: 2, ack: 8, payload: new Uint8Array(4) }), inb(SEC));
    expect(push.verdict).toBe("deny");
    expect(seen).toEqual([L.REASON_EXPECTED, L.REASON_STATE, L.REASON_STATE]);
    // Flows without the flag never reach the handler.
    conntrackOf(e).allowFutureConnect(req(s, 0, { destination: { address: SRV, port: 50001 } }));
    const fast = one(e, dataSyn(40005, 50001), out(SEC));
    expect(fast.ctFlags & L.CTR_SLOW_PATH).toBe(0);
    expect(seen).toHaveLength(3);
  });

  it("BIDIRECTIONAL (UDP): the destination's datagrams come back; without it they do not", async () => {
    const { e, s } = await session();
    const udpReq = (port: number, flags: number) => req(s, flags, { protocol: "udp", destination: { address: SRV, port } });
    expect(conntrackOf(e).allowFutureConnect(udpReq(6000, C.AFC_BIDIRECTIONAL)).result).toBe("granted");
    expect(conntrackOf(e).allowFutureConnect(udpReq(6001, 0)).result).toBe("granted");
    expect(one(e, udpPacket({ src: CLI, dst: SRV, sport: 7000, dport: 6000 }), out(SEC)).reason).toBe(L.REASON_EXPECTED);
    expect(one(e, udpPacket({ src: SRV, dst: CLI, sport: 6000, dport: 7000 }), inb(SEC)).reason).toBe(L.REASON_STATE);
    expect(one(e, udpPacket({ src: CLI, dst: SRV, sport: 7001, dport: 6001 }), out(SEC)).reason).toBe(L.REASON_EXPECTED);
    expect(one(e, udpPacket({ src: SRV, dst: CLI, sport: 6001, dport: 7001 }), inb(SEC))).toMatchObject({ verdict: "deny", reason: L.REASON_DEFAULT });
    // The sending socket may go on sending.
    expect(one(e, udpPacket({ src: CLI, dst: SRV, sport: 7001, dport: 6001 }), out(SEC)).reason).toBe(L.REASON_STATE);
  });

  it("a session's responder may be the client: active FTP's server connects back", async () => {
    const { e, s } = await session();
    const g = conntrackOf(e).allowFutureConnect(req(s, C.AFC_TIMEOUT, { client: SRV, destination: { address: CLI, port: 45000 } }));
    expect(g.result).toBe("granted");
    const r = one(e, tcpPacket({ src: SRV, dst: CLI, sport: 20, dport: 45000, flags: "S" }), inb(SEC));
    expect(r.reason).toBe(L.REASON_EXPECTED);
  });

  it("ProxyExternalAddress: the connection must leave by the interface owning that address", async () => {
    const { e, s } = await session();
    conntrackOf(e).setExternalAddresses([{ address: parseAddress("10.0.0.1")!, ifIndex: WAN }]);
    expect(conntrackOf(e).allowFutureConnect(req(s, 0, { external: { address: "10.0.0.99" } })).result).toBe("invalid-args");
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_ALLOW_MULTIPLE, { external: { address: "10.0.0.1", port: 40009 } })).result).toBe("granted");
    expect(conntrackOf(e).expectations()[0]).toMatchObject({ ifOut: WAN, sport: 40009 });
    expect(one(e, dataSyn(40001), out(SEC)).verdict).toBe("deny"); // another source port
    expect(one(e, dataSyn(40009), { ...out(SEC), ifOut: LAN }).verdict).toBe("deny"); // another way out
    expect(one(e, dataSyn(40009), out(SEC)).reason).toBe(L.REASON_EXPECTED);
  });

  it("expectations can be listed and cancelled", async () => {
    const { e, s } = await session();
    const g = conntrackOf(e).allowFutureConnect(req(s, 0));
    expect(conntrackOf(e).expectations()[0]).toMatchObject({ id: g.id, proto: 6, dport: 50000, session: s, uses: 0 });
    expect(conntrackOf(e).cancelExpectation(g.id!)).toBe(true);
    expect(conntrackOf(e).cancelExpectation(g.id!)).toBe(false);
    expect(one(e, dataSyn(40001), out(SEC)).verdict).toBe("deny");
  });
});

describe("AllowFutureConnect: refusals", () => {
  it("TIMEOUT with ALLOW_MULTIPLE is invalid", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_TIMEOUT | C.AFC_ALLOW_MULTIPLE)).result).toBe("invalid-args");
  });

  it("BIDIRECTIONAL with TCP is invalid (valid with UDP)", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_BIDIRECTIONAL)).result).toBe("invalid-args");
    expect(conntrackOf(e).allowFutureConnect(req(s, C.AFC_BIDIRECTIONAL, { protocol: "udp" })).result).toBe("granted");
  });

  it("an unknown flag, port 0, a dead session, a missing session or mixed families are invalid", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, 32)).result).toBe("invalid-args");
    expect(conntrackOf(e).allowFutureConnect(req(s, 0, { destination: { address: SRV, port: 0 } })).result).toBe("invalid-args");
    expect(conntrackOf(e).allowFutureConnect(req(null, 0)).result).toBe("invalid-args");
    expect(conntrackOf(e).allowFutureConnect(req(s, 0, { destination: { address: "2001:db8::1", port: 50000 } })).result).toBe("invalid-args");
    resetControl(e, SEC);
    conntrackOf(e).sweep(100n * SEC);
    expect(conntrackOf(e).allowFutureConnect(req(s, 0)).result).toBe("invalid-args");
    expect(conntrackOf(e).stats().expectGranted).toBe(0);
  });

  it("an explicit deny rule for the client conflicts with the protocol rules; the default deny does not", async () => {
    const { e, s } = await session([rule("deny", { proto: 6, srcText: `${CLI}/32`, dport: { op: "range", lo: 50000, hi: 50010 } })]);
    expect(conntrackOf(e).allowFutureConnect(req(s, 0)).result).toBe("conflicts-protocol-rules");
    expect(conntrackOf(e).allowFutureConnect(req(s, 0, { destination: { address: SRV, port: 50011 } })).result).toBe("granted");
  });

  it("a catch-all deny rule (no port test) plays the default's part: the pinhole is granted and used", async () => {
    const { e, s } = await session();
    // The table ends in "deny everything else from the client", as an admin writes it.
    e.load(encodePolicy(policy([...ctlOnly(), rule("deny", { srcText: `${CLI}/32` })])));
    expect(conntrackOf(e).allowFutureConnect(req(s, 0)).result).toBe("granted");
    expect(one(e, dataSyn(40001), out(SEC))).toMatchObject({ verdict: "permit", reason: L.REASON_EXPECTED });
  });

  it("an explicit deny rule loaded after the grant still wins at connection time", async () => {
    const { e, s } = await session();
    expect(conntrackOf(e).allowFutureConnect(req(s, 0)).result).toBe("granted");
    e.load(encodePolicy(policy([rule("deny", { proto: 6, dport: { op: "eq", port: 50000 } }), ...ctlOnly()])));
    expect(one(e, dataSyn(40001), out(SEC))).toMatchObject({ verdict: "deny", reason: L.REASON_MATCHED, rule: 0 });
  });

  it("the site-and-content deny list is checked first and no flag overrides it", async () => {
    const { e, s } = await session([rule("deny", { proto: 6, srcText: `${CLI}/32`, dport: { op: "eq", port: 50000 } })]);
    const { list, diagnostics } = parseSiteDenyList("# no FTP data to this server\n10.0.0.20/32 tcp 50000-50100\n", "sites.deny");
    expect(diagnostics).toEqual([]);
    conntrackOf(e).setSiteDenyList(list);
    for (const flags of [0, C.AFC_ADDRESS_BASED, C.AFC_ALLOW_MULTIPLE, C.AFC_TIMEOUT, C.AFC_NO_KERNEL_MODE, C.AFC_TIMEOUT | C.AFC_ALLOW_MULTIPLE]) {
      expect(conntrackOf(e).allowFutureConnect(req(s, flags)).result).toBe("conflicts-site-content");
    }
    expect(conntrackOf(e).allowFutureConnect(req(s, 0, { protocol: "udp" })).result).toBe("granted");
  });
});

describe("site-and-content deny list format", () => {
  it("parses addresses, prefixes, any, protocols and port ranges", () => {
    const { list } = parseSiteDenyList("203.0.113.0/24\nany udp 53\n2001:db8::/32 tcp 1-1023  # low ports\n", "x");
    const a = (s: string) => parseAddress(s)!;
    expect(list!.denies(a("203.0.113.9"), 6, 80)).toBe(true);
    expect(list!.denies(a("198.51.100.1"), 17, 53)).toBe(true);
    expect(list!.denies(a("198.51.100.1"), 6, 53)).toBe(false);
    expect(list!.denies(a("2001:db8::5"), 6, 22)).toBe(true);
    expect(list!.denies(a("2001:db8::5"), 6, 2222)).toBe(false);
    expect(list!.match(a("2001:db8::5"), 6, 22)!.line).toBe(3);
  });

  it("reports every bad line with file:line:col and a CT code, and yields no list", () => {
    const { list, diagnostics } = parseSiteDenyList("10.0.0.300\n1.2.3.4 icmp\n1.2.3.4 tcp 0-5\n1.2.3.4 any 80\n1.2.3.4 tcp 80 extra\n", "s.deny");
    expect(list).toBeNull();
    expect(diagnostics.map((d) => [d.line, d.column, d.code])).toEqual([
      [1, 1, "CT001"], [2, 9, "CT002"], [3, 13, "CT003"], [4, 13, "CT005"], [5, 16, "CT004"],
    ]);
  });
});
