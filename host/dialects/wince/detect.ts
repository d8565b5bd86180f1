// Whether a text is a Windows CE firewall configuration (regedit text or
// FW_RULE JSON). Kept apart from the front end so that picking a file's
// dialect imports no parser (host/dialects/all.ts).
const RULE_KEY_RE = /\[\s*-?HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\/i;
const HEADER_RE = /^\s*(REGEDIT4|Windows Registry Editor Version 5\.00)\s*$/m;

/**
 * The JSON form: text that starts with "{", or with "[" and then what a JSON
 * array can hold ("[[", "[{", "[]", a string, a number, true/false/null). A
 * regedit key line starts "[HKEY..." or "[-HKEY...", never like that.
 */
export function isJsonForm(text: string): boolean {
  return /^[ \t\r\n]*(\{|\[[ \t\r\n]*([[{\]"0-9tfn]|-[0-9]))/.test(text);
}

export function detectWince(text: string): number {
  if (RULE_KEY_RE.test(text)) return 0.95;
  if (isJsonForm(text) && /"dwFlags"\s*:/.test(text)) return 0.9;
  if (HEADER_RE.test(text.slice(0, 200))) return 0.2;
  return 0;
}
