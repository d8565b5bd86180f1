// The kernel as oracle for the stateful export: random policies whose
// rulesets and permit rules are randomly tracked (as Windows CE, InstaGate and
// Windows Firewall rules are), with whole conversations (TCP handshakes, data
// and close with correct sequence numbers, UDP request and reply, ICMP echo
// and reply) in random directions; the kernel, with conntrack and the
// export's marks, and Portcullis, with its connection table, agree on every
// packet. Each flow has its own client port, so flows of different policies
// never share a connection-table entry (the kernel's table outlives a reload).
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noKernel, kernelWhyNot } from "./support/kernel.ts";
import { policyArb } from "./support/arbitrary.ts";
import * as L from "../assembly/layout.ts";
import type { Policy } from "../host/model/rule.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { exportNft } from "../host/export/nft/index.ts";
import { makeRouter, teardown } from "../host/verify/namespace.ts";
import { transmit, attribute, type Send, type Command } from "../host/verify/wire.ts";
import { ipPayload, ethernetFrame, forwardKey } from "../host/verify/frames.ts";
import { portcullisOutcomes } from "../host/verify/run.ts";
import { describePacket } from "../host/cli/replay.ts";
import { tcpPacket, udpPacket, icmpPacket } from "../host/packet/build.ts";
import { THREE_PORTS as APPLIANCE, seeded } from "./support/three-ports.ts";

const SEED = Number(process.env.NFT_SEED ?? 1515);
const POLICIES = 60;
const FLOWS = 12;

const HOSTS4 = ["192.168.0.1", "192.168.0.101", "192.168.1.102", "10.1.2.3", "10.0.0.1", "10.0.0.2", "10.1.2.3", "198.51.100.7"];
const HOSTS6 = ["2001:db8::1", "2001:db8::2", "2001:db8:1::1", "2001:db8:ff::7"];
const SERVER_PORTS = [21, 22, 23, 25, 53, 80, 110, 443, 1023, 1024, 1025, 8080];

function tracked(p: Policy, rnd: (n: number) => number): Policy {
  return {
    ...p,
    rulesets: p.rulesets.map((rs) => ({
      ...rs,
      stateful: rnd(3) === 0,
      rules: rs.rules.map((r) => ({ ...r, notify: false, time: null, keepState: r.action === "permit" && rnd(2) === 0 })),
    })),
  };
}

let clientPort = 20000;

function flow(rnd: (n: number) => number): Uint8Array[] {
  const v6 = rnd(4) === 0;
  const hosts = v6 ? HOSTS6 : HOSTS4;
  const c = hosts[rnd(hosts.length)];
  let s = hosts[rnd(hosts.length)];
  if (s === c) s = hosts[(hosts.indexOf(c) + 1) % hosts.length];
  const a = { src: c, dst: s }, b = { src: s, dst: c };
  const sport = clientPort++;
  const kind = rnd(6);
  if (kind <= 2) {
    const dport = SERVER_PORTS[rnd(SERVER_PORTS.length)];
    const hello = new Uint8Array(Buffer.from("hello\r\n")), req = new Uint8Array(Buffer.from("GET\r\n"));
    return [
      tcpPacket({ ...a, sport, dport, flags: "S", seq: 1000 }),
      tcpPacket({ ...b, sport: dport, dport: sport, flags: "SA", seq: 5000, ack: 1001 }),
      tcpPacket({ ...a, sport, dport, flags: "A", seq: 1001, ack: 5001 }),
      tcpPacket({ ...b, sport: dport, dport: sport, flags: "PA", seq: 5001, ack: 1001, payload: hello }),
      tcpPacket({ ...a, sport, dport, flags: "PA", seq: 1001, ack: 5001 + hello.length, payload: req }),
      tcpPacket({ ...b, sport: dport, dport: sport, flags: "FA", seq: 5001 + hello.length, ack: 1001 + req.length }),
      tcpPacket({ ...a, sport, dport, flags: "FA", seq: 1001 + req.length, ack: 5002 + hello.length }),
      tcpPacket({ ...b, sport: dport, dport: sport, flags: "A", seq: 5002 + hello.length, ack: 1002 + req.length }),
    ];
  }
  if (kind <= 4) {
    const dport = SERVER_PORTS[rnd(SERVER_PORTS.length)];
    return [udpPacket({ ...a, sport, dport, payload: new Uint8Array([1]) }), udpPacket({ ...b, sport: dport, dport: sport, payload: new Uint8Array([2]) }),
      udpPacket({ ...a, sport, dport, payload: new Uint8Array([3]) })];
  }
  return [icmpPacket({ ...a, type: v6 ? 128 : 8, code: 0, id: sport, seq: 1 }), icmpPacket({ ...b, type: v6 ? 129 : 0, code: 0, id: sport, seq: 1 })];
}

describe.skipIf(noKernel)(`random stateful policies: the kernel and Portcullis agree${kernelWhyNot ? ` (skipped: ${kernelWhyNot})` : ""}`, () => {
  it(`${POLICIES} policies x ${FLOWS} conversations (seed ${SEED})`, async () => {
    const rnd = seeded(SEED);
    const policies = fc.sample(policyArb, { seed: SEED, numRuns: POLICIES }).map((p) => tracked(p, rnd));
    const dir = mkdtempSync(join(tmpdir(), "pc-state-"));
    const router = makeRouter(APPLIANCE, ["lan", "wan", "dmz"]);
    try {
      const items: (Send | Command)[] = [];
      const keys: string[] = [];
      const expected: { policy: number; packet: number; verdict: string; what: string; reason: number; rule: number }[] = [];
      for (let k = 0; k < policies.length; k++) {
        const p = policies[k];
        const r = exportNft(p, APPLIANCE);
        expect(r.diagnostics).toEqual([]);
        const file = join(dir, `p${k}.nft`);
        writeFileSync(file, r.text!);
        items.push({ command: ["ip", "netns", "exec", router.netns, "nft", "-f", file] });
        const frames = Array.from({ length: FLOWS }, () => flow(rnd)).flat();
        const outcomes = await portcullisOutcomes(p, encodePolicy(p), APPLIANCE, frames.map((data, i) => ({ data, tsNs: BigInt(i) * 10_000_000n, linkType: L.LINK_ETHERNET })), true);
        frames.forEach((f, i) => {
          const port = router.ports[outcomes[i].path.ifIn];
          const ip = ipPayload(f, L.LINK_ETHERNET)!;
          items.push({ port: outcomes[i].path.ifIn, frame: ethernetFrame(ip, port.routerMac, port.peerMac) });
          keys.push(forwardKey(ip));
          expected.push({ policy: k, packet: i, verdict: outcomes[i].verdict, what: describePacket(outcomes[i]), reason: outcomes[i].reason, rule: outcomes[i].rule });
        });
      }
      const got = await transmit(router.ports, items, 200);
      const delivered = attribute(keys, got.map((g) => {
        const ip = ipPayload(g.frame, L.LINK_ETHERNET);
        return { sentBefore: g.sentBefore, key: ip ? forwardKey(ip) : null };
      }));
      const differ = expected.flatMap((e, n) => {
        const kernel = delivered[n] ? "permit" : "deny";
        return kernel === e.verdict ? [] : [`policy ${e.policy} (${dir}/p${e.policy}.nft) packet ${e.packet}: ${e.what}: kernel ${kernel}, Portcullis ${e.verdict} (reason ${e.reason}, rule ${e.rule})`];
      });
      expect(expected.length).toBeGreaterThan(POLICIES * FLOWS * 2);
      // The state matters: many packets pass only as part of a tracked flow, and many are denied.
      const byState = expected.filter((e) => e.reason === L.REASON_STATE).length;
      const denied = expected.filter((e) => e.verdict === "deny").length;
      expect(byState).toBeGreaterThan(expected.length / 10);
      expect(denied).toBeGreaterThan(expected.length / 10);
      console.log(`stateful: ${expected.length} packets, ${byState} by tracked state, ${denied} denied`);
      expect(differ.slice(0, 15)).toEqual([]);
    } finally {
      teardown(router);
      if (!process.env.KEEP_NFT) rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
