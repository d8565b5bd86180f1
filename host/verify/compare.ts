// The kernel's verdict beside Portcullis's, packet by packet, and the class
// of a difference where the kernel differs by nature (README, "export and
// verify"): the class labels a difference, it never hides one.
import * as L from "../../assembly/layout.ts";
import type { Outcome } from "../runtime/firewall.ts";
import { isMalformed } from "../engine/reasons.ts";
import { routingClass } from "./frames.ts";

export interface Compared {
  number: number; // 1-based, capture order
  outcome: Outcome;
  kernel: "permit" | "deny" | null; // null: not sent (no IP packet in the frame)
  agree: boolean;
  class: string | null; // for a difference: why the kernel may differ by nature
}

export interface VerifyContext {
  usesConntrack: boolean; // the nft file tracks connections (ct expressions): fragments are reassembled first
  hasTimeWindows: boolean; // Portcullis's rules read the capture's clock; the kernel reads its own
}

export function classify(o: Outcome, ip: Uint8Array, kernel: "permit" | "deny", ctx: VerifyContext): string | null {
  const h = o.header;
  if (isMalformed(o.reason)) return "malformed: Portcullis refuses the packet; the kernel forwards what its IP layer accepts";
  if (o.reason === L.REASON_NEIGHBOUR_DISCOVERY) {
    return "neighbour discovery: Portcullis passes it unfiltered, as its bridge does; a router never forwards it as ND (its copy would leave with hop limit 254, which hosts ignore) and its rules decide the copy";
  }
  const routing = routingClass(h, ip);
  if (routing) return routing;
  if (ctx.usesConntrack && h.frag !== "none") return "fragments: conntrack reassembles fragments before the filter hooks; Portcullis filters each fragment";
  if (ctx.hasTimeWindows) return "clock: the kernel evaluates time windows at injection time, Portcullis at the capture's timestamps";
  if (ctx.usesConntrack && (o.reason === L.REASON_STATE || o.reason === L.REASON_RELATED || o.reason === L.REASON_EXPECTED || kernel === "permit")) {
    return "conntrack: the kernel's connection tracking (TCP window checks, timeouts, loose pick-up) differs from Portcullis's";
  }
  return null;
}

export function fileUsesConntrack(text: string): boolean {
  return /\bct\s+(state|mark|helper|status|direction|zone|original|reply|expectation)\b/.test(text);
}
