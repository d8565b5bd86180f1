// The PortMaster diagnostic codes. They are stable: scripts and the README
// refer to them, so a code is never renumbered or reused for another meaning.
import type { Severity } from "../../model/diagnostic.ts";

export const PM = {
  UNKNOWN_KEYWORD: "PM001",
  BAD_PREFIX: "PM002",
  HOST_BITS: "PM003",
  BAD_PORT: "PM004",
  PORT_NEVER: "PM005",
  ESTABLISHED_UDP: "PM006",
  DUPLICATE_RULE: "PM007",
  UNDEFINED_FILTER: "PM008",
  TOO_MANY_RULES: "PM009",
  SHADOWED: "PM010",
  REDUNDANT: "PM011",
  UNKNOWN_INTERFACE: "PM012",
  NOT_EMULATED: "PM013",
  UNATTACHED: "PM014",
  NOT_ADDED: "PM015",
  ADDED_TWICE: "PM016",
  BAD_NAME: "PM017",
  BAD_RULE_NUMBER: "PM018",
  MISSING_VALUE: "PM019",
  NUMBER_RANGE: "PM020",
  ONE_PREFIX: "PM021",
  REPEATED_PART: "PM022",
  NO_SUCH_RULE: "PM023",
  NO_SUCH_FILTER: "PM024",
  RULE_REPLACED: "PM025",
  ATTACHMENT_REPLACED: "PM026",
} as const;

export type PmCode = (typeof PM)[keyof typeof PM];

/** Severity and a one-line description of each code, for the README and the tests. */
export const PM_CODES: Record<PmCode, { severity: Severity; what: string }> = {
  PM001: { severity: "error", what: "unknown command or keyword" },
  PM002: { severity: "error", what: "bad address prefix: address, /BITS above 32, non-contiguous dotted mask, or IPv6" },
  PM003: { severity: "warning", what: "address has bits set under its mask; the mask applies" },
  PM004: { severity: "error", what: "port is not a decimal number 0..65535" },
  PM005: { severity: "warning", what: "port test can never match (lt 0, gt 65535)" },
  PM006: { severity: "warning", what: "established on a UDP rule: the rule never matches" },
  PM007: { severity: "error", what: "rule number used twice in one file" },
  PM008: { severity: "error", what: "filter used but never defined" },
  PM009: { severity: "warning", what: "more than 256 rules in one filter (the PortMaster 3 limit)" },
  PM010: { severity: "warning", what: "rule is shadowed: an earlier rule matches every packet it matches, so it never decides" },
  PM011: { severity: "warning", what: "rule is redundant: it repeats an earlier rule (same packets, same action)" },
  PM012: { severity: "error", what: "interface is not one of the appliance's" },
  PM013: { severity: "warning", what: "user or location filter: applies only to a live dial-in session, not emulated" },
  PM014: { severity: "warning", what: "filter defined but never attached" },
  PM015: { severity: "error", what: "rule for a filter that was never added" },
  PM016: { severity: "error", what: "filter added twice" },
  PM017: { severity: "error", what: "bad filter name (1 to 15 letters, digits, _ . -)" },
  PM018: { severity: "error", what: "bad rule number (a decimal number 1..65535)" },
  PM019: { severity: "error", what: "a value is missing" },
  PM020: { severity: "error", what: "protocol number or ICMP type out of range 0..255" },
  PM021: { severity: "error", what: "source prefix without destination prefix" },
  PM022: { severity: "error", what: "the same part given twice in one rule" },
  PM023: { severity: "warning", what: "removal of a rule that does not exist" },
  PM024: { severity: "warning", what: "deletion of a filter that does not exist" },
  PM025: { severity: "warning", what: "a later file replaces a rule set in an earlier file" },
  PM026: { severity: "warning", what: "an attachment replaces an earlier one" },
};
