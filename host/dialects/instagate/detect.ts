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
  if (has(/^\s*\d+\)/m)) score += 0.2;
  if (has(/^\s*Action\s*[-:]?\s*(Accept|Deny)\s*$/im)) score += 0.3;
  if (has(/^\s*(Source|Destination)\s+(Address\s+or\s+Network|Network\s+or\s+Address)\b/im)) score += 0.3;
  if (has(/^\s*Services\s*[-:]?\s*(Any|Selected)\b/im)) score += 0.15;
  // A file of definitions only, to go with a rule file.
  if (has(/^\s*Object\s+\S.*\s-\s(Address|Network|List)\s+-\s/im) || has(/^\s*Service\s+\S.*\s-\s(TCP|UDP|TCP\/UDP|ICMP|Protocol)\b/im)) score += 0.5;
  return Math.min(score, 0.95);
}

export function detectInstagate(text: string): number {
  return Math.max(looksLikeJson(text), looksLikeText(text));
}
