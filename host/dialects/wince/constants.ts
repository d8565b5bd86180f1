// The FW_RULE bit values of the Windows CE firewall API (fwapi.h), and the
// registry value names one rule subkey may hold.
export const FWF = { BLOCK: 0x01, ALLOW: 0x02, LOG: 0x04, INBOUND: 0x08, OUTBOUND: 0x10, DISABLED: 0x20 } as const;
export const FWF_KNOWN = 0x3f;

export const FWM = {
  PRIVATE_HOST: 0x01,
  PUBLIC_HOST: 0x02,
  PORT: 0x04,
  TYPE: 0x08,
  CODE: 0x10,
  PROTOCOL: 0x20,
  ACTION: 0x40,
  TIME_OF_DAY: 0x80,
  DAY_OF_WEEK: 0x100,
  DAY: 0x200,
  MONTH: 0x400,
  PUBLIC_HOST_MASK: 0x800,
  PUBLIC_HOST_PREFIX: 0x1000,
} as const;
export const FWM_KNOWN = 0x1fff;

/** FW_ACTIONS, for the Action value of logging rules. */
export const FWA = { BLOCK: 1, ALLOW: 2, ALLOW_RESPONSE: 3 } as const;

export const AF_INET = 2;
export const AF_INET6 = 23; // 0x17 on Windows

/** Symbolic names of a bit set, in bit order: "FWF_ALLOW | FWF_OUTBOUND". */
export function bitNames(value: number, table: Record<string, number>, prefix: string): string {
  const names = Object.entries(table).filter(([, v]) => (value & v) !== 0).map(([k]) => prefix + k);
  const known = Object.values(table).reduce((a, b) => a | b, 0);
  const rest = value & ~known;
  if (rest) names.push("0x" + rest.toString(16));
  return names.length ? names.join(" | ") : "0";
}

/**
 * Registry value names of a rule subkey, canonical spelling (the registry
 * compares names case-insensitively). `Port` sets PortMin and PortMax at once
 * (Microsoft's own examples use it).
 */
export const VALUE_NAMES = [
  "Flags", "Mask", "Description", "PrivateHost", "PublicHost", "PublicHostMask", "PublicHostPrefixLength",
  "Protocol", "Action", "HourStart", "HourEnd", "DayOfWeek", "Day", "Month", "Port", "PortMin", "PortMax", "Type", "Code",
] as const;
export type ValueName = (typeof VALUE_NAMES)[number];

export function canonicalValueName(name: string): ValueName | null {
  const lower = name.toLowerCase();
  return VALUE_NAMES.find((n) => n.toLowerCase() === lower) ?? null;
}

export const PROTOCOL_NAMES: Record<number, string> = { 1: "ICMP", 6: "TCP", 17: "UDP", 58: "ICMPv6" };
