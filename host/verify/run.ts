// `verify`'s work: a capture through Portcullis and through the kernel with
// an nft file loaded in a scratch router, packet for packet.
import { readFileSync } from "node:fs";
import type { Policy } from "../model/rule.ts";
import type { Appliance } from "../model/appliance.ts";
import { Firewall, type Frame, type Outcome } from "../runtime/firewall.ts";
import { makeRouter, teardown, loadNft } from "./namespace.ts";
import { transmit, attribute, type Send } from "./wire.ts";
import { ipPayload, ethernetFrame, forwardKey } from "./frames.ts";
import { classify, fileUsesConntrack, type Compared } from "./compare.ts";

export interface VerifyRun {
  compared: Compared[];
  timings: { portcullisMs: number; setupMs: number; loadMs: number; kernelMs: number };
}

export class NftLoadError extends Error {}

export async function portcullisOutcomes(policy: Policy, program: Uint8Array, a: Appliance, frames: Frame[], ftpHelper = true): Promise<Outcome[]> {
  const fw = await Firewall.create(policy, program, a, { unreachableRate: 10, ftpHelper });
  const out: Outcome[] = [];
  for (let i = 0; i < frames.length; i += 256) out.push(...fw.process(frames.slice(i, i + 256)));
  return out;
}

/** Send each frame into the router (by the interface its outcome says it arrived on); which came out. */
export async function kernelVerdicts(a: Appliance, ifnames: string[], nftFile: string, frames: Frame[], outcomes: Outcome[], timings: VerifyRun["timings"]): Promise<("permit" | "deny" | null)[]> {
  let t = performance.now();
  const router = makeRouter(a, ifnames);
  try {
    timings.setupMs = performance.now() - t;
    t = performance.now();
    const err = loadNft(router, nftFile, a.timezone);
    if (err !== null) throw new NftLoadError(err);
    timings.loadMs = performance.now() - t;
    t = performance.now();
    const sends: Send[] = [];
    const keys: string[] = [];
    const sentIndex: number[] = []; // send number -> frame index
    frames.forEach((f, i) => {
      const ip = ipPayload(f.data, f.linkType);
      if (!ip) return;
      const port = router.ports[outcomes[i].path.ifIn];
      keys.push(forwardKey(ip));
      sentIndex.push(i);
      sends.push({ port: outcomes[i].path.ifIn, frame: ethernetFrame(ip, port.routerMac, port.peerMac) });
    });
    const got = await transmit(router.ports, sends);
    const out = attribute(keys, got.map((r) => {
      const ip = ipPayload(r.frame, 0);
      return { sentBefore: r.sentBefore, key: ip ? forwardKey(ip) : null };
    }));
    const verdicts: ("permit" | "deny" | null)[] = frames.map(() => null);
    sentIndex.forEach((i, k) => (verdicts[i] = out[k] ? "permit" : "deny"));
    timings.kernelMs = performance.now() - t;
    return verdicts;
  } finally {
    teardown(router);
  }
}

export async function verifyCapture(opts: {
  policy: Policy; program: Uint8Array; appliance: Appliance; ifnames: string[]; nftFile: string; frames: Frame[]; ftpHelper?: boolean;
}): Promise<VerifyRun> {
  const timings = { portcullisMs: 0, setupMs: 0, loadMs: 0, kernelMs: 0 };
  let t = performance.now();
  const outcomes = await portcullisOutcomes(opts.policy, opts.program, opts.appliance, opts.frames, opts.ftpHelper ?? true);
  timings.portcullisMs = performance.now() - t;
  const kernel = await kernelVerdicts(opts.appliance, opts.ifnames, opts.nftFile, opts.frames, outcomes, timings);
  const ctx = {
    usesConntrack: fileUsesConntrack(readFileSync(opts.nftFile, "utf8")),
    hasTimeWindows: opts.policy.rulesets.some((rs) => rs.rules.some((r) => r.time)),
  };
  const compared: Compared[] = outcomes.map((o, i) => {
    const k = kernel[i];
    const agree = k === null || k === o.verdict;
    const ip = ipPayload(opts.frames[i].data, opts.frames[i].linkType);
    return { number: i + 1, outcome: o, kernel: k, agree, class: agree || !ip || k === null ? null : classify(o, ip, k, ctx) };
  });
  return { compared, timings };
}
