// What nftables cannot say exactly. Each is an error naming the rule (its
// file, line and column), or with --lossy a warning plus a comment in the
// output; nothing is dropped silently.
import type { Policy, Rule } from "../../model/rule.ts";
import type { Appliance } from "../../model/appliance.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";

export interface Loss {
  rule: Rule;
  code: string;
  message: string;
  /** What the export does instead with --lossy. */
  instead: string;
}

const ALL_DAYS = 0x7fffffff;
const ALL_MONTHS = 0xfff;

/** Zones whose offset is zero all year: nft's `meta hour` is then the appliance's local time when loaded with TZ=UTC. */
export function isUtcZone(tz: string): boolean {
  return /^(Etc\/)?(UTC|UCT|GMT|Zulu|Universal|Greenwich)(\+0|-0|0)?$/i.test(tz);
}

export function lossesOf(r: Rule, a: Appliance): Loss[] {
  const out: Loss[] = [];
  if (r.notify) {
    out.push({ rule: r, code: "EXP001", message: "`notify` (a syslog message to the packet's source host) has no nftables equivalent", instead: "the rule is exported without it" });
  }
  if (r.time) {
    if ((r.time.days & ALL_DAYS) !== ALL_DAYS || (r.time.months & ALL_MONTHS) !== ALL_MONTHS) {
      out.push({ rule: r, code: "EXP002", message: "a day-of-month or month window has no nftables form (nft has meta hour and meta day only)", instead: "the day-of-month and month parts are left out (the rule matches on more days)" });
    }
    if (!isUtcZone(a.timezone)) {
      out.push({ rule: r, code: "EXP003", message: `a time window in the appliance's zone ${a.timezone}: nft converts meta hour with the loading process's zone and meta day uses the kernel's, which differ across a DST change`, instead: "the window is written in the zone's local hours; load the file with TZ set to that zone" });
    }
  }
  return out;
}

export function policyLosses(p: Policy, a: Appliance): Loss[] {
  return p.rulesets.flatMap((rs) => rs.rules.flatMap((r) => lossesOf(r, a)));
}

export function lossDiagnostic(l: Loss, lossy: boolean): Diagnostic {
  const o = l.rule.origin;
  const who = o.label ? `${o.label}: ` : "";
  return {
    file: o.file, line: o.line, column: o.column, severity: lossy ? "warning" : "error", code: l.code,
    message: `${who}${l.message}${lossy ? `; --lossy: ${l.instead}` : " (--lossy exports it anyway, with a comment)"}`,
  };
}
