// A rule's provenance text (origin.text) is the line it came from; in some
// dialects every rule of a line carries the whole line (a Windows Firewall
// scope of 5,000 addresses makes ~10,000 rules, each with the 55 KB line).
// The live appliance keeps that text only for `status` and for telling
// unchanged rules apart across reloads (ruleKey), so it keeps a bounded form:
// the start of the text and a hash of the whole, so two long lines that
// differ only at their end stay different rules.
import { createHash } from "node:crypto";
import type { Policy } from "../model/rule.ts";
import { excerpt } from "../log/sanitize.ts";

export const ORIGIN_TEXT_MAX = 1024;

/** Bound every rule's origin.text in place (the same long line is hashed once). */
export function compactPolicyTexts(policy: Policy): Policy {
  const done = new Map<string, string>();
  for (const rs of policy.rulesets) {
    for (const r of rs.rules) {
      const t = r.origin.text;
      if (typeof t !== "string" || t.length <= ORIGIN_TEXT_MAX) continue;
      let c = done.get(t);
      if (c === undefined) {
        c = `${excerpt(t, ORIGIN_TEXT_MAX)} [sha256:${createHash("sha256").update(t).digest("hex").slice(0, 16)}]`;
        done.set(t, c);
      }
      r.origin.text = c;
    }
  }
  return policy;
}
