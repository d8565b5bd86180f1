// One port exception definition string, PORT:TRANSPORT:SCOPE:STATUS:NAME
// (seed 001, dialects.md section 3). Windows stores any string unchecked;
// here every flaw is reported with its offset in the string, so the caller
// can give it a line and column, and a flawed string yields no entry.
import { type Prefix, parseIpv4, parseIpv6, makePrefix, netmaskLength, isNetworkAddress, formatPrefix } from "../../model/addr.ts";
import type { Severity } from "../../model/diagnostic.ts";
import { excerpt } from "../../model/excerpt.ts";

export type ScopeItem =
  | { kind: "any"; offset: number }
  | { kind: "localsubnet"; offset: number }
  | { kind: "prefix"; prefix: Prefix; offset: number; text: string };

export interface Definition {
  port: number;
  transport: "TCP" | "UDP";
  scope: ScopeItem[]; // a single "any", or one or more addresses, subnets and localsubnet
  status: "enabled" | "disabled";
  name: string;
}

export interface DefinitionProblem {
  offset: number; // 0-based, in the definition string
  severity: Severity;
  code: string;
  message: string;
}

export const DEFINITION_SYNTAX = "PORT:TRANSPORT:SCOPE:STATUS:NAME";

/** `items` of a comma list, each trimmed, with the offset of its first character. */
function splitList(text: string, base: number): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let start = 0;
  for (const part of text.split(",")) {
    const lead = part.length - part.trimStart().length;
    out.push({ text: part.trim(), offset: base + start + (part.trim() === "" ? 0 : lead) });
    start += part.length + 1;
  }
  return out;
}

function parseScopeItem(item: string, offset: number, problems: DefinitionProblem[]): ScopeItem | null {
  const err = (code: string, message: string) => { problems.push({ offset, severity: "error", code, message }); return null; };
  if (item === "") return err("WF005", "empty scope item (a stray comma?)");
  if (item === "*") return { kind: "any", offset };
  if (item.toLowerCase() === "localsubnet") return { kind: "localsubnet", offset };
  const slash = item.indexOf("/");
  const addrText = slash < 0 ? item : item.slice(0, slash);
  if (parseIpv6(addrText) !== null) {
    return err("WF006", `IPv6 address "${excerpt(item)}" in the scope: Windows Firewall accepts IPv6 sources only as * or localsubnet`);
  }
  const addr = parseIpv4(addrText);
  if (addr === null) return err("WF005", `bad scope item "${excerpt(item)}" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *)`);
  let len = 32;
  if (slash >= 0) {
    const mask = item.slice(slash + 1);
    if (/^\d{1,2}$/.test(mask) && Number(mask) <= 32) len = Number(mask);
    else if (mask.includes(".")) {
      const l = netmaskLength(mask);
      if (l === null) return err("WF005", `bad subnet mask "${excerpt(mask)}" in "${excerpt(item)}" (a dotted mask must be contiguous ones, like 255.255.255.0)`);
      len = l;
    } else return err("WF005", `bad prefix length "${excerpt(mask)}" in "${excerpt(item)}" (0 to 32, or a dotted mask)`);
  }
  const address = { family: 4 as const, words: [addr] };
  const prefix = makePrefix(address, len);
  if (!isNetworkAddress(address, len)) {
    problems.push({ offset, severity: "warning", code: "WF012", message: `"${excerpt(item)}" has host bits set; it means the subnet ${formatPrefix(prefix)}` });
  }
  return { kind: "prefix", prefix, offset, text: item };
}

export function parseDefinition(text: string): { definition: Definition | null; problems: DefinitionProblem[] } {
  const problems: DefinitionProblem[] = [];
  const err = (offset: number, code: string, message: string) => problems.push({ offset, severity: "error", code, message });
  const fieldCount = () => text.split(":").length;
  const c1 = text.indexOf(":");
  const c2 = c1 < 0 ? -1 : text.indexOf(":", c1 + 1);
  if (c2 < 0) {
    err(0, "WF001", `expected ${DEFINITION_SYNTAX} (5 fields), found ${fieldCount()}`);
    return { definition: null, problems };
  }
  // SCOPE may itself hold colons (an IPv6 address someone tried) and NAME may
  // too, so STATUS is found as the first ":enabled" or ":disabled" field.
  const statusRe = /:[ \t]*(enabled|disabled)[ \t]*(:|$)/gi;
  statusRe.lastIndex = c2 + 1;
  const m = statusRe.exec(text);
  let scopeText: string, statusText: string, statusOffset: number, name: string;
  if (m) {
    scopeText = text.slice(c2 + 1, m.index);
    statusText = m[1];
    statusOffset = m.index + m[0].indexOf(m[1]);
    if (m[2] !== ":") {
      err(text.length, "WF001", `expected ${DEFINITION_SYNTAX} (5 fields), found 4: the NAME is missing`);
      return { definition: null, problems };
    }
    name = text.slice(m.index + m[0].length);
  } else {
    const fields = text.split(":");
    if (fields.length < 5) {
      err(0, "WF001", `expected ${DEFINITION_SYNTAX} (5 fields), found ${fields.length}`);
      return { definition: null, problems };
    }
    const c3 = text.indexOf(":", c2 + 1);
    const c4 = text.indexOf(":", c3 + 1);
    scopeText = text.slice(c2 + 1, c3);
    statusText = text.slice(c3 + 1, c4).trim();
    statusOffset = c3 + 1 + (text.slice(c3 + 1, c4).length - text.slice(c3 + 1, c4).trimStart().length);
    name = text.slice(c4 + 1);
    err(statusOffset, "WF008", `unknown status "${excerpt(statusText)}" (enabled or disabled)`);
  }

  const portRaw = text.slice(0, c1);
  const portText = portRaw.trim();
  const portOffset = portRaw.length - portRaw.trimStart().length;
  let port = 0;
  if (!/^\d+$/.test(portText)) err(portOffset, "WF002", `port "${excerpt(portText)}" is not a decimal number`);
  else {
    port = Number(portText);
    if (port < 1 || port > 65535) err(portOffset, "WF003", `port ${excerpt(portText)} is out of range (1 to 65535)`);
  }

  const trRaw = text.slice(c1 + 1, c2);
  const transport = trRaw.trim().toUpperCase();
  if (transport !== "TCP" && transport !== "UDP") {
    err(c1 + 1 + (trRaw.length - trRaw.trimStart().length), "WF004", `unknown transport "${excerpt(trRaw.trim())}" (TCP or UDP)`);
  }

  const scope: ScopeItem[] = [];
  if (scopeText.trim() === "") err(c2 + 1, "WF007", "empty scope (use * for all networks)");
  else {
    const items = splitList(scopeText, c2 + 1);
    for (const it of items) {
      const s = parseScopeItem(it.text, it.offset, problems);
      if (s) scope.push(s);
    }
    const star = items.find((it) => it.text === "*");
    if (star && items.length > 1) err(star.offset, "WF007", "* stands for all networks and must be the whole scope");
  }

  problems.sort((a, b) => a.offset - b.offset);
  if (problems.some((p) => p.severity === "error")) return { definition: null, problems };
  return {
    definition: {
      port, transport: transport as "TCP" | "UDP", scope,
      status: statusText.toLowerCase() as "enabled" | "disabled", name,
    },
    problems,
  };
}
