// The one place that makes text safe to leave the process: syslog lines,
// stderr and stdout through the CLI's IO, control-socket answers. Config text,
// file names and packet-derived strings are attacker-controlled; written raw
// they can move a terminal's cursor (ESC[2J), ring it (BEL), reverse what an
// operator reads (U+202E), or split one log line into two (LF, U+0085,
// U+2028). Each such character is replaced by a visible `\uXXXX` escape. The
// escape is also valid inside a JSON string, and these characters can only
// occur inside JSON strings, so a JSON text stays JSON after cleaning.

/** C0 controls but TAB and LF, DEL, C1 controls, bidi and line-separator characters. */
const UNSAFE_KEEP_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
/** The same, and TAB and LF too (a value that must stay on one line). */
const UNSAFE_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;

const escapeChar = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** Multi-line text (stdout, stderr): lines and tabs stay, every other control or bidi character is escaped. */
export function cleanText(s: string): string {
  return s.replace(UNSAFE_KEEP_LINES, escapeChar);
}

/** One line (a log message, a structured-data value, an answer field): line breaks are escaped too. */
export function cleanLine(s: string): string {
  return s.replace(UNSAFE_ONE_LINE, escapeChar);
}

// Bounding a text's length is the model's (host/model/excerpt.ts): one marker everywhere.
export { excerpt } from "../model/excerpt.ts";
