// Names of the verdict reasons of assembly/layout.ts (REASON_*), as printed
// by explain, replay and the logs.
import * as L from "../../assembly/layout.ts";

export const REASON_NAMES: Record<number, string> = {
  [L.REASON_MATCHED]: "matched rule",
  [L.REASON_DEFAULT]: "default",
  [L.REASON_NO_FILTER]: "no filter",
  [L.REASON_STATE]: "tracked flow",
  [L.REASON_EXPECTED]: "expected connection",
  [L.REASON_RELATED]: "related to a tracked flow",
  [L.REASON_NO_PROGRAM]: "no program loaded",
  [L.REASON_NEIGHBOUR_DISCOVERY]: "neighbour discovery",
  [L.REASON_TRUNCATED_ETHERNET]: "truncated-ethernet",
  [L.REASON_NOT_IP]: "not-ip",
  [L.REASON_TRUNCATED_IPV4]: "truncated-ipv4",
  [L.REASON_BAD_VERSION]: "bad-version",
  [L.REASON_BAD_IHL]: "bad-ihl",
  [L.REASON_BAD_TOTAL_LENGTH]: "bad-total-length",
  [L.REASON_TRUNCATED_IPV6]: "truncated-ipv6",
  [L.REASON_BAD_PAYLOAD_LENGTH]: "bad-payload-length",
  [L.REASON_BAD_EXTENSION_HEADER]: "bad-extension-header",
  [L.REASON_TINY_FRAGMENT]: "tiny-fragment",
  [L.REASON_FRAGMENT_OVERLAP]: "fragment-overlap",
  [L.REASON_TRUNCATED_L4]: "truncated-l4",
  [L.REASON_BAD_TCP_OFFSET]: "bad-tcp-offset",
};

export function isMalformed(reason: number): boolean {
  return reason >= L.REASON_MALFORMED_FIRST && reason <= L.REASON_MALFORMED_LAST;
}

/** "malformed: tiny-fragment" for malformed packets, else the plain name. */
export function describeReason(reason: number): string {
  const name = REASON_NAMES[reason] ?? `reason ${reason}`;
  return isMalformed(reason) ? `malformed: ${name}` : name;
}

export const LOAD_ERRORS: Record<number, string> = {
  [L.LOAD_TOO_SHORT]: "program shorter than its header",
  [L.LOAD_BAD_MAGIC]: "bad magic number",
  [L.LOAD_BAD_VERSION]: "unsupported layout version",
  [L.LOAD_BAD_HEADER]: "bad header field",
  [L.LOAD_BAD_LENGTH]: "table offsets or lengths do not add up",
  [L.LOAD_BAD_CHECKSUM]: "checksum mismatch",
  [L.LOAD_BAD_RULESET]: "bad ruleset table",
  [L.LOAD_BAD_BINDING]: "interface binding names a missing ruleset",
  [L.LOAD_BAD_RULE]: "bad rule record",
  [L.LOAD_TOO_LARGE]: "program too large",
};
