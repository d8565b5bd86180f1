// The text form of an InstaGate rule table, in the seed's own wording:
//
//   1) Accept Rule
//   Action Accept
//   Interface LAN
//   Source Match - Include
//   Source Address or Network - Network - 192.168.0.25 - Subnet 255.255.255.255
//   Destination Match - Include
//   Destination Address or Network - Object - ANY
//   Services - Selected - SMTP
//
// plus `Object NAME - ...` and `Service NAME - ...` definitions and `#`
// comments. Parts of a line are separated by " - " (a dash with spaces), so
// port ranges (27000-27015) and names keep their own dashes.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import type { AddrField, AddrRef, NameRef, ObjectDef, Pos, RuleBlock, ServiceDef, ServiceProto, Table, ZoneName } from "./ast.ts";
import { emptyTable, MAX_RULE_NUMBER } from "./ast.ts";
import { quoted } from "../../model/excerpt.ts";

interface Part {
  text: string;
  col: number; // 1-based column in the line
}

/**
 * Split on " - " (a dash with whitespace on both sides), keeping each part's
 * column. A hand-written scan, not /\s+-\s+/: that regex backtracks over a
 * long run of blanks without a dash (quadratic in the run's length).
 */
function splitParts(text: string, col: number): Part[] {
  const out: Part[] = [];
  const blank = (c: string | undefined) => c === " " || c === "\t" || c === "\r" || c === "\n" || c === "\f" || c === "\v";
  let start = 0;
  for (let j = text.indexOf("-", 1); j >= 0 && j < text.length - 1; j = text.indexOf("-", j + 1)) {
    if (!blank(text[j - 1]) || !blank(text[j + 1])) continue;
    let from = j - 1;
    while (from > start && blank(text[from - 1])) from--;
    if (from < start || !blank(text[from])) continue;
    let to = j + 1;
    while (to < text.length && blank(text[to])) to++;
    out.push({ text: text.slice(start, from), col: col + start });
    start = to;
    j = to - 1;
  }
  out.push({ text: text.slice(start), col: col + start });
  return out.map((p) => {
    const lead = p.text.length - p.text.trimStart().length;
    return { text: p.text.trim(), col: p.col + lead };
  });
}

/** Split a comma list, keeping each item's column. */
function splitList(p: Part): Part[] {
  const out: Part[] = [];
  let off = 0;
  for (const raw of p.text.split(",")) {
    const lead = raw.length - raw.trimStart().length;
    out.push({ text: raw.trim(), col: p.col + off + lead });
    off += raw.length + 1;
  }
  return out;
}

/** The items of a comma list, or null (reported as `code`) when one is empty. */
function nonEmptyList(p: Part, lineNo: number, code: string, what: string, sink: DiagnosticSink): Part[] | null {
  const items = splitList(p);
  const empty = items.find((i) => i.text === "");
  if (!empty) return items;
  sink.error(lineNo, empty.col, code, `empty ${what} in the list`);
  return null;
}

/** A number 0..255 (an IP protocol, an ICMP type), or null (reported as `code`). */
function byteNumber(p: Part, lineNo: number, code: string, what: string, sink: DiagnosticSink): number | null {
  const n = /^\d{1,3}$/.test(p.text) ? Number(p.text) : -1;
  if (n >= 0 && n <= 255) return n;
  sink.error(lineNo, p.col, code, `${what} is a number 0..255, not ${quoted(p.text)}`);
  return null;
}

interface DefinitionHead { parts: Part[]; pos: Pos; name: string; kind: string }

/** `KEYWORD NAME - KIND - ...` (an Object or Service definition): its parts, or null (reported as `code` with `usage`) when too short. */
function definitionHead(
  keyword: RegExp, file: string, line: string, lineNo: number, col: number, minParts: number, code: string, usage: string, sink: DiagnosticSink,
): DefinitionHead | null {
  const m = keyword.exec(line);
  // "Service" alone, or "Service-X": the keyword without the blank that must follow it.
  if (!m) {
    sink.error(lineNo, col, code, usage);
    return null;
  }
  const parts = splitParts(line.slice(m[0].length), col + m[0].length);
  if (parts.length < minParts || !parts[0].text) {
    sink.error(lineNo, col, code, usage);
    return null;
  }
  return { parts, pos: { file, line: lineNo, column: parts[0].col }, name: parts[0].text, kind: parts[1].text.toLowerCase() };
}

type FieldKey = "action" | "interface" | "srcMatch" | "srcAddr" | "dstMatch" | "dstAddr" | "services";

// Longest names first, so "Source Match" is not read as a prefix of something else.
const FIELDS: [RegExp, FieldKey, string][] = [
  [/^(source\s+address\s+or\s+network|source\s+network\s+or\s+address)\b/i, "srcAddr", "Source Address or Network"],
  [/^(destination\s+address\s+or\s+network|destination\s+network\s+or\s+address)\b/i, "dstAddr", "Destination Address or Network"],
  [/^(source\s+match)\b/i, "srcMatch", "Source Match"],
  [/^(destination\s+match)\b/i, "dstMatch", "Destination Match"],
  [/^(action)\b/i, "action", "Action"],
  [/^(interface)\b/i, "interface", "Interface"],
  [/^(services)\b/i, "services", "Services"],
];

// In the order the web interface shows them (and messages list them).
export const FIELD_NAMES: Record<FieldKey, string> = {
  action: "Action", interface: "Interface", srcMatch: "Source Match", srcAddr: "Source Address or Network",
  dstMatch: "Destination Match", dstAddr: "Destination Address or Network", services: "Services",
};

interface OpenBlock {
  number: number;
  title: string;
  pos: Pos;
  lines: string[];
  fields: Partial<Record<FieldKey, { value: Part; line: number }>>;
  bad: boolean; // a field of this block was malformed (already reported)
}

export { looksLikeText } from "./detect.ts";

export function parseText(file: string, text: string, sink: DiagnosticSink, table: Table = emptyTable()): Table {
  const lines = text.split(/\r?\n/);
  let block: OpenBlock | null = null;
  let lastNumber = 0;

  const close = () => {
    if (!block) return;
    const b = block;
    block = null;
    const missing = (Object.keys(FIELD_NAMES) as FieldKey[]).filter((k) => !b.fields[k]);
    if (missing.length) {
      sink.error(b.pos.line, b.pos.column, "IG004", `rule ${b.number} is missing ${missing.map((k) => `"${FIELD_NAMES[k]}"`).join(", ")}`);
    }
    // Check the fields it has even when incomplete, so one pass reports every mistake.
    const rule = buildRule(file, b, sink);
    if (rule && !missing.length && !b.bad) table.rules.push(rule);
  };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const lead = raw.length - raw.trimStart().length;
    const line = raw.trim();
    const col = lead + 1;
    if (line === "" || line.startsWith("#")) return;
    const header = /^(\d+)\)\s*(.*)$/.exec(line);
    if (header) {
      close();
      // Range-checked as written: 99999999999999999999999 is refused, not read as 1e+23.
      const number = header[1].length <= 7 ? Number(header[1]) : Infinity;
      if (number < 1 || number > MAX_RULE_NUMBER) {
        sink.error(lineNo, col, "IG014", `rule number ${header[1].length > 20 ? header[1].slice(0, 20) + "..." : header[1]} is not in 1..${MAX_RULE_NUMBER}`);
        block = { number: lastNumber + 1, title: header[2].trim(), pos: { file, line: lineNo, column: col }, lines: [line], fields: {}, bad: true };
        return;
      }
      if (number <= lastNumber) {
        sink.error(lineNo, col, "IG013", `rule ${number} comes after rule ${lastNumber}: number the rules in the order they are evaluated (top to bottom)`);
      }
      lastNumber = Math.max(lastNumber, number);
      block = { number, title: header[2].trim(), pos: { file, line: lineNo, column: col }, lines: [line], fields: {}, bad: false };
      return;
    }
    for (const [re, key, name] of FIELDS) {
      const m = re.exec(line);
      if (!m) continue;
      const rest = line.slice(m[0].length);
      const sep = /^\s*[-:]?\s*/.exec(rest)![0];
      const value = rest.slice(sep.length);
      if (!block) {
        sink.error(lineNo, col, "IG002", `"${name}" outside a rule: start each rule with a numbered line such as "1) Accept Rule"`);
        return;
      }
      const b: OpenBlock = block;
      b.lines.push(line);
      if (b.fields[key]) {
        sink.error(lineNo, col, "IG003", `rule ${b.number} has "${name}" twice (first on line ${b.fields[key]!.line})`);
        b.bad = true;
        return;
      }
      if (value === "" || (sep === "" && rest !== "")) {
        sink.error(lineNo, col, "IG005", `"${name}" needs a value`);
        b.bad = true;
        return;
      }
      b.fields[key] = { value: { text: value, col: col + m[0].length + sep.length }, line: lineNo };
      return;
    }
    if (/^object\b/i.test(line)) {
      const d = parseObjectDef(file, line, lineNo, col, sink);
      if (d) table.objects.push(d);
      return;
    }
    if (/^service\b/i.test(line)) {
      const d = parseServiceDef(file, line, lineNo, col, sink);
      if (d) table.services.push(d);
      return;
    }
    if (/anti-?virus|smtp\s+scanning/i.test(line)) {
      table.antivirus.push({ pos: { file, line: lineNo, column: col }, text: line });
      return;
    }
    sink.error(lineNo, col, "IG001", `cannot read this line: expected a numbered rule ("1) Accept Rule"), one of its fields (${Object.values(FIELD_NAMES).join(", ")}), an "Object" or "Service" definition, or a # comment`);
  });
  close();
  return table;
}

/** The block's fields checked and converted; missing fields give null without a report (the caller reports them). */
function buildRule(file: string, b: OpenBlock, sink: DiagnosticSink): RuleBlock | null {
  const f = b.fields;
  let ok = true;
  const fail = (k: FieldKey, code: string, msg: string) => {
    sink.error(f[k]!.line, f[k]!.value.col, code, msg);
    ok = false;
  };

  const actionText = f.action?.value.text;
  const action = actionText === undefined ? null : /^accept$/i.test(actionText) ? "accept" : /^deny$/i.test(actionText) ? "deny" : null;
  if (actionText !== undefined && !action) fail("action", "IG006", `Action is "Accept" or "Deny", not ${quoted(actionText)}`);

  const zoneText = f.interface?.value.text;
  const zone = (["LAN", "WAN", "DMZ"] as ZoneName[]).find((z) => z === zoneText?.toUpperCase()) ?? null;
  if (zoneText !== undefined && !zone) fail("interface", "IG007", `Interface is LAN, WAN or DMZ, not ${quoted(zoneText)}`);

  const match = (k: FieldKey) => {
    const t = f[k]?.value.text;
    if (t === undefined) return null;
    if (/^include$/i.test(t)) return "include" as const;
    if (/^exclude$/i.test(t)) return "exclude" as const;
    fail(k, "IG008", `${FIELD_NAMES[k]} is "Include" or "Exclude", not ${quoted(t)}`);
    return null;
  };
  const srcMatch = match("srcMatch");
  const dstMatch = match("dstMatch");
  const srcRef = f.srcAddr ? parseAddrRef(file, f.srcAddr.line, f.srcAddr.value, sink) : null;
  const dstRef = f.dstAddr ? parseAddrRef(file, f.dstAddr.line, f.dstAddr.value, sink) : null;
  const services = f.services ? parseServices(file, f.services.line, f.services.value, sink) : null;
  if (!ok || !action || !zone || !srcMatch || !dstMatch || !srcRef || !dstRef || !services) return null;
  const src: AddrField = { match: srcMatch, ref: srcRef };
  const dst: AddrField = { match: dstMatch, ref: dstRef };
  return { number: b.number, title: b.title, pos: b.pos, lines: b.lines, action, zone, src, dst, services };
}

export function parseAddrRef(file: string, line: number, value: Part, sink: DiagnosticSink): AddrRef | null {
  const parts = splitParts(value.text, value.col);
  const kind = parts[0].text.toLowerCase();
  const pos = (p: Part): Pos => ({ file, line, column: p.col });
  if (kind === "object" && parts.length === 2 && parts[1].text) {
    return { kind: "object", name: parts[1].text, pos: pos(parts[1]) };
  }
  if (kind === "network" && (parts.length === 2 || parts.length === 3) && parts[1].text) {
    let mask: string | null = null;
    if (parts.length === 3) {
      const m = /^subnet\s+(\S+)$/i.exec(parts[2].text);
      if (!m) {
        sink.error(line, parts[2].col, "IG009", `expected "Subnet MASK" (e.g. "Subnet 255.255.255.0"), got ${quoted(parts[2].text)}`);
        return null;
      }
      mask = m[1];
    }
    return { kind: "network", address: parts[1].text, mask, pos: pos(parts[1]) };
  }
  sink.error(line, value.col, "IG009", `expected "Network - ADDRESS - Subnet MASK" or "Object - NAME", got ${quoted(value.text)}`);
  return null;
}

function parseServices(file: string, line: number, value: Part, sink: DiagnosticSink): NameRef[] | "any" | null {
  const parts = splitParts(value.text, value.col);
  const kind = parts[0].text.toLowerCase();
  if (kind === "any" && parts.length === 1) return "any";
  if (kind === "selected" && parts.length === 2) {
    const items = nonEmptyList(parts[1], line, "IG010", "service name", sink);
    if (!items) return null;
    return items.map((p) => ({ name: p.text, pos: { file, line, column: p.col } }));
  }
  sink.error(line, value.col, "IG010", `expected "Services - Any" or "Services - Selected - NAME, NAME...", got ${quoted(value.text)}`);
  return null;
}

/** `Object NAME - Address - IP`, `Object NAME - Network - IP - Subnet MASK` (or IP/LEN), `Object NAME - List - A, B`. */
function parseObjectDef(file: string, line: string, lineNo: number, col: number, sink: DiagnosticSink): ObjectDef | null {
  const usage = `expected "Object NAME - Address - IP", "Object NAME - Network - IP - Subnet MASK" or "Object NAME - List - MEMBER, MEMBER..."`;
  const head = definitionHead(/^object\s+(?:-\s+)?/i, file, line, lineNo, col, 3, "IG020", usage, sink);
  if (!head) return null;
  const { parts, pos, name, kind } = head;
  if (kind === "address" && parts.length === 3) return { name, pos, value: { kind: "address", address: parts[2].text } };
  if (kind === "network" && (parts.length === 3 || parts.length === 4)) {
    let mask: string | null = null;
    if (parts.length === 4) {
      const s = /^subnet\s+(\S+)$/i.exec(parts[3].text);
      if (!s) {
        sink.error(lineNo, parts[3].col, "IG009", `expected "Subnet MASK", got ${quoted(parts[3].text)}`);
        return null;
      }
      mask = s[1];
    }
    return { name, pos, value: { kind: "network", address: parts[2].text, mask } };
  }
  if (kind === "list" && parts.length === 3) {
    const members = nonEmptyList(parts[2], lineNo, "IG020", "member", sink);
    if (!members) return null;
    return { name, pos, value: { kind: "list", members: members.map((p) => ({ text: p.text, pos: { file, line: lineNo, column: p.col } })) } };
  }
  sink.error(lineNo, parts[1].col, "IG020", usage);
  return null;
}

/** Ports: "25", "25, 587", "27000-27015". */
export function parsePorts(text: string): [number, number][] | string {
  const out: [number, number][] = [];
  for (const raw of text.split(",")) {
    const t = raw.trim();
    const m = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(t);
    if (!m) return `bad port ${quoted(t)} (a number 1..65535 or a range such as 27000-27015)`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (lo < 1 || hi > 65535 || lo > hi) return `bad port range ${quoted(t)} (ports are 1..65535, low to high)`;
    out.push([lo, hi]);
  }
  return out;
}

/** Protocol words of a service definition; a number 0..255 is an IP protocol. */
export function parseServiceProto(text: string): ServiceProto | null {
  const t = text.toLowerCase().replace(/\s+/g, "");
  if (t === "tcp" || t === "udp" || t === "icmp") return t;
  if (t === "tcp/udp" || t === "udp/tcp" || t === "both") return "tcp/udp";
  return null;
}

/** `Service NAME - TCP|UDP|TCP/UDP - PORTS`, `Service NAME - ICMP [- TYPE]`, `Service NAME - Protocol - NUMBER`. */
function parseServiceDef(file: string, line: string, lineNo: number, col: number, sink: DiagnosticSink): ServiceDef | null {
  const usage = `expected "Service NAME - TCP|UDP|TCP/UDP - PORTS", "Service NAME - ICMP [- TYPE]" or "Service NAME - Protocol - NUMBER"`;
  const head = definitionHead(/^service\s+(?:-\s+)?/i, file, line, lineNo, col, 2, "IG021", usage, sink);
  if (!head) return null;
  const { parts, pos, name, kind } = head;
  if (kind === "protocol" && parts.length === 3) {
    const n = byteNumber(parts[2], lineNo, "IG021", "protocol", sink);
    if (n === null) return null;
    return { name, pos, proto: n, ports: null, icmpType: null };
  }
  const proto = parseServiceProto(parts[1].text);
  if (proto === "icmp" && parts.length <= 3) {
    let type: number | null = null;
    if (parts.length === 3) {
      type = byteNumber(parts[2], lineNo, "IG021", "ICMP type", sink);
      if (type === null) return null;
    }
    return { name, pos, proto, ports: null, icmpType: type };
  }
  if (proto !== null && proto !== "icmp" && parts.length === 3) {
    const ports = parsePorts(parts[2].text);
    if (typeof ports === "string") {
      sink.error(lineNo, parts[2].col, "IG021", ports);
      return null;
    }
    return { name, pos, proto, ports, icmpType: null };
  }
  sink.error(lineNo, parts[1].col, "IG021", usage);
  return null;
}
