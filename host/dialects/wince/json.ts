// The JSON form of FW_RULE, for rules created by code (FirewallCreateRule):
// an array of objects with the structure's field names, or {"rules": [...]}.
//   {"name": "AllowTCPOutboundPort25",            (the registry key name; optional)
//    "dwFlags": "FWF_ALLOW | FWF_OUTBOUND",        (number, or the constants' names)
//    "dwMask": "FWM_PRIVATE_HOST | FWM_PROTOCOL | FWM_PORT",
//    "PrivateHost": {"Family": "AF_INET", "AddressIPv4": "192.168.0.101"},
//    "Protocol": 6, "PortMin": 25, "PortMax": 25, "wszDescription": "..."}
// Each field becomes the registry value of the same meaning, so validate.ts
// judges both forms alike. The text is read by the shared JSON reader
// (host/model/jsonpos.ts); a key given twice, or two fields naming one
// registry value ("dwFlags" and "Flags"), is an error: the JSON form has no
// "later one wins" as regedit has.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import { parseIpv4, parseIpv6 } from "../../model/addr.ts";
import type { RawData, RawRule, RawValue } from "./raw.ts";
import { CE } from "./codes.ts";
import { FWF, FWM, FWA, AF_INET, AF_INET6, canonicalValueName } from "./constants.ts";
import { encodeFwAddress } from "./address.ts";
import { parseJson, kindOf, type JValue } from "../../model/jsonpos.ts";
import { quoted } from "../../model/excerpt.ts";

// Maps, never plain objects: field names and constants are user text ("toString", "__proto__").
const FIELD_TO_VALUE = new Map<string, string>([
  ["dwFlags", "Flags"], ["dwMask", "Mask"], ["wszDescription", "Description"], ["wHourStart", "HourStart"], ["wHourEnd", "HourEnd"],
  ["wDayOfWeek", "DayOfWeek"], ["wDay", "Day"], ["wMonth", "Month"],
]);
const IGNORED = new Set(["name", "dwSize", "hRule"]);
const SYMBOLS = new Map<string, number>([
  ...Object.entries(FWF).map(([k, v]) => ["FWF_" + k, v] as [string, number]),
  ...Object.entries(FWM).map(([k, v]) => ["FWM_" + k, v] as [string, number]),
  ...Object.entries(FWA).map(([k, v]) => ["FWA_" + k, v] as [string, number]),
  ["IP_PROTOCOL_ICMP", 1], ["IP_PROTOCOL_TCP", 6], ["IP_PROTOCOL_UDP", 17], ["IP_PROTOCOL_ICMPV6", 58],
  ["AF_INET", AF_INET], ["AF_INET6", AF_INET6],
]);
const DWORD_MAX = 0xffffffff;

/** The registry value a JSON field stands for. */
const valueName = (field: string): string => FIELD_TO_VALUE.get(field) ?? field;

/**
 * A JSON number, or "A | B | 0x10" of known constant names and numbers. Every
 * number must fit a DWORD as written: nothing is truncated (0x100000019 is
 * refused, not read as 25).
 */
function numberOf(n: JValue): number | string {
  if (n.type === "number") return Number.isSafeInteger(n.value) && n.value >= 0 && n.value <= DWORD_MAX ? n.value : `${quoted(n.text)} is not a whole number in 0..0xffffffff`;
  if (n.type !== "string") return `want a number or constant names, not ${kindOf(n)}`;
  let v = 0;
  for (const part of n.value.split("|").map((s) => s.trim())) {
    let x: number | undefined;
    if (/^0x[0-9a-f]{1,8}$/i.test(part)) x = parseInt(part.slice(2), 16);
    else if (/^[0-9]{1,10}$/.test(part)) x = Number(part);
    else if (/^(0x[0-9a-f]+|[0-9]+)$/i.test(part)) return `${quoted(part)} does not fit a DWORD (0..0xffffffff)`;
    else x = SYMBOLS.get(part);
    if (x === undefined) return `unknown constant ${quoted(part)}`;
    if (x > DWORD_MAX) return `${quoted(part)} does not fit a DWORD (0..0xffffffff)`;
    v = (v | x) >>> 0;
  }
  return v;
}

function hostBytes(n: JValue): number[] | string {
  if (n.type !== "object") return "want an object {\"Family\": \"AF_INET\", \"AddressIPv4\": \"192.0.2.1\"}";
  const get = (k: string) => n.byKey.get(k)?.value;
  const fam = get("Family");
  if (!fam) return `"Family" is missing`;
  const af = numberOf(fam);
  if (typeof af === "string") return `"Family": ${af}`;
  if (af !== AF_INET && af !== AF_INET6) return `"Family" ${af} is neither AF_INET (2) nor AF_INET6 (23)`;
  const unknown = n.entries.find((e) => !["Family", "AddressIPv4", "AddressIPv6"].includes(e.key));
  if (unknown) return `unknown field ${quoted(unknown.key)} (want Family, AddressIPv4 or AddressIPv6)`;
  const v4 = get("AddressIPv4"), v6 = get("AddressIPv6");
  if (v4 && v6) return "give AddressIPv4 or AddressIPv6, not both";
  const a = v4 ?? v6;
  if (!a) return encodeFwAddress(af === AF_INET ? 4 : 6, null);
  if (a.type !== "string") return "the address must be a string";
  if ((v4 && af !== AF_INET) || (v6 && af !== AF_INET6)) return `${v4 ? "AddressIPv4" : "AddressIPv6"} with Family ${af}`;
  if (v4) {
    const w = parseIpv4(a.value);
    return w === null ? `bad IPv4 address ${quoted(a.value)}` : encodeFwAddress(4, { family: 4, words: [w] });
  }
  const w = parseIpv6(a.value);
  return w === null ? `bad IPv6 address ${quoted(a.value)}` : encodeFwAddress(6, { family: 6, words: w });
}

function valueOf(field: string, n: JValue): RawData | string {
  if (field === "PrivateHost" || field === "PublicHost") {
    const b = hostBytes(n);
    return typeof b === "string" ? b : { kind: "hex", bytes: b };
  }
  if (field === "PublicHostMask") {
    const w = n.type === "string" ? parseIpv4(n.value) : null;
    return w === null ? `want a dotted mask such as "255.255.255.0"` : { kind: "hex", bytes: [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255] };
  }
  if (field === "wszDescription" || field === "Description") return n.type === "string" ? { kind: "string", value: n.value } : "want a string";
  const v = numberOf(n);
  return typeof v === "string" ? v : { kind: "dword", value: v };
}

export function readFwRuleJson(file: string, text: string, sink: DiagnosticSink): RawRule[] {
  const parsed = parseJson(text);
  for (const p of parsed.problems) {
    if (p.kind === "duplicate") sink.error(p.pos.line, p.pos.column, CE.JSON_DUPLICATE, p.message);
    else sink.error(p.pos.line, p.pos.column, CE.JSON, `not valid JSON: ${p.message}`);
  }
  const root = parsed.value;
  if (!root) return [];
  let list: JValue | undefined = root;
  if (root.type === "object") {
    list = root.byKey.get("rules")?.value;
    for (const e of root.entries) if (e.key !== "rules") sink.error(e.keyPos.line, e.keyPos.column, CE.JSON, `unknown key ${quoted(e.key)} at the top (want {"rules": [...]})`);
  }
  if (!list || list.type !== "array") {
    sink.error(root.pos.line, root.pos.column, CE.JSON, `want an array of FW_RULE objects, or {"rules": [...]}`);
    return [];
  }
  const rules: RawRule[] = [];
  const seen = new Map<string, number>();
  list.items.forEach((item, k) => {
    const at = item.pos;
    if (item.type !== "object") {
      sink.error(at.line, at.column, CE.JSON, `rule ${k + 1}: want an FW_RULE object, not ${kindOf(item)}`);
      return;
    }
    const nameNode = item.byKey.get("name")?.value;
    const name = nameNode?.type === "string" && nameNode.value ? nameNode.value : `Rule${k + 1}`;
    // A registry key name: at most 255 characters, no backslash; "]" would end the [key] line of the export.
    if (nameNode && (nameNode.type !== "string" || !/^[^\\\]\u0000-\u001f\u007f]{1,255}$/.test(nameNode.value))) {
      sink.error(nameNode.pos.line, nameNode.pos.column, CE.JSON, `rule ${k + 1}: "name" must be a registry key name (1 to 255 characters, no backslash, "]" or control character)`);
      return;
    }
    const prev = seen.get(name.toLowerCase());
    if (prev !== undefined) {
      sink.error(at.line, at.column, CE.DUPLICATE, `rule ${quoted(name)}: the name is used again (first at line ${prev}); each rule needs its own key`);
      return;
    }
    seen.set(name.toLowerCase(), at.line);
    const values: RawValue[] = [];
    // Two fields for one registry value (dwFlags and Flags, or flags): which would count is a guess, so neither does.
    const fieldOf = new Map<string, { key: string; line: number; column: number }>();
    for (const e of item.entries) {
      if (IGNORED.has(e.key)) continue;
      // A JSON rule is code's FW_RULE: a field it does not have is a mistake
      // (the registry form only warns, CE024: a registry key may hold anything).
      if (!canonicalValueName(valueName(e.key))) {
        sink.error(e.keyPos.line, e.keyPos.column, CE.JSON, `rule ${quoted(name)}: FW_RULE has no field ${quoted(e.key)} (fields: dwFlags, dwMask, PrivateHost, PublicHost, PublicHostMask, PublicHostPrefixLength, Protocol, PortMin, PortMax, Port, Type, Code, Action, wHourStart, wHourEnd, wDayOfWeek, wDay, wMonth, wszDescription, name)`);
        continue;
      }
      const target = (canonicalValueName(valueName(e.key)) ?? valueName(e.key)).toLowerCase();
      const first = fieldOf.get(target);
      if (first && first.key !== e.key) {
        sink.error(e.keyPos.line, e.keyPos.column, CE.JSON_DUPLICATE, `rule ${quoted(name)}: ${quoted(e.key)} and ${quoted(first.key)} (line ${first.line}, column ${first.column}) are the same registry value; give it once`);
        continue;
      }
      if (first) continue; // the same key twice: reported by the reader
      fieldOf.set(target, { key: e.key, line: e.keyPos.line, column: e.keyPos.column });
      const d = valueOf(e.key, e.value);
      if (typeof d === "string") {
        sink.error(e.value.pos.line, e.value.pos.column, CE.BAD_DATA, `rule ${quoted(name)}, field ${quoted(e.key)}: ${d}`);
      }
      values.push({ name: valueName(e.key), data: typeof d === "string" ? { kind: "invalid" } : d, line: e.keyPos.line, column: e.keyPos.column });
    }
    rules.push({ name, file, line: at.line, column: at.column, values });
  });
  return rules;
}
