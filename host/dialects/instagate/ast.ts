// The InstaGate rule table as written, before names are resolved: the one
// structure both the text form and the JSON form parse into. Every element
// keeps its position so resolution and lint can point at the config line.

export interface Pos {
  file: string;
  line: number;
  column: number;
}

export type ZoneName = "LAN" | "WAN" | "DMZ";
export type MatchMode = "include" | "exclude";

/** `Network - ADDR - Subnet MASK` (mask null: ADDR carries /LEN or is a host), or `Object - NAME`. */
export type AddrRef =
  | { kind: "network"; address: string; mask: string | null; pos: Pos }
  | { kind: "object"; name: string; pos: Pos };

export interface AddrField {
  match: MatchMode;
  ref: AddrRef;
}

export interface NameRef {
  name: string;
  pos: Pos;
}

/** Rule numbers are 1..MAX_RULE_NUMBER, in both forms: a bigger number is refused, never rounded (1e+23). */
export const MAX_RULE_NUMBER = 1_000_000;

export interface RuleBlock {
  number: number;
  title: string; // "Accept Rule"
  pos: Pos; // the header line
  lines: string[]; // the block's original lines, for provenance
  action: "accept" | "deny";
  zone: ZoneName;
  src: AddrField;
  dst: AddrField;
  services: NameRef[] | "any";
}

/** A list member: an address, ADDR/LEN, or the name of another object. */
export interface ListMember {
  text: string;
  pos: Pos;
}

export type ObjectValue =
  | { kind: "address"; address: string }
  | { kind: "network"; address: string; mask: string | null }
  | { kind: "list"; members: ListMember[] };

export interface ObjectDef {
  name: string;
  pos: Pos;
  value: ObjectValue;
}

export type ServiceProto = "tcp" | "udp" | "tcp/udp" | "icmp" | number;

export interface ServiceDef {
  name: string;
  pos: Pos;
  proto: ServiceProto;
  ports: [number, number][] | null; // tcp/udp destination port ranges; null = any port
  icmpType: number | null;
}

/** A mention of the Gateway Anti-Virus SMTP proxy, which this appliance lacks. */
export interface AntivirusMention {
  pos: Pos;
  text: string;
}

export interface Table {
  objects: ObjectDef[];
  services: ServiceDef[];
  rules: RuleBlock[];
  antivirus: AntivirusMention[];
}

export function emptyTable(): Table {
  return { objects: [], services: [], rules: [], antivirus: [] };
}
