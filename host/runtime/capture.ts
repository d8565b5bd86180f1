// What `replay` and `show -v --pcap` share: a capture's packets as firewall
// frames, and the per-rule counter listing.
import * as L from "../../assembly/layout.ts";
import { LINKTYPE_ETHERNET, isRawIpLinktype, type CapturedPacket } from "../pcap/pcap.ts";
import { allRules, type Policy } from "../model/rule.ts";
import type { Frame } from "./firewall.ts";

/** The engine's link type for a capture's, or null when it cannot be read. */
export function engineLinkType(linktype: number): number | null {
  if (linktype === LINKTYPE_ETHERNET) return L.LINK_ETHERNET;
  return isRawIpLinktype(linktype) ? L.LINK_RAW_IP : null;
}

/** The frames of a capture, or the first link type that is neither Ethernet nor raw IP. */
export function captureFrames(packets: CapturedPacket[]): { frames: Frame[] } | { unsupported: number } {
  const frames: Frame[] = [];
  for (const p of packets) {
    const linkType = engineLinkType(p.linktype);
    if (linkType === null) return { unsupported: p.linktype };
    frames.push({ data: p.data, tsNs: p.tsNs, linkType });
  }
  return { frames };
}

export const UNSUPPORTED_LINK = (linktype: number) => `link type ${linktype} is not supported (Ethernet or raw IP)`;

/** One line per rule (file:line, label, packets, bytes), then one per ruleset default. */
export function counterLines(policy: Policy, rules: { packets: bigint | number; bytes: bigint | number }[], defaults: { packets: bigint | number; bytes: bigint | number }[]): string[] {
  const lines = allRules(policy).map((r, i) =>
    `  ${`${r.origin.file}:${r.origin.line}`.padEnd(36)} ${(r.origin.label ?? `rule ${i}`).padEnd(28)} packets=${rules[i].packets} bytes=${rules[i].bytes}`);
  defaults.forEach((d, k) => lines.push(`  ${"(default)".padEnd(36)} ${policy.rulesets[k].name.padEnd(28)} packets=${d.packets} bytes=${d.bytes}`));
  return lines;
}
