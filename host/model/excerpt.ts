// Bounded echoes of user text (issue 12). A diagnostic, a rule's provenance
// or a label may quote what the operator wrote; a hostile or broken file can
// make that a 10 MB token or a 55 KB line behind 10,000 rules. What leaves
// the process is cut to a bounded excerpt with a visible marker, so the size
// of any one message never depends on the size of the input.
import type { Diagnostic } from "./diagnostic.ts";
import type { Policy } from "./rule.ts";

/** Longest quoted token in a diagnostic (a name, an address, a keyword...). */
export const TOKEN_EXCERPT = 64;
/** Longest rule text (provenance) kept and printed. */
export const RULE_TEXT_EXCERPT = 240;
/** Longest label. */
export const LABEL_EXCERPT = 160;
/** Longest diagnostic message, whatever it quotes or lists. */
export const MESSAGE_EXCERPT = 1000;

/** `text` itself when short, else its start and a marker saying how much was cut. */
export function excerpt(text: string, max = TOKEN_EXCERPT): string {
  if (text.length <= max) return text;
  let cut = max;
  // Do not split a surrogate pair.
  const c = text.charCodeAt(cut - 1);
  if (c >= 0xd800 && c <= 0xdbff) cut--;
  return `${text.slice(0, cut)}… [${text.length - cut} more characters]`;
}

/**
 * User text quoted for a message (JSON string syntax, so quotes and control
 * characters are escaped), cut like `excerpt`: the one form every reader uses.
 */
export function quoted(text: string, max = 40): string {
  return JSON.stringify(excerpt(text, max));
}

/** A diagnostic whose message is at most MESSAGE_EXCERPT characters (plus the marker). */
export function boundDiagnostic(d: Diagnostic): Diagnostic {
  return d.message.length <= MESSAGE_EXCERPT ? d : { ...d, message: excerpt(d.message, MESSAGE_EXCERPT) };
}

/**
 * Cut every rule's provenance text and label in place. The location
 * (file:line:column) still points at the whole text; one long line behind
 * thousands of rules (a Windows Firewall scope of 5,000 addresses) is then
 * not copied into every rule's listing, status answer or identity key.
 */
export function boundProvenance(policy: Policy): void {
  const cut = new Map<string, string>(); // one excerpt per distinct long text
  const bound = (t: string, max: number) => {
    if (t.length <= max) return t;
    let e = cut.get(t);
    if (e === undefined) cut.set(t, (e = excerpt(t, max)));
    return e;
  };
  for (const rs of policy.rulesets) {
    for (const r of rs.rules) {
      const o = r.origin;
      if (o.text.length > RULE_TEXT_EXCERPT) o.text = bound(o.text, RULE_TEXT_EXCERPT);
      if (o.label !== undefined && o.label.length > LABEL_EXCERPT) o.label = bound(o.label, LABEL_EXCERPT);
    }
  }
}
