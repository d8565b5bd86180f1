// Whether a text is an InstaGate rule table, in its text or JSON form. Kept
// apart from the parsers so that picking a file's dialect imports none of
// them (host/dialects/all.ts).

/** Does this JSON look like an InstaGate table? */
export function looksLikeJson(text: string): number {
  return /^\s*\{/.test(text) && /"instagate"\s*:/.test(text) ? 1 : 0;
}

/** Does this text look like an InstaGate table? (for dialect detection) */
export function looksLikeText(text: string): number {
  const has = (re: RegExp) => re.test(text);
  let score = 0;
  // Horizontal blanks only ([ \t], not \s): with the m flag, ^\s* over a long run of blank lines is quadratic.
  if (has(/^[ \t]*\d+\)/m)) score += 0.2;
  if (has(/^[ \t]*Action[ \t]*(?:[-:][ \t]*)?(Accept|Deny)[ \t]*\r?$/im)) score += 0.3;
  if (has(/^[ \t]*(Source|Destination)[ \t]+(Address[ \t]+or[ \t]+Network|Network[ \t]+or[ \t]+Address)\b/im)) score += 0.3;
  if (has(/^[ \t]*Services[ \t]*(?:[-:][ \t]*)?(Any|Selected)\b/im)) score += 0.15;
  // A file of definitions only, to go with a rule file.
  if (has(/^[ \t]*Object[ \t]+\S[^\n]*?[ \t]-[ \t](Address|Network|List)[ \t]+-[ \t]/im) || has(/^[ \t]*Service[ \t]+\S[^\n]*?[ \t]-[ \t](TCP|UDP|TCP\/UDP|ICMP|Protocol)\b/im)) score += 0.5;
  return Math.min(score, 0.95);
}

export function detectInstagate(text: string): number {
  return Math.max(looksLikeJson(text), looksLikeText(text));
}
