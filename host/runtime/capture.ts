// What `replay` and `show -v --pcap` share: a capture's packets as firewall
// frames, and the per-rule counter listing.
import * as L from "../../assembly/layout.ts";
import { LINKTYPE_ETHERNET, isRawIpLinktype, type CapturedPacket, type CaptureReader } from "../pcap/pcap.ts";
import { allRules, type Policy } from "../model/rule.ts";
import type { Frame } from "./firewall.ts";

/** The engine's link type for a capture's, or null when it cannot be read. */
export function engineLinkType(linktype: number): number | null {
  if (linktype === LINKTYPE_ETHERNET) return L.LINK_ETHERNET;
  return isRawIpLinktype(linktype) ? L.LINK_RAW_IP : null;
}

export interface FrameBatch {
  packets: CapturedPacket[];
  frames: Frame[];
}

/**
 * A capture's packets as firewall frames, a batch at a time, so a capture of
 * any length is processed in the memory of one batch. It stops at the end,
 * at the reader's first error (`reader.error`), or at the first packet whose
 * link type is neither Ethernet nor raw IP (`unsupported`).
 */
export class FrameStream {
  unsupported: number | null = null;
  count = 0; // packets handed out so far

  constructor(readonly reader: CaptureReader, readonly size = 256) {}

  /** Up to `size` packets; an empty batch at the end. */
  next(): FrameBatch {
    const packets: CapturedPacket[] = [];
    const frames: Frame[] = [];
    while (packets.length < this.size && this.unsupported === null) {
      const p = this.reader.next();
      if (!p) break;
      const linkType = engineLinkType(p.linktype);
      if (linkType === null) {
        this.unsupported = p.linktype;
        break;
      }
      packets.push(p);
      frames.push({ data: p.data, tsNs: p.tsNs, linkType });
    }
    this.count += packets.length;
    return { packets, frames };
  }

  /** Why the stream stopped early (an unreadable record or link type), with the byte offset; null at a clean end. */
  stopReason(): string | null {
    if (this.reader.error) return `${this.reader.error.message} (byte offset ${this.reader.error.offset})`;
    if (this.unsupported !== null) return `${UNSUPPORTED_LINK(this.unsupported)} (the packet at byte offset ${this.reader.packetOffset})`;
    return null;
  }
}

export const UNSUPPORTED_LINK = (linktype: number) => `link type ${linktype} is not supported (Ethernet or raw IP)`;

/** One line per rule (file:line, label, packets, bytes), then one per ruleset default. */
export function counterLines(policy: Policy, rules: { packets: bigint | number; bytes: bigint | number }[], defaults: { packets: bigint | number; bytes: bigint | number }[]): string[] {
  const lines = allRules(policy).map((r, i) =>
    `  ${`${r.origin.file}:${r.origin.line}`.padEnd(36)} ${(r.origin.label ?? `rule ${i}`).padEnd(28)} packets=${rules[i].packets} bytes=${rules[i].bytes}`);
  defaults.forEach((d, k) => lines.push(`  ${"(default)".padEnd(36)} ${policy.rulesets[k].name.padEnd(28)} packets=${d.packets} bytes=${d.bytes}`));
  return lines;
}
