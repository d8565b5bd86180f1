// The JSON form of FW_RULE, for rules created by code (FirewallCreateRule):
// an array of objects with the structure's field names, or {"rules": [...]}.
//   {"name": "AllowTCPOutboundPort25",            (the registry key name; optional)
//    "dwFlags": "FWF_ALLOW | FWF_OUTBOUND",        (number, or the constants' names)
//    "dwMask": "FWM_PRIVATE_HOST | FWM_PROTOCOL | FWM_PORT",
//    "PrivateHost": {"Family": "AF_INET", "AddressIPv4": "192.168.0.101"},
//    "Protocol": 6, "PortMin": 25, "PortMax": 25, "wszDescription": "..."}
// Each field becomes the registry value of the same meaning, so validate.ts
// judges both forms alike.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import { parseIpv4, parseIpv6 } from "../../model/addr.ts";
import type { RawData, RawRule, RawValue } from "./raw.ts";
import { CE } from "./codes.ts";
import { FWF, FWM, FWA, AF_INET, AF_INET6, canonicalValueName } from "./constants.ts";
import { encodeFwAddress } from "./address.ts";
import { parseJsonWithPositions, JsonError, type JNode } from "./jsonpos.ts";

const FIELD_TO_VALUE: Record<string, string> = {
  dwFlags: "Flags", dwMask: "Mask", wszDescription: "Description", wHourStart: "HourStart", wHourEnd: "HourEnd",
  wDayOfWeek: "DayOfWeek", wDay: "Day", wMonth: "Month",
};
const IGNORED = new Set(["name", "dwSize", "hRule"]);
const SYMBOLS: Record<string, number> = {
  ...Object.fromEntries(Object.entries(FWF).map(([k, v]) => ["FWF_" + k, v])),
  ...Object.fromEntries(Object.entries(FWM).map(([k, v]) => ["FWM_" + k, v])),
  ...Object.fromEntries(Object.entries(FWA).map(([k, v]) => ["FWA_" + k, v])),
  IP_PROTOCOL_ICMP: 1, IP_PROTOCOL_TCP: 6, IP_PROTOCOL_UDP: 17, IP_PROTOCOL_ICMPV6: 58,
  AF_INET, AF_INET6,
};

/** A JSON number, or "A | B | 0x10" of known constant names and numbers. */
function numberOf(n: JNode): number | string {
  if (n.t === "number") return Number.isInteger(n.value) && n.value >= 0 && n.value <= 0xffffffff ? n.value : `${n.value} is not a whole number in 0..0xffffffff`;
  if (n.t !== "string") return `want a number or constant names, not ${n.t}`;
  let v = 0;
  for (const part of n.value.split("|").map((s) => s.trim())) {
    if (/^(0x[0-9a-f]+|\d+)$/i.test(part)) v |= Number(part);
    else if (part in SYMBOLS) v |= SYMBOLS[part];
    else return `unknown constant "${part}"`;
  }
  return v >>> 0;
}

function hostBytes(n: JNode): number[] | string {
  if (n.t !== "object") return "want an object {\"Family\": \"AF_INET\", \"AddressIPv4\": \"192.0.2.1\"}";
  const get = (k: string) => n.entries.find((e) => e.key === k)?.value;
  const fam = get("Family");
  if (!fam) return `"Family" is missing`;
  const af = numberOf(fam);
  if (typeof af === "string") return `"Family": ${af}`;
  if (af !== AF_INET && af !== AF_INET6) return `"Family" ${af} is neither AF_INET (2) nor AF_INET6 (23)`;
  const unknown = n.entries.find((e) => !["Family", "AddressIPv4", "AddressIPv6"].includes(e.key));
  if (unknown) return `unknown field "${unknown.key}" (want Family, AddressIPv4 or AddressIPv6)`;
  const v4 = get("AddressIPv4"), v6 = get("AddressIPv6");
  if (v4 && v6) return "give AddressIPv4 or AddressIPv6, not both";
  const a = v4 ?? v6;
  if (!a) return encodeFwAddress(af === AF_INET ? 4 : 6, null);
  if (a.t !== "string") return "the address must be a string";
  if ((v4 && af !== AF_INET) || (v6 && af !== AF_INET6)) return `${v4 ? "AddressIPv4" : "AddressIPv6"} with Family ${af}`;
  if (v4) {
    const w = parseIpv4(a.value);
    return w === null ? `bad IPv4 address "${a.value}"` : encodeFwAddress(4, { family: 4, words: [w] });
  }
  const w = parseIpv6(a.value);
  return w === null ? `bad IPv6 address "${a.value}"` : encodeFwAddress(6, { family: 6, words: w });
}

function valueOf(field: string, n: JNode): RawData | string {
  if (field === "PrivateHost" || field === "PublicHost") {
    const b = hostBytes(n);
    return typeof b === "string" ? b : { kind: "hex", bytes: b };
  }
  if (field === "PublicHostMask") {
    const w = n.t === "string" ? parseIpv4(n.value) : null;
    return w === null ? `want a dotted mask such as "255.255.255.0"` : { kind: "hex", bytes: [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255] };
  }
  if (field === "wszDescription" || field === "Description") return n.t === "string" ? { kind: "string", value: n.value } : "want a string";
  // A field FW_RULE does not have keeps its JSON type; the validator warns about it.
  if (!canonicalValueName(FIELD_TO_VALUE[field] ?? field) && n.t === "string") return { kind: "string", value: n.value };
  const v = numberOf(n);
  return typeof v === "string" ? v : { kind: "dword", value: v };
}

export function readFwRuleJson(file: string, text: string, sink: DiagnosticSink): RawRule[] {
  let root: JNode;
  try {
    root = parseJsonWithPositions(text);
  } catch (e) {
    if (!(e instanceof JsonError)) throw e;
    sink.error(e.line, e.col, CE.JSON, `not valid JSON: ${e.message}`);
    return [];
  }
  let list: JNode | undefined = root;
  if (root.t === "object") list = root.entries.find((e) => e.key === "rules")?.value;
  if (!list || list.t !== "array") {
    sink.error(root.line, root.col, CE.JSON, `want an array of FW_RULE objects, or {"rules": [...]}`);
    return [];
  }
  const rules: RawRule[] = [];
  const seen = new Map<string, number>();
  list.items.forEach((item, k) => {
    if (item.t !== "object") {
      sink.error(item.line, item.col, CE.JSON, `rule ${k + 1}: want an FW_RULE object`);
      return;
    }
    const nameNode = item.entries.find((e) => e.key === "name")?.value;
    const name = nameNode?.t === "string" && nameNode.value ? nameNode.value : `Rule${k + 1}`;
    if (nameNode && (nameNode.t !== "string" || !/^[^\\\]]+$/.test(nameNode.value))) {
      sink.error(nameNode.line, nameNode.col, CE.JSON, `rule ${k + 1}: "name" must be a registry key name (no backslash or "]")`);
      return;
    }
    const prev = seen.get(name.toLowerCase());
    if (prev !== undefined) {
      sink.error(item.line, item.col, CE.DUPLICATE, `rule "${name}": the name is used again (first at line ${prev}); each rule needs its own key`);
      return;
    }
    seen.set(name.toLowerCase(), item.line);
    const values: RawValue[] = [];
    for (const e of item.entries) {
      if (IGNORED.has(e.key)) continue;
      const d = valueOf(e.key, e.value);
      if (typeof d === "string") {
        sink.error(e.value.line, e.value.col, CE.BAD_DATA, `rule "${name}", field "${e.key}": ${d}`);
      }
      values.push({ name: FIELD_TO_VALUE[e.key] ?? e.key, data: typeof d === "string" ? { kind: "invalid" } : d, line: e.line, column: e.col });
    }
    rules.push({ name, file, line: item.line, column: item.col, values });
  });
  return rules;
}
