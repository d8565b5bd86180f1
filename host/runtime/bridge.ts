// The transparent filtering bridge: learns which port each MAC address lives
// behind, floods what it cannot place, forwards ARP and IPv6 neighbour
// discovery untouched (the hosts on both sides must be able to find each
// other), and runs every other IPv4/IPv6 packet through the firewall, once per
// egress port, with that port as the packet's output interface.
import * as L from "../../assembly/layout.ts";
import type { Frame, Outcome } from "./firewall.ts";
import { walkEthernet } from "../packet/ethernet.ts";

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;

/** MAC table entries not refreshed for this long are forgotten (IEEE 802.1D's default, 300 s). */
export const DEFAULT_AGEING_MS = 300_000;
/** Bound the table so a flood of forged source addresses cannot grow it without limit. */
export const DEFAULT_MAC_LIMIT = 8192;

export interface MacEntry {
  port: number;
  seenMs: number;
}

/** 48-bit MAC as a number (exact in a double), bytes 0..5 of `b` from `off`. */
export function macAt(b: Uint8Array, off: number): number {
  return ((b[off] << 8) | b[off + 1]) * 2 ** 32 + ((b[off + 2] << 24) >>> 0) + (b[off + 3] << 16) + (b[off + 4] << 8) + b[off + 5];
}

export function formatMac(m: number): string {
  return m.toString(16).padStart(12, "0").replace(/(..)(?!$)/g, "$1:");
}

/** Group bit of the first octet: broadcast and multicast. */
export function isGroupMac(b: Uint8Array, off: number): boolean {
  return (b[off] & 1) === 1;
}

export class MacTable {
  // A Map iterates in insertion order; an entry is re-inserted whenever it is
  // seen at a later millisecond, so the first entry is the least recently seen.
  private table = new Map<number, MacEntry>();
  moves = 0; // a known address seen on another port (a host moved, or a loop)
  evicted = 0; // learnt over a full table, pushing out the least recently seen address

  constructor(readonly ageingMs = DEFAULT_AGEING_MS, readonly limit = DEFAULT_MAC_LIMIT) {}

  learn(mac: number, port: number, nowMs: number): void {
    const e = this.table.get(mac);
    if (e) {
      if (e.port !== port) this.moves++;
      e.port = port;
      if (e.seenMs !== nowMs) {
        e.seenMs = nowMs;
        this.table.delete(mac);
        this.table.set(mac, e);
      }
      return;
    }
    // Full (docs/lab.md): the oldest address goes, expired or not, so a flood
    // of forged sources cannot keep real hosts from being learnt.
    if (this.table.size >= this.limit) {
      const oldest = this.table.keys().next().value as number;
      this.table.delete(oldest);
      this.evicted++;
    }
    this.table.set(mac, { port, seenMs: nowMs });
  }

  /** The port behind `mac`, or -1 when unknown or aged out. */
  lookup(mac: number, nowMs: number): number {
    const e = this.table.get(mac);
    if (!e) return -1;
    if (nowMs - e.seenMs > this.ageingMs) {
      this.table.delete(mac);
      return -1;
    }
    return e.port;
  }

  expire(nowMs: number): number {
    let n = 0;
    for (const [mac, e] of this.table) {
      if (nowMs - e.seenMs > this.ageingMs) {
        this.table.delete(mac);
        n++;
      }
    }
    return n;
  }

  get size(): number {
    return this.table.size;
  }

  entries(): { mac: string; port: number; ageMs: number }[] {
    const now = Date.now();
    return [...this.table].map(([mac, e]) => ({ mac: formatMac(mac), port: e.port, ageMs: now - e.seenMs }));
  }
}

export type FrameKind = "ip" | "l2" | "other" | "runt";

/**
 * What the bridge does with a frame by its content: IP is filtered; ARP and
 * IPv6 neighbour discovery (ICMPv6 133..137 carried directly, hop limit 255 as
 * RFC 4861 requires) pass; other EtherTypes are dropped, since a firewall that
 * cannot inspect a protocol must not carry it.
 */
export function classifyFrame(b: Uint8Array): FrameKind {
  // The one Ethernet/VLAN walker (at most one 802.1Q tag): an 802.1ad or
  // QinQ frame is "other" here, as it is not-ip to the parser.
  const w = walkEthernet(b);
  if (w.truncated) return "runt";
  const type = w.ethertype;
  const l3 = w.l3;
  if (type === ETH_ARP) return "l2";
  if (type === ETH_IPV4) return "ip";
  if (type === ETH_IPV6) {
    // Exactly the packets the engine's parser calls well-formed neighbour
    // discovery (HAS_ND): version 6, the payload inside the frame and long
    // enough for an ICMPv6 header, so the bridge and explain/replay agree.
    const payload = b.length >= l3 + 40 ? (b[l3 + 4] << 8) | b[l3 + 5] : -1;
    if (payload >= 8 && l3 + 40 + payload <= b.length && b[l3] >> 4 === 6 && b[l3 + 6] === 58 && b[l3 + 7] === 255) {
      const t = b[l3 + 40];
      if (t >= 133 && t <= 137) return "l2";
    }
    return "ip";
  }
  return "other";
}

export interface BridgeCounters {
  rxFrames: number;
  forwarded: number; // frame copies sent
  flooded: number; // frames sent to every other port
  l2Passed: number; // ARP / ND frames forwarded without filtering
  permitted: number;
  denied: number;
  filteredLocal: number; // destination behind the port it came from
  droppedOther: number; // EtherTypes the firewall does not carry
  droppedRunt: number;
}

export interface Classifier {
  process(frames: Frame[]): Outcome[];
}

export interface Arrival {
  port: number;
  data: Uint8Array;
}

export interface BatchResult {
  sends: Arrival[]; // port to send by, frame
  outcomes: { outcome: Outcome; ingress: number; data: Uint8Array }[];
}

export class Bridge {
  readonly macs: MacTable;
  readonly counters: BridgeCounters = {
    rxFrames: 0, forwarded: 0, flooded: 0, l2Passed: 0, permitted: 0, denied: 0, filteredLocal: 0, droppedOther: 0, droppedRunt: 0,
  };

  /** `ports`: the interface indices that have a port (the flood set). */
  constructor(readonly ports: number[], ageingMs = DEFAULT_AGEING_MS, macLimit = DEFAULT_MAC_LIMIT) {
    this.macs = new MacTable(ageingMs, macLimit);
  }

  /** The ports a frame from `ingress` goes to, learning its source on the way. */
  egressPorts(ingress: number, b: Uint8Array, nowMs: number): number[] {
    if (!isGroupMac(b, 6)) this.macs.learn(macAt(b, 6), ingress, nowMs);
    const known = isGroupMac(b, 0) ? -1 : this.macs.lookup(macAt(b, 0), nowMs);
    if (known === ingress) return [];
    if (known >= 0) return [known];
    return this.ports.filter((p) => p !== ingress);
  }

  /**
   * One batch: frames in arrival order; IP packets go to the firewall in one
   * call, in order, so connection state sees them as they came.
   */
  handle(arrivals: Arrival[], fw: Classifier, nowMs: number, tsNs: bigint): BatchResult {
    const sends: Arrival[] = [];
    const frames: Frame[] = [];
    const pending: { ingress: number; egress: number; data: Uint8Array }[] = [];
    for (const a of arrivals) {
      this.counters.rxFrames++;
      const kind = classifyFrame(a.data);
      if (kind === "runt") { this.counters.droppedRunt++; continue; }
      if (kind === "other") { this.counters.droppedOther++; continue; }
      const out = this.egressPorts(a.port, a.data, nowMs);
      if (out.length === 0) { this.counters.filteredLocal++; continue; }
      if (out.length > 1) this.counters.flooded++;
      if (kind === "l2") {
        this.counters.l2Passed++;
        for (const p of out) sends.push({ port: p, data: a.data });
        continue;
      }
      for (const p of out) {
        frames.push({ data: a.data, tsNs, linkType: L.LINK_ETHERNET, path: { ifIn: a.port, ifOut: p } });
        pending.push({ ingress: a.port, egress: p, data: a.data });
      }
    }
    const outcomes: BatchResult["outcomes"] = [];
    if (frames.length) {
      const res = fw.process(frames);
      for (let i = 0; i < res.length; i++) {
        const o = res[i], q = pending[i];
        if (o.verdict === "permit") {
          this.counters.permitted++;
          sends.push({ port: q.egress, data: q.data });
        } else {
          this.counters.denied++;
        }
        outcomes.push({ outcome: o, ingress: q.ingress, data: q.data });
      }
    }
    this.counters.forwarded += sends.length;
    return { sends, outcomes };
  }
}
