// The PortMaster configuration as ComOS holds it after all commands ran:
// named filters of numbered rules, and the filters attached to interfaces,
// users and locations. The parser builds it; lowering and printing read it.
import type { Prefix } from "../../model/addr.ts";
import type { Action, PortTest } from "../../model/rule.ts";

/** Where a command was written: file, 1-based line and column, and the line itself. */
export interface Loc {
  file: string;
  line: number;
  column: number;
  text: string; // the command without surrounding blanks or its comment
}

export type ProtoName = "ip" | "protocol" | "tcp" | "udp" | "icmp" | "esp" | "ah" | "ipip";

/** The IP protocol number each keyword stands for (null: any protocol). */
export const PROTO_NUMBERS: Record<Exclude<ProtoName, "protocol">, number | null> = {
  ip: null, tcp: 6, udp: 17, icmp: 1, esp: 50, ah: 51, ipip: 4,
};

export interface PmRule {
  filter: string;
  number: number;
  numberColumn: number; // where the rule number was written, for diagnostics about the rule
  action: Action;
  /** Both or neither (the syntax's `SRC/BITS DST/BITS`); already masked. */
  src: Prefix | null;
  dst: Prefix | null;
  proto: ProtoName;
  protoNumber: number | null; // null for `ip`
  icmpType: number | null;
  sport: PortTest | null; // only eq/lt/gt
  dport: PortTest | null;
  established: boolean;
  log: boolean;
  notify: boolean;
  loc: Loc;
}

export interface PmFilter {
  name: string;
  rules: Map<number, PmRule>;
  loc: Loc; // its `add filter` line
}

export type AttachTarget =
  | { kind: "interface"; name: string }
  | { kind: "user" | "location"; name: string };

export interface PmAttachment {
  target: AttachTarget;
  dir: "ifilter" | "ofilter";
  filter: string;
  loc: Loc;
}

export interface PmConfig {
  /** In the order they were added. */
  filters: Map<string, PmFilter>;
  /** The attachments in force, one per target and direction, in the order first written. */
  attachments: PmAttachment[];
  /** Filters removed by `delete filter`, for a clearer "never defined" message. */
  deleted: Map<string, Loc>;
}

/** PortMaster 3/IRX holds at most this many rules in one filter (older models 100). */
export const MAX_RULES_PER_FILTER = 256;

export function sortedRules(f: PmFilter): PmRule[] {
  return [...f.rules.values()].sort((a, b) => a.number - b.number);
}

export function targetText(t: AttachTarget): string {
  return t.kind === "interface" ? t.name : `${t.kind} ${t.name}`;
}
