// The stateful reference: the connection table's semantics (assembly/
// conntrack.ts) written with plain Maps over the stateless ReferenceEngine,
// as the oracle the WebAssembly table is tested against on random packet
// sequences. It has no capacity limit (tests keep the WebAssembly table
// large enough never to evict) and no expectations.
import * as L from "../../assembly/layout.ts";
import * as C from "../../assembly/conntrack-layout.ts";
import { ReferenceEngine, type Decision } from "../engine/reference.ts";
import { allRules, type Policy } from "../model/rule.ts";
import type { PacketHeader, PacketMeta } from "../engine/header.ts";

type State = "none" | "syn-sent" | "syn-recv" | "established" | "fin-wait" | "closing" | "closed";

interface Flow {
  key: string; // originator's direction
  proto: number;
  state: State;
  lastSeen: bigint;
  end: [number, number]; // TCP: next sequence number per direction
  win: [number, number];
  fin: [boolean, boolean];
}

export const DEFAULT_TIMEOUTS = {
  tcpOpening: C.DEFAULT_TO_TCP_OPENING, tcpEstablished: C.DEFAULT_TO_TCP_ESTABLISHED, tcpClosing: C.DEFAULT_TO_TCP_CLOSING,
  tcpClosed: C.DEFAULT_TO_TCP_CLOSED, udp: C.DEFAULT_TO_UDP, icmp: C.DEFAULT_TO_ICMP, other: C.DEFAULT_TO_OTHER,
};

const NS = 1_000_000_000n;
const u32 = (x: number) => x >>> 0;

export interface StatefulDecision extends Decision {
  state: State | null; // the flow's state after this packet, null if none
}

export class StatefulReference {
  private stateless: ReferenceEngine;
  private flows = new Map<string, Flow>();
  private clock = 0n;

  constructor(private policy: Policy, private timeouts = DEFAULT_TIMEOUTS) {
    this.stateless = new ReferenceEngine(policy);
  }

  /** Swap in a new policy; flows stay (as over a hot reload). */
  reload(policy: Policy): void {
    this.policy = policy;
    this.stateless = new ReferenceEngine(policy);
  }

  get size(): number {
    return this.flows.size;
  }

  classify(h: PacketHeader, m: PacketMeta): StatefulDecision {
    if (m.timeNs > this.clock) this.clock = m.timeNs;
    // Malformed packets and neighbour discovery are decided before the table (and never open a flow).
    if (h.reason !== L.REASON_OK || h.nd) return { ...this.stateless.classify(h, m), state: null };
    const now = this.clock;
    const c = h.conn;
    const byState = (reason: number, f: Flow): StatefulDecision => ({
      verdict: "permit", rule: -1, reason, stage: "none", inputRule: -1, outputRule: -1, monitorRule: this.monitor(h, m), state: f.state,
    });
    if (h.frag === "later") return this.rules(h, m, false);
    if (c?.inner) {
      const i = c.inner;
      const hit = i.family === h.family ? this.find(h.family, i.proto, i.src, i.dst, i.sport, i.dport) : null;
      if (hit && !this.expired(hit.flow, now) && sameWords(h.dst, i.src)) return byState(L.REASON_RELATED, hit.flow);
      return this.rules(h, m, false);
    }
    const ports = this.keyPorts(h);
    if (!ports) return this.rules(h, m, false);
    const hit = this.find(h.family, h.proto, h.src, h.dst, ports[0], ports[1]);
    if (hit) {
      if (this.expired(hit.flow, now)) {
        this.flows.delete(hit.flow.key);
      } else {
        const before = hit.flow.state;
        const a = this.advance(hit.flow, hit.dir, h);
        if (a === "ok") {
          if (before !== "closed") hit.flow.lastSeen = now;
          return byState(L.REASON_STATE, hit.flow);
        }
        if (a === "new") this.flows.delete(hit.flow.key);
        else return this.rules(h, m, false);
      }
    }
    return this.rules(h, m, true);
  }

  private monitor(h: PacketHeader, m: PacketMeta): number {
    const mon = this.policy.monitor ?? null;
    return mon === null ? -1 : this.stateless.firstMatch(mon, h, m);
  }

  private rules(h: PacketHeader, m: PacketMeta, mayCreate: boolean): StatefulDecision {
    const d = this.stateless.classify(h, m);
    if (!mayCreate || d.verdict !== "permit" || !this.opens(h) || !this.keepsState(d, m)) return { ...d, state: null };
    const ports = this.keyPorts(h)!;
    const f: Flow = {
      key: key(h.family, h.proto, h.src, h.dst, ports[0], ports[1]), proto: h.proto,
      state: h.proto === 6 ? "syn-sent" : "none", lastSeen: this.clock,
      end: [h.proto === 6 ? u32(h.conn!.seq + 1 + h.conn!.payload) : 0, 0], win: [h.proto === 6 ? h.conn!.window : 0, 0], fin: [false, false],
    };
    this.flows.set(f.key, f);
    return { ...d, state: f.state };
  }

  private keepsState(d: Decision, m: PacketMeta): boolean {
    const rules = allRules(this.policy);
    if (d.inputRule >= 0 && rules[d.inputRule].keepState) return true;
    if (d.outputRule >= 0 && rules[d.outputRule].keepState) return true;
    const inRs = this.policy.input[m.ifIn] ?? null;
    const outRs = this.policy.output[m.ifOut] ?? null;
    return (inRs !== null && this.policy.rulesets[inRs].stateful) || (outRs !== null && this.policy.rulesets[outRs].stateful);
  }

  private keyPorts(h: PacketHeader): [number, number] | null {
    if (h.proto === 6) return h.sport !== null && h.dport !== null ? [h.sport, h.dport] : null;
    if (h.proto === 1 || h.proto === 58) return h.conn?.icmpId != null ? [h.conn.icmpId, h.conn.icmpId] : null;
    return h.sport !== null && h.dport !== null ? [h.sport, h.dport] : [0, 0];
  }

  private opens(h: PacketHeader): boolean {
    if (h.proto === 6) return ((h.tcpFlags ?? 0) & (L.TCP_SYN | L.TCP_ACK | L.TCP_RST | L.TCP_FIN)) === L.TCP_SYN;
    if (h.proto === 1) return h.icmpType === 8;
    if (h.proto === 58) return h.icmpType === 128;
    return true;
  }

  private find(family: number, proto: number, src: number[], dst: number[], sport: number, dport: number): { flow: Flow; dir: 0 | 1 } | null {
    const fwd = this.flows.get(key(family, proto, src, dst, sport, dport));
    if (fwd) return { flow: fwd, dir: 0 };
    const rev = this.flows.get(key(family, proto, dst, src, dport, sport));
    return rev ? { flow: rev, dir: 1 } : null;
  }

  private timeout(f: Flow): bigint {
    const t = this.timeouts;
    let s: number;
    if (f.proto === 6) {
      s = f.state === "established" ? t.tcpEstablished : f.state === "syn-sent" || f.state === "syn-recv" ? t.tcpOpening
        : f.state === "closed" ? t.tcpClosed : t.tcpClosing;
    } else if (f.proto === 17 || f.proto === 136) s = t.udp;
    else if (f.proto === 1 || f.proto === 58) s = t.icmp;
    else s = t.other;
    return BigInt(s) * NS;
  }

  private expired(f: Flow, now: bigint): boolean {
    return now > f.lastSeen && now - f.lastSeen > this.timeout(f);
  }

  private advance(f: Flow, d: 0 | 1, h: PacketHeader): "ok" | "invalid" | "rules" | "new" {
    if (f.proto !== 6) {
      if (f.proto === 1 || f.proto === 58) {
        const want = f.proto === 1 ? (d === 0 ? 8 : 0) : d === 0 ? 128 : 129;
        if (h.icmpType !== want) return "rules";
      }
      return "ok";
    }
    const fl = h.tcpFlags ?? 0;
    const c = h.conn!;
    const o = (1 - d) as 0 | 1;
    if (fl & L.TCP_RST) {
      let ok: boolean;
      if (f.state === "syn-sent") ok = d === 1 && (fl & L.TCP_ACK) !== 0 && u32(c.ack) === f.end[0];
      else ok = u32(c.seq - f.end[d]) <= Math.max(f.win[o], 1);
      if (!ok) return "invalid";
      f.state = "closed";
      return "ok";
    }
    if (fl & L.TCP_SYN) {
      if (!(fl & L.TCP_ACK)) {
        if (f.state === "closed" || f.state === "closing") return "new";
        if (f.state !== "syn-sent" || d !== 0) return "invalid";
        f.end[0] = u32(c.seq + 1 + c.payload);
        f.win[0] = Math.max(f.win[0], c.window);
        return "ok";
      }
      if (d !== 1 || (f.state !== "syn-sent" && f.state !== "syn-recv") || u32(c.ack) !== f.end[0]) return "invalid";
      f.state = "syn-recv";
      f.end[1] = u32(c.seq + 1 + c.payload);
      f.win[1] = c.window;
      return "ok";
    }
    if (f.state === "syn-sent") return "invalid";
    if (f.state === "syn-recv" && d === 0 && fl & L.TCP_ACK && u32(c.ack) === f.end[1]) f.state = "established";
    const end = u32(c.seq + c.payload + (fl & L.TCP_FIN ? 1 : 0));
    if ((end - f.end[d]) | 0 && ((end - f.end[d]) | 0) > 0) f.end[d] = end;
    f.win[d] = Math.max(f.win[d], c.window);
    if (f.state === "closed") return "ok";
    const bothBefore = f.fin[0] && f.fin[1];
    if (fl & L.TCP_FIN) {
      f.fin[d] = true;
      f.state = f.fin[0] && f.fin[1] ? "closing" : "fin-wait";
    } else if (bothBefore && fl & L.TCP_ACK && u32(c.ack) === f.end[o]) {
      f.state = "closed";
    }
    return "ok";
  }
}

function key(family: number, proto: number, src: number[], dst: number[], sport: number, dport: number): string {
  return `${family}/${proto}/${src.join(".")}/${sport}/${dst.join(".")}/${dport}`;
}

function sameWords(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((w, i) => w === b[i]);
}
