// Prints rules back as regedit text: the canonical form `show` prints and
// `exportReg` returns, which the importer reads back to the same rules.
import { formatAddress, formatIpv4, maskWord } from "../../model/addr.ts";
import type { Policy } from "../../model/rule.ts";
import type { CeRule } from "./model.ts";
import { FWF, FWM, FWA, bitNames, PROTOCOL_NAMES } from "./constants.ts";
import { encodeFwAddress, hexBytes } from "./address.ts";
import { RULES_KEY } from "./regedit.ts";

export function ruleFlags(r: CeRule): number {
  const act = r.action === "block" ? FWF.BLOCK : r.action === "allow" ? FWF.ALLOW : FWF.LOG;
  return act | (r.direction === "inbound" ? FWF.INBOUND : FWF.OUTBOUND) | (r.disabled ? FWF.DISABLED : 0);
}

export function ruleMask(r: CeRule): number {
  let m = 0;
  if (r.privateHost) m |= FWM.PRIVATE_HOST;
  if (r.publicHost) m |= FWM.PUBLIC_HOST;
  if (r.ports) m |= FWM.PORT;
  if (r.icmpType !== null) m |= FWM.TYPE;
  if (r.icmpCode !== null) m |= FWM.CODE;
  if (r.protocol !== null) m |= FWM.PROTOCOL;
  if (r.logAction !== null) m |= FWM.ACTION;
  if (r.hours) m |= FWM.TIME_OF_DAY;
  if (r.dayOfWeek !== null) m |= FWM.DAY_OF_WEEK;
  if (r.day !== null) m |= FWM.DAY;
  if (r.month !== null) m |= FWM.MONTH;
  if (r.publicSubnet) m |= r.publicSubnet.form === "mask" ? FWM.PUBLIC_HOST_MASK : FWM.PUBLIC_HOST_PREFIX;
  return m;
}

const dword = (n: number) => "dword:" + (n >>> 0).toString(16).padStart(8, "0");
const DAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];

/** The values of one rule subkey: [name, data, comment]. */
function values(r: CeRule): [string, string, string][] {
  const out: [string, string, string][] = [];
  const flags = ruleFlags(r), mask = ruleMask(r);
  out.push(["Flags", dword(flags), bitNames(flags, FWF, "FWF_")]);
  out.push(["Mask", dword(mask), bitNames(mask, FWM, "FWM_")]);
  out.push(["PrivateHost", "hex:" + hexBytes(encodeFwAddress(r.family, r.privateHost)), r.privateHost ? formatAddress(r.privateHost) : `any IPv${r.family} host`]);
  if (r.publicHost) out.push(["PublicHost", "hex:" + hexBytes(encodeFwAddress(r.family, r.publicHost)), formatAddress(r.publicHost)]);
  if (r.publicSubnet?.form === "mask") {
    const m = maskWord(r.publicSubnet.len, 0);
    out.push(["PublicHostMask", "hex:" + hexBytes([m >>> 24, (m >>> 16) & 255, (m >>> 8) & 255, m & 255]), formatIpv4(m)]);
  }
  if (r.publicSubnet?.form === "prefix") out.push(["PublicHostPrefixLength", dword(r.publicSubnet.len), `/${r.publicSubnet.len}`]);
  if (r.protocol !== null) out.push(["Protocol", dword(r.protocol), PROTOCOL_NAMES[r.protocol] ?? `protocol ${r.protocol}`]);
  if (r.ports) {
    if (r.ports.min === r.ports.max) out.push(["Port", dword(r.ports.min), String(r.ports.min)]);
    else {
      out.push(["PortMin", dword(r.ports.min), String(r.ports.min)]);
      out.push(["PortMax", dword(r.ports.max), String(r.ports.max)]);
    }
  }
  if (r.icmpType !== null) out.push(["Type", dword(r.icmpType), `ICMP type ${r.icmpType}`]);
  if (r.icmpCode !== null) out.push(["Code", dword(r.icmpCode), `ICMP code ${r.icmpCode}`]);
  if (r.logAction !== null) out.push(["Action", dword(r.logAction), r.logAction === FWA.BLOCK ? "FWA_BLOCK" : "FWA_ALLOW"]);
  if (r.hours) {
    out.push(["HourStart", dword(r.hours.start), `${r.hours.start}:00`]);
    out.push(["HourEnd", dword(r.hours.end), `${r.hours.end}:00`]);
  }
  if (r.dayOfWeek !== null) out.push(["DayOfWeek", dword(r.dayOfWeek), DAY_NAMES.filter((_, i) => r.dayOfWeek! & (1 << i)).join(" ")]);
  if (r.day !== null) out.push(["Day", dword(r.day), `day ${r.day} of the month`]);
  if (r.month !== null) out.push(["Month", dword(r.month), `month ${r.month}`]);
  if (r.description !== null) out.push(["Description", `"${r.description.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`, ""]);
  return out;
}

export function keyLine(r: CeRule): string {
  return `[${RULES_KEY}\\${r.name}]`;
}

/** One line for explain and logs: the key and its meaningful values. */
export function ruleSummary(r: CeRule): string {
  return `${keyLine(r)} ` + values(r).filter(([n]) => n !== "Description").map(([n, d, c]) => `${n}=${n === "Flags" || n === "Mask" ? d.replace(/^dword:0*(?=.)/, "0x") : c}`).join(" ");
}

function byName(a: CeRule, b: CeRule): number {
  const x = a.name.toLowerCase(), y = b.name.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

export interface ExportOptions {
  provenance?: boolean; // a `;` comment naming each rule's file and line
  eol?: string; // "\r\n" as regedit writes (default)
  preamble?: string[]; // comment lines after the header
}

/**
 * The rules as regedit text, sorted by key name (their order never matters
 * to the device, so the canonical form does not keep it).
 */
export function exportReg(rules: CeRule[], opts: ExportOptions = {}): string {
  const out = ["Windows Registry Editor Version 5.00", ...(opts.preamble ?? []).map((l) => `; ${l}`.trimEnd()), ""];
  for (const r of [...rules].sort(byName)) {
    if (opts.provenance) {
      out.push(`; ${r.name}: ${r.origin.file}:${r.origin.line}${r.disabled ? " (disabled: no effect)" : ""}`);
    }
    out.push(keyLine(r));
    for (const [name, data, comment] of values(r)) out.push(`"${name}"=${data}${comment ? `    ; ${comment}` : ""}`);
    out.push("");
  }
  return out.join(opts.eol ?? "\r\n");
}
