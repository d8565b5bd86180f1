// One Windows CE firewall rule with its meaning settled: what validate.ts
// makes of a rule subkey (or FW_RULE object), what lower.ts turns into the
// core's ordered rules, and what export.ts prints back as regedit text.
import type { Address } from "../../model/addr.ts";

export interface CeRule {
  name: string; // registry key name: the rule's provenance label
  description: string | null;
  action: "block" | "allow" | "log";
  direction: "inbound" | "outbound";
  disabled: boolean;
  family: 4 | 6; // PrivateHost.Family: the rule applies to this family only
  privateHost: Address | null; // FWM_PRIVATE_HOST
  publicHost: Address | null; // FWM_PUBLIC_HOST
  /** How the public host's subnet was given: FWM_PUBLIC_HOST_MASK (IPv4 dotted mask) or FWM_PUBLIC_HOST_PREFIX. */
  publicSubnet: { form: "mask" | "prefix"; len: number } | null;
  protocol: number | null; // FWM_PROTOCOL
  ports: { min: number; max: number } | null; // FWM_PORT: destination port range
  icmpType: number | null; // FWM_TYPE
  icmpCode: number | null; // FWM_CODE
  logAction: number | null; // FWM_ACTION (logging rules): FWA_BLOCK, FWA_ALLOW
  hours: { start: number; end: number } | null; // FWM_TIME_OF_DAY: [start:00, end:00)
  dayOfWeek: number | null; // FWM_DAY_OF_WEEK: bit 0 Sunday .. bit 6 Saturday
  day: number | null; // FWM_DAY: 1..31
  month: number | null; // FWM_MONTH: 1..12
  origin: { file: string; line: number; column: number };
}

/** The rule's effect with provenance stripped (what a round trip must keep). */
export function ruleMeaning(r: CeRule): Omit<CeRule, "origin"> {
  const { origin: _o, ...rest } = r;
  return rest;
}
