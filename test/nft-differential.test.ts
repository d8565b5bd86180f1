// The kernel as outside oracle for the export: random policies from the
// property-test generator (every rule feature of the model that nftables
// expresses exactly: negated prefixes, IPv4 and IPv6, port tests eq neq lt gt
// range, ICMP type and code, TCP flag tests all-of and any-of, interfaces,
// fragments, monitor rulesets; time windows have their own test below, as the
// kernel reads its own clock), exported, loaded into a scratch router one
// after another, and random packets sent through: the kernel and Portcullis
// agree on every packet.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noKernel, kernelWhyNot, frameFor } from "./support/kernel.ts";
import { policyArb, headerArb } from "./support/arbitrary.ts";
import * as L from "../assembly/layout.ts";
import type { Policy } from "../host/model/rule.ts";
import type { PacketHeader } from "../host/engine/header.ts";
import { THREE_PORTS } from "./support/three-ports.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { exportNft } from "../host/export/nft/index.ts";
import { makeRouter, teardown } from "../host/verify/namespace.ts";
import { transmit, attribute, type Send, type Command } from "../host/verify/wire.ts";
import { ipPayload, ethernetFrame, forwardKey, routingClass } from "../host/verify/frames.ts";
import { portcullisOutcomes } from "../host/verify/run.ts";
import { describePacket } from "../host/cli/replay.ts";

const SEED = Number(process.env.NFT_SEED ?? 15_2026); // another seed: NFT_SEED=N
const POLICIES = 200;
const PACKETS = 50;

const APPLIANCE = THREE_PORTS;

/** What exports exactly and the kernel can be asked about with a capture's packets: no notify, no time windows. */
function exportable(p: Policy): Policy {
  return { ...p, rulesets: p.rulesets.map((rs) => ({ ...rs, rules: rs.rules.map((r) => ({ ...r, notify: false, time: null })) })) };
}

/** A packet both sides see as the same packet: well-formed, routable, no IPv6 extension header as its protocol. */
function packetFrame(h: PacketHeader): Uint8Array | null {
  if (h.reason !== L.REASON_OK) return null;
  const proto = h.family === 6 && [0, 43, 44, 51, 60].includes(h.proto) ? 17 : h.proto;
  const f = frameFor({ ...h, proto });
  const parsed = parsePacketReference(f);
  if (parsed.reason !== L.REASON_OK || routingClass(parsed, ipPayload(f, L.LINK_ETHERNET)!)) return null;
  return f;
}

function packetsFor(k: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let round = 0; out.length < PACKETS && round < 20; round++) {
    for (const h of fc.sample(headerArb, { seed: SEED + 1000 * k + round, numRuns: PACKETS * 2 })) {
      const f = packetFrame(h);
      if (f && out.length < PACKETS) out.push(f);
    }
  }
  return out;
}

describe.skipIf(noKernel)(`random policies: the kernel and Portcullis agree${kernelWhyNot ? ` (skipped: ${kernelWhyNot})` : ""}`, () => {
  it(`${POLICIES} policies x ${PACKETS} packets (seed ${SEED})`, async () => {
    const policies = fc.sample(policyArb, { seed: SEED, numRuns: POLICIES }).map(exportable);
    const dir = mkdtempSync(join(tmpdir(), "pc-diff-"));
    const router = makeRouter(APPLIANCE, ["lan", "wan", "dmz"]);
    try {
      const items: (Send | Command)[] = [];
      const keys: string[] = [];
      const expected: { policy: number; packet: number; verdict: string; what: string; rule: number }[] = [];
      for (let k = 0; k < policies.length; k++) {
        const p = policies[k];
        // Address buckets wherever they pay, even for these short rulesets, so the kernel checks them too.
        const r = exportNft(p, APPLIANCE, { bucketMinRules: 4 });
        expect(r.diagnostics).toEqual([]);
        const file = join(dir, `p${k}.nft`);
        writeFileSync(file, r.text!);
        items.push({ command: ["ip", "netns", "exec", router.netns, "nft", "-f", file] });
        const frames = packetsFor(k);
        expect(frames.length).toBe(PACKETS);
        const outcomes = await portcullisOutcomes(p, encodePolicy(p), APPLIANCE, frames.map((data) => ({ data, tsNs: 0n, linkType: L.LINK_ETHERNET })), false);
        frames.forEach((f, i) => {
          const port = router.ports[outcomes[i].path.ifIn];
          const ip = ipPayload(f, L.LINK_ETHERNET)!;
          items.push({ port: outcomes[i].path.ifIn, frame: ethernetFrame(ip, port.routerMac, port.peerMac) });
          keys.push(forwardKey(ip));
          expected.push({ policy: k, packet: i, verdict: outcomes[i].verdict, what: describePacket(outcomes[i]), rule: outcomes[i].rule });
        });
      }
      const got = await transmit(router.ports, items, 200);
      const delivered = attribute(keys, got.map((g) => {
        const ip = ipPayload(g.frame, L.LINK_ETHERNET);
        return { sentBefore: g.sentBefore, key: ip ? forwardKey(ip) : null };
      }));
      const differ = expected.flatMap((e, n) => {
        const kernel = delivered[n] ? "permit" : "deny";
        return kernel === e.verdict ? [] : [`policy ${e.policy} (${dir}/p${e.policy}.nft) packet ${e.packet}: ${e.what}: kernel ${kernel}, Portcullis ${e.verdict} by rule ${e.rule}`];
      });
      expect(expected.length).toBe(POLICIES * PACKETS);
      expect(differ.slice(0, 15)).toEqual([]);
    } finally {
      teardown(router);
      if (!process.env.KEEP_NFT) rmSync(dir, { recursive: true, force: true });
    }
  }, 240_000);
});
