// The regedit form of the Windows CE dialect: every subkey of
// ...\COMM\Firewall\Rules\ is a rule. The text itself is read by the shared
// regedit reader (host/model/regedit.ts); this file gives its keys and
// values their Windows CE meaning and its problems their CE codes.
import type { DiagnosticSink, Severity } from "../../model/diagnostic.ts";
import { parseRegedit, REG, type RegProblem, type RegValue } from "../../model/regedit.ts";
import type { RawData, RawRule } from "./raw.ts";
import { CE } from "./codes.ts";

export const RULES_KEY = "HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules";
const RULE_KEY = /^HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\([^\\]+)$/i;
const FIREWALL_KEY = /^HKEY_LOCAL_MACHINE\\COMM\\Firewall(\\Rules)?$/i;

/** The CE code of each problem the shared reader reports. */
const READER_CODES: Record<number, string> = {
  [REG.VALUE_OUTSIDE_KEY]: CE.VALUE_OUTSIDE_KEY,
  [REG.BAD_KEY]: CE.SYNTAX,
  [REG.BAD_NAME]: CE.SYNTAX,
  [REG.BAD_STRING]: CE.SYNTAX,
  [REG.BAD_DWORD]: CE.BAD_DATA,
  [REG.BAD_HEX]: CE.BAD_DATA,
  [REG.UNKNOWN_TYPE]: CE.SYNTAX,
  [REG.TRAILING_TEXT]: CE.SYNTAX,
  [REG.CONTINUATION_AT_END]: CE.SYNTAX,
  [REG.UNKNOWN_LINE]: CE.SYNTAX,
};

interface Pending { line: number; column: number; severity: Severity; code: string; message: string }

/** A value's data as a rule field; a hex(N) type other than plain hex is reported (CE005) and reads as invalid. */
function rawData(v: RegValue, report: (message: string) => void): RawData {
  switch (v.type) {
    case "dword": return { kind: "dword", value: v.data };
    case "string": return { kind: "string", value: v.data };
    case "hex":
      if (v.kind === null) return { kind: "hex", bytes: v.bytes };
      report(`value type hex(${v.kind.toString(16)}) is not used by firewall rules (use dword:, hex: or "string")`);
      return { kind: "invalid" };
    default: return { kind: "invalid" }; // already reported by the reader
  }
}

export function readRegedit(file: string, text: string, sink: DiagnosticSink): RawRule[] {
  const reg = parseRegedit(text);
  const rules = new Map<string, RawRule>(); // by lower-case name: registry keys are case-insensitive
  // Each rule's values by lower-case name while reading (a Map keeps them in the
  // order written, as the list did; looking each name up in the list was quadratic).
  const valuesOf = new Map<RawRule, Map<string, RawRule["values"][number]>>();
  const found: Pending[] = [];
  // A data problem is told with the rule and value it spoils, at the data's column.
  const where = new Map<RegProblem, { prefix: string; column: number }>();
  const warn = (line: number, column: number, code: string, message: string) => found.push({ line, column, severity: "warning", code, message });

  for (const k of reg.keys) {
    const path = k.path.trim();
    const m = RULE_KEY.exec(path);
    if (!m) {
      if (!FIREWALL_KEY.test(path) || k.delete) {
        warn(k.line, k.column, CE.NOT_A_RULE_KEY, `key [${k.delete ? "-" : ""}${path.length > 120 ? path.slice(0, 120) + "..." : path}] is not a firewall rule (${RULES_KEY}\\NAME); ignored`);
      } else if (!/\\Rules$/i.test(path)) {
        warn(k.line, k.column, CE.NOT_A_RULE_KEY, `firewall settings under [${path}] are not rules; ignored (only ${RULES_KEY}\\NAME subkeys are imported)`);
      }
      continue;
    }
    const id = m[1].toLowerCase();
    if (m[1].length > 255) {
      // The registry's limit; a longer name would also flood every message that names the rule.
      found.push({ line: k.line, column: k.column, severity: "error", code: CE.SYNTAX, message: `a registry key name is at most 255 characters; this one has ${m[1].length}` });
      continue;
    }
    if (k.delete) {
      rules.delete(id); // values after a deleted key belong to nothing
      continue;
    }
    let rule = rules.get(id);
    if (rule) {
      warn(k.line, k.column, CE.DUPLICATE, `rule "${m[1]}": key given again (first at line ${rule.line}); its values are merged, later ones win, as regedit does`);
    } else {
      rule = { name: m[1], file, line: k.line, column: k.column, values: [] };
      rules.set(id, rule);
    }
    let values = valuesOf.get(rule);
    if (!values) valuesOf.set(rule, (values = new Map()));
    for (const e of k.values) {
      const name = e.name === "" ? "@" : e.name;
      const shown = name.length > 40 ? name.slice(0, 40) + "..." : name;
      const prefix = `rule "${rule.name}", value "${shown}": `;
      const id = name.toLowerCase();
      const prev = values.get(id);
      if (e.value.type === "delete") {
        values.delete(id);
        continue;
      }
      if (e.value.type === "invalid") where.set(e.value.problem, { prefix, column: e.dataColumn });
      const data = rawData(e.value, (message) => found.push({ line: e.line, column: e.dataColumn, severity: "error", code: CE.WRONG_TYPE, message: prefix + message }));
      if (prev) {
        warn(e.line, e.column, CE.DUPLICATE, `rule "${rule.name}": value "${shown}" given again (first at line ${prev.line}); the later one wins`);
        values.delete(id); // the later one takes the later place, as before
      }
      values.set(id, { name, data, line: e.line, column: e.column });
    }
  }

  const problems: Pending[] = reg.problems.map((p) => {
    const w = where.get(p);
    return { line: p.line, column: w ? w.column : p.column, severity: "error", code: READER_CODES[p.id], message: (w ? w.prefix : "") + p.message };
  });
  // In line order, as one pass over the text would tell them; on one line the reader's problem first.
  for (const d of [...problems, ...found].sort((a, b) => a.line - b.line)) {
    if (d.severity === "error") sink.error(d.line, d.column, d.code, d.message);
    else sink.warning(d.line, d.column, d.code, d.message);
  }
  for (const [rule, values] of valuesOf) rule.values = [...values.values()];
  return [...rules.values()];
}
