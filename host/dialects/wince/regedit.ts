// Reads regedit text (REGEDIT4 / "Windows Registry Editor Version 5.00"):
// [key] lines, "Name"=dword:/hex:/"string" values with `\` continuations,
// `;` comments (also after a value, as Microsoft's firewall examples write
// them), any indentation. Every subkey of ...\COMM\Firewall\Rules\ is a rule.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import type { RawData, RawRule, RawValue } from "./raw.ts";
import { CE } from "./codes.ts";

export const RULES_KEY = "HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules";
const RULE_KEY = /^HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\([^\\]+)$/i;
const HEADER = /^(REGEDIT4|Windows Registry Editor Version 5\.00)$/;

/** The line without its `;` comment (a `;` inside a quoted string is data). */
export function stripComment(line: string): string {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted && c === "\\") { i++; continue; }
    if (c === '"') quoted = !quoted;
    else if (c === ";" && !quoted) return line.slice(0, i);
  }
  return line;
}

function parseString(text: string): string | null {
  const m = /^"((?:[^"\\]|\\.)*)"$/.exec(text);
  if (!m) return null;
  return m[1].replace(/\\(.)/g, "$1");
}

type Parsed = { data: RawData } | { delete: true } | { error: string; code: string };

function parseData(text: string): Parsed {
  const t = text.trim();
  if (t === "-") return { delete: true };
  let m = /^dword:\s*([0-9a-fA-F]+)$/i.exec(t);
  if (m) {
    if (m[1].length > 8) return { code: CE.BAD_DATA, error: `dword:${m[1]} has more than 8 hex digits` };
    return { data: { kind: "dword", value: parseInt(m[1], 16) >>> 0 } };
  }
  if (/^dword:/i.test(t)) return { code: CE.BAD_DATA, error: `bad dword "${t.slice(6)}" (want up to 8 hex digits)` };
  m = /^hex:(.*)$/i.exec(t);
  if (m) {
    const body = m[1].replace(/\s+/g, "");
    if (body === "") return { data: { kind: "hex", bytes: [] } };
    const parts = body.split(",");
    if (parts[parts.length - 1] === "") parts.pop();
    const bad = parts.find((p) => !/^[0-9a-fA-F]{1,2}$/.test(p));
    if (bad !== undefined) return { code: CE.BAD_DATA, error: `bad byte "${bad}" in hex data (want two hex digits per byte, separated by commas)` };
    return { data: { kind: "hex", bytes: parts.map((p) => parseInt(p, 16)) } };
  }
  m = /^hex\(([0-9a-fA-F]+)\):/i.exec(t);
  if (m) return { code: CE.WRONG_TYPE, error: `value type hex(${m[1]}) is not used by firewall rules (use dword:, hex: or "string")` };
  const s = parseString(t);
  if (s !== null) return { data: { kind: "string", value: s } };
  return { code: CE.SYNTAX, error: `cannot read value data "${t}" (want dword:HEX, hex:BYTES or "string")` };
}

export function readRegedit(file: string, text: string, sink: DiagnosticSink): RawRule[] {
  const rules = new Map<string, RawRule>(); // by lower-case name: registry keys are case-insensitive
  let current: RawRule | null = null;
  let inOtherKey = false;
  let sawContent = false;
  const lines = text.split(/\r\n|\n|\r/);
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i];
    let body = stripComment(raw);
    const indent = body.length - body.trimStart().length;
    // A value continues on the next line after a trailing backslash.
    while (/\\\s*$/.test(body) && i + 1 < lines.length && !body.trimStart().startsWith("[")) {
      body = body.replace(/\\\s*$/, "") + stripComment(lines[++i]).trim();
    }
    const t = body.trim();
    if (t === "") continue;
    if (!sawContent) {
      sawContent = true;
      if (HEADER.test(t)) continue;
    }
    if (HEADER.test(t)) {
      sink.error(lineNo, indent + 1, CE.SYNTAX, `the regedit header "${t}" may only be the first line`);
      continue;
    }
    const key = /^\[(-?)(.*)\]$/.exec(t);
    if (key) {
      const path = key[2].trim();
      const m = RULE_KEY.exec(path);
      current = null;
      inOtherKey = false;
      if (!m) {
        inOtherKey = true;
        const isParent = /^HKEY_LOCAL_MACHINE\\COMM\\Firewall(\\Rules)?$/i.test(path);
        if (!isParent || key[1] === "-") {
          sink.warning(lineNo, indent + 1, CE.NOT_A_RULE_KEY, `key [${key[1]}${path}] is not a firewall rule (${RULES_KEY}\\NAME); ignored`);
        } else if (!/\\Rules$/i.test(path)) {
          sink.warning(lineNo, indent + 1, CE.NOT_A_RULE_KEY, `firewall settings under [${path}] are not rules; ignored (only ${RULES_KEY}\\NAME subkeys are imported)`);
        }
        continue;
      }
      const name = m[1];
      const id = name.toLowerCase();
      if (key[1] === "-") {
        rules.delete(id);
        inOtherKey = true; // values after a deleted key belong to nothing
        continue;
      }
      const prev = rules.get(id);
      if (prev) {
        sink.warning(lineNo, indent + 1, CE.DUPLICATE, `rule "${name}": key given again (first at line ${prev.line}); its values are merged, later ones win, as regedit does`);
        current = prev;
      } else {
        current = { name, file, line: lineNo, column: indent + 1, values: [] };
        rules.set(id, current);
      }
      continue;
    }
    if (t.startsWith("[")) {
      sink.error(lineNo, indent + 1, CE.SYNTAX, `key line without its closing "]"`);
      current = null;
      inOtherKey = true;
      continue;
    }
    const v = /^(?:"((?:[^"\\]|\\.)*)"|(@))\s*=(.*)$/.exec(t);
    if (!v) {
      sink.error(lineNo, indent + 1, CE.SYNTAX, `cannot read "${t}" (want [KEY], "Name"=DATA or a ; comment)`);
      continue;
    }
    if (inOtherKey) continue;
    if (!current) {
      sink.error(lineNo, indent + 1, CE.VALUE_OUTSIDE_KEY, `value before any [key] line`);
      continue;
    }
    const name = v[2] ? "@" : v[1].replace(/\\(.)/g, "$1");
    const dataCol = indent + t.indexOf("=") + 2;
    const parsed = parseData(v[3]);
    if ("error" in parsed) {
      sink.error(lineNo, dataCol, parsed.code, `rule "${current.name}", value "${name}": ${parsed.error}`);
    }
    const idx = current.values.findIndex((x) => x.name.toLowerCase() === name.toLowerCase());
    const data: RawData = "error" in parsed ? { kind: "invalid" } : "data" in parsed ? parsed.data : { kind: "invalid" };
    if ("delete" in parsed) {
      if (idx >= 0) current.values.splice(idx, 1);
      continue;
    }
    const value: RawValue = { name, data, line: lineNo, column: indent + 1 };
    if (idx >= 0) {
      sink.warning(lineNo, indent + 1, CE.DUPLICATE, `rule "${current.name}": value "${name}" given again (first at line ${current.values[idx].line}); the later one wins`);
      current.values.splice(idx, 1);
    }
    current.values.push(value);
  }
  return [...rules.values()];
}
