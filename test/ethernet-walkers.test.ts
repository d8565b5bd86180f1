// Issue 12 item 23: one Ethernet/VLAN rule everywhere. Every place that
// walks an Ethernet header -- the WebAssembly parser (assembly/parse.ts
// ethernetWalk), the TypeScript walker (host/packet/ethernet.ts) and, through
// it, the reference parser, the bridge, the FTP helper's batch cutter, the
// ICMP unreachable builder and the packet builder -- gives the same answer on
// one table of frames. The rule: at most one 802.1Q tag; 802.1ad, QinQ and
// deeper stacks are not IP anywhere.
import { describe, it, expect, beforeAll } from "vitest";
import * as L from "../assembly/layout.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { DEFAULT_META } from "../host/engine/header.ts";
import { REASON_NAMES } from "../host/engine/reasons.ts";
import { walkEthernet, ipVersionOf } from "../host/packet/ethernet.ts";
import { classifyFrame } from "../host/runtime/bridge.ts";
import { buildUnreachable } from "../host/runtime/unreachable.ts";
import { controlSegment } from "../host/conntrack/ftp.ts";
import { loadAppliance } from "../host/model/appliance.ts";
import { tcpPacket, icmpPacket, ethernet, l3Offset, concat } from "../host/packet/build.ts";

type Kind = "ip4" | "ip6" | "l2" | "not-ip" | "truncated";

const payload = new TextEncoder().encode("PASV\r\n");
const tcp4 = tcpPacket({ src: "192.168.0.101", dst: "10.0.0.9", sport: 40000, dport: 21, flags: "PA", seq: 1, ack: 1, payload });
const tcp6 = tcpPacket({ src: "2001:db8::1", dst: "2001:db8::2", sport: 40000, dport: 21, flags: "PA", seq: 1, ack: 1, payload });
const nd = icmpPacket({ src: "fe80::1", dst: "ff02::1:ff00:2", type: 135, code: 0, ttl: 255 });
const arp = ethernet(new Uint8Array(28), { ethertype: 0x0806 });

/** Insert 4-byte tags (TPID, TCI) after the MAC addresses of an untagged frame. */
function tagged(frame: Uint8Array, ...tpids: number[]): Uint8Array {
  const tags = tpids.flatMap((t, i) => [t >> 8, t & 0xff, 0x20 | i, 0x10 + i]); // priority 1, VLAN 0x0010 + i
  return concat(frame.subarray(0, 12), Uint8Array.from(tags), frame.subarray(12));
}

const TABLE: [string, Uint8Array, Kind][] = [
  ["untagged IPv4", tcp4, "ip4"],
  ["untagged IPv6", tcp6, "ip6"],
  ["802.1Q IPv4", tagged(tcp4, 0x8100), "ip4"],
  ["802.1Q IPv6", tagged(tcp6, 0x8100), "ip6"],
  ["802.1ad (S-tag only) IPv4", tagged(tcp4, 0x88a8), "not-ip"],
  ["802.1ad + 802.1Q IPv4 (the review's frame)", tagged(tcp4, 0x88a8, 0x8100), "not-ip"],
  ["802.1ad + 802.1Q IPv6", tagged(tcp6, 0x88a8, 0x8100), "not-ip"],
  ["802.1Q + 802.1Q (old QinQ) IPv4", tagged(tcp4, 0x8100, 0x8100), "not-ip"],
  ["0x9100 + 802.1Q IPv4", tagged(tcp4, 0x9100, 0x8100), "not-ip"],
  ["three tags IPv4", tagged(tcp4, 0x88a8, 0x8100, 0x8100), "not-ip"],
  ["three 802.1Q tags IPv6", tagged(tcp6, 0x8100, 0x8100, 0x8100), "not-ip"],
  ["untagged ARP", arp, "l2"],
  ["802.1Q ARP", tagged(arp, 0x8100), "l2"],
  ["802.1ad + 802.1Q ARP", tagged(arp, 0x88a8, 0x8100), "not-ip"],
  ["802.1Q neighbour solicitation", tagged(nd, 0x8100), "ip6"], // IPv6 to every walker; the bridge passes it as ND
  ["802.1ad + 802.1Q neighbour solicitation", tagged(nd, 0x88a8, 0x8100), "not-ip"],
  ["13 bytes", tcp4.slice(0, 13), "truncated"],
  ["14 bytes, EtherType IPv4", tcp4.slice(0, 14), "ip4"], // the walker's part is whole; the IP header is what is cut
  ["802.1Q cut at 15 bytes", tagged(tcp4, 0x8100).slice(0, 15), "truncated"],
  ["802.1Q cut at 17 bytes", tagged(tcp4, 0x8100).slice(0, 17), "truncated"],
  ["802.1Q cut at 18 bytes", tagged(tcp4, 0x8100).slice(0, 18), "ip4"],
  ["802.1ad + 802.1Q cut at 16 bytes", tagged(tcp4, 0x88a8, 0x8100).slice(0, 16), "not-ip"],
  ["802.1Q + 802.1Q cut at 20 bytes", tagged(tcp4, 0x8100, 0x8100).slice(0, 20), "not-ip"],
];

const isIp = (k: Kind) => k === "ip4" || k === "ip6";
const whole = (f: Uint8Array) => f.length > 40;

describe("one Ethernet/VLAN rule for every walker", () => {
  let wasm: WasmEngine;
  beforeAll(async () => {
    wasm = await WasmEngine.create();
  });
  const appliance = loadAppliance(undefined);

  it("the TypeScript walker", () => {
    for (const [name, f, kind] of TABLE) {
      const w = walkEthernet(f);
      const got: Kind = w.truncated ? "truncated" : ipVersionOf(w) === 4 ? "ip4" : ipVersionOf(w) === 6 ? "ip6" : w.ethertype === 0x0806 ? "l2" : "not-ip";
      expect(got, name).toBe(kind);
      if (!w.truncated && isIp(kind)) {
        expect(w.l3, name).toBe(name.includes("802.1Q") ? 18 : 14);
        expect(w.vlan, name).toBe(name.includes("802.1Q") ? 0x010 : null);
      }
    }
  });

  it("the WebAssembly parser and the reference parser agree with it", () => {
    const headers = wasm.parseFrames(TABLE.map(([, data]) => ({ data, meta: DEFAULT_META })));
    TABLE.forEach(([name, f, kind], i) => {
      const ref = parsePacketReference(f, L.LINK_ETHERNET);
      const w = headers[i];
      expect(REASON_NAMES[w.reason], name).toBe(REASON_NAMES[ref.reason]);
      if (kind === "truncated") expect(REASON_NAMES[w.reason], name).toBe("truncated-ethernet");
      else if (kind === "not-ip" || kind === "l2") expect(REASON_NAMES[w.reason], name).toBe("not-ip");
      else if (whole(f)) {
        expect(w.reason, name).toBe(L.REASON_OK);
        expect([w.family, w.proto, w.sport, w.dport, w.l4Offset], name).toEqual([ref.family, ref.proto, ref.sport, ref.dport, ref.l4Offset]);
      } else {
        expect(["truncated-ipv4", "truncated-ipv6"], name).toContain(REASON_NAMES[w.reason]);
      }
    });
  });

  it("the bridge: IP is filtered, ARP/ND pass, anything the parser calls not-ip is dropped, runts too", () => {
    for (const [name, f, kind] of TABLE) {
      const want = name.includes("neighbour") && isIp(kind) ? "l2" : { ip4: "ip", ip6: "ip", l2: "l2", "not-ip": "other", truncated: "runt" }[kind];
      expect(classifyFrame(f), name).toBe(want);
    }
  });

  it("the ICMP unreachable builder answers IP frames only, keeping their one 802.1Q tag", () => {
    for (const [name, f, kind] of TABLE) {
      const err = buildUnreachable(f, appliance, 0);
      if (isIp(kind) && whole(f)) {
        expect(err, name).not.toBeNull();
        const we = walkEthernet(err!);
        expect(we.truncated ? null : we.vlan, name).toBe(name.includes("802.1Q") ? 0x010 : null);
      } else {
        expect(err, name).toBeNull();
      }
    }
  });

  it("the FTP helper's batch cutter reads the WebAssembly parser's header: a control segment in IP frames only", () => {
    const headers = wasm.parseFrames(TABLE.map(([, data]) => ({ data, meta: DEFAULT_META })));
    TABLE.forEach(([name, f, kind], i) => {
      expect(controlSegment(headers[i], 21), name).toBe(isIp(kind) && whole(f) && !name.includes("neighbour"));
    });
  });

  it("the packet builder's l3Offset", () => {
    for (const [name, f, kind] of TABLE) {
      const o = l3Offset(f);
      if (kind === "truncated") expect(o.ethertype, name).toBe(-1);
      else if (isIp(kind)) expect(o, name).toEqual({ offset: name.includes("802.1Q") ? 18 : 14, ethertype: kind === "ip4" ? 0x0800 : 0x86dd });
      else expect([0x0800, 0x86dd], name).not.toContain(o.ethertype);
    }
  });
});
