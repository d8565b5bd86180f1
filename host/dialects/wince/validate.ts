// Gives a rule subkey its meaning, as the device would: Flags and Mask decide
// which values count; every inconsistency is reported with file:line and key.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import { netmaskLength, formatIpv4 } from "../../model/addr.ts";
import type { RawRule, RawValue } from "./raw.ts";
import type { CeRule } from "./model.ts";
import { CE } from "./codes.ts";
import { FWF, FWF_KNOWN, FWM, FWM_KNOWN, FWA, canonicalValueName, bitNames, type ValueName } from "./constants.ts";
import { decodeFwAddress } from "./address.ts";

/** Which mask bit makes each value count. */
const VALUE_MASK: Partial<Record<ValueName, number>> = {
  PrivateHost: FWM.PRIVATE_HOST, PublicHost: FWM.PUBLIC_HOST, Port: FWM.PORT, PortMin: FWM.PORT, PortMax: FWM.PORT,
  Type: FWM.TYPE, Code: FWM.CODE, Protocol: FWM.PROTOCOL, Action: FWM.ACTION, HourStart: FWM.TIME_OF_DAY,
  HourEnd: FWM.TIME_OF_DAY, DayOfWeek: FWM.DAY_OF_WEEK, Day: FWM.DAY, Month: FWM.MONTH,
  PublicHostMask: FWM.PUBLIC_HOST_MASK, PublicHostPrefixLength: FWM.PUBLIC_HOST_PREFIX,
};

const MASK_NAMES = Object.fromEntries(Object.entries(FWM).map(([k, v]) => [v, "FWM_" + k])) as Record<number, string>;

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

export function validateRule(raw: RawRule, sink: DiagnosticSink): CeRule | null {
  const before = sink.list.filter((d) => d.severity === "error").length;
  const where = (v?: RawValue) => (v ? [v.line, v.column] as const : [raw.line, raw.column] as const);
  const err = (v: RawValue | undefined, code: string, msg: string) => sink.error(...where(v), code, `rule "${raw.name}": ${msg}`);
  const warn = (v: RawValue | undefined, code: string, msg: string) => sink.warning(...where(v), code, `rule "${raw.name}": ${msg}`);

  const values = new Map<ValueName, RawValue>();
  for (const v of raw.values) {
    const name = canonicalValueName(v.name);
    if (!name) {
      warn(v, CE.UNKNOWN_VALUE, `unknown value "${v.name.length > 40 ? v.name.slice(0, 40) + "..." : v.name}"; ignored`);
      continue;
    }
    values.set(name, v);
  }

  const dword = (name: ValueName, min: number, max: number): number | undefined => {
    const v = values.get(name);
    if (!v || v.data.kind === "invalid") return undefined;
    if (v.data.kind !== "dword") {
      err(v, CE.WRONG_TYPE, `"${name}" must be a dword, not ${v.data.kind === "hex" ? "hex bytes" : "a string"}`);
      return undefined;
    }
    if (v.data.value < min || v.data.value > max) {
      err(v, CE.BAD_DATA, `"${name}" is ${v.data.value}, outside ${min}..${max}`);
      return undefined;
    }
    return v.data.value;
  };
  const hex = (name: ValueName): number[] | undefined => {
    const v = values.get(name);
    if (!v || v.data.kind === "invalid") return undefined;
    if (v.data.kind !== "hex") {
      err(v, CE.WRONG_TYPE, `"${name}" must be hex bytes (hex:..), not ${v.data.kind === "dword" ? "a dword" : "a string"}`);
      return undefined;
    }
    return v.data.bytes;
  };

  // Flags: exactly one action and one direction.
  const flagsV = values.get("Flags");
  const flags = dword("Flags", 0, 0xffffffff);
  if (!flagsV) err(undefined, CE.MISSING, `no "Flags" value (every rule needs one action and one direction)`);
  let action: CeRule["action"] = "block";
  let direction: CeRule["direction"] = "inbound";
  if (flags !== undefined) {
    if (flags & ~FWF_KNOWN) err(flagsV, CE.UNKNOWN_BITS, `Flags 0x${flags.toString(16)} has bits the firewall does not define (0x${(flags & ~FWF_KNOWN).toString(16)})`);
    const acts = [FWF.BLOCK, FWF.ALLOW, FWF.LOG].filter((b) => flags & b);
    if (acts.length !== 1) {
      err(flagsV, CE.ACTION_FLAGS, `Flags 0x${flags.toString(16)} (${bitNames(flags, FWF, "FWF_")}) must have exactly one of FWF_BLOCK, FWF_ALLOW, FWF_LOG`);
    } else {
      action = acts[0] === FWF.BLOCK ? "block" : acts[0] === FWF.ALLOW ? "allow" : "log";
    }
    const dirs = [FWF.INBOUND, FWF.OUTBOUND].filter((b) => flags & b);
    if (dirs.length !== 1) {
      err(flagsV, CE.DIRECTION_FLAGS, `Flags 0x${flags.toString(16)} (${bitNames(flags, FWF, "FWF_")}) must have exactly one of FWF_INBOUND, FWF_OUTBOUND`);
    } else {
      direction = dirs[0] === FWF.INBOUND ? "inbound" : "outbound";
    }
  }

  const maskV = values.get("Mask");
  let mask = dword("Mask", 0, 0xffffffff) ?? 0;
  if (!maskV) err(undefined, CE.MISSING, `no "Mask" value (use dword:0 for a rule that tests nothing)`);
  if (mask & ~FWM_KNOWN) {
    err(maskV, CE.UNKNOWN_BITS, `Mask 0x${mask.toString(16)} has bits the firewall does not define (0x${(mask & ~FWM_KNOWN).toString(16)})`);
    mask &= FWM_KNOWN;
  }

  // A value whose mask bit is clear is ignored, as the device ignores it.
  for (const [name, bit] of Object.entries(VALUE_MASK) as [ValueName, number][]) {
    const v = values.get(name);
    if (!v || mask & bit) continue;
    if (name === "PrivateHost") continue; // its family always counts; checked below
    warn(v, CE.VALUE_WITHOUT_MASK, `"${name}" is given but ${MASK_NAMES[bit]} is not set in Mask; ignored, as on the device`);
    values.delete(name);
  }
  const missing = (bit: number, what: string) => err(maskV, CE.MASK_WITHOUT_VALUE, `Mask sets ${MASK_NAMES[bit]} but ${what}`);

  // PrivateHost: the family always; the host only with FWM_PRIVATE_HOST.
  const privV = values.get("PrivateHost");
  let family: 4 | 6 = 4;
  let privateHost: CeRule["privateHost"] = null;
  const privBytes = hex("PrivateHost");
  if (!privV) {
    err(undefined, CE.MISSING, `no "PrivateHost" value: its family (hex:02,00 for IPv4, hex:17,00 for IPv6) says which packets the rule applies to`);
  } else if (privBytes) {
    const d = decodeFwAddress(privBytes);
    if ("error" in d) err(privV, CE.BAD_ADDRESS, `"PrivateHost": ${d.error}`);
    else {
      family = d.family;
      if (mask & FWM.PRIVATE_HOST) {
        if (!d.address) missing(FWM.PRIVATE_HOST, `"PrivateHost" holds only the family, no address`);
        privateHost = d.address;
      } else if (d.address) {
        warn(privV, CE.VALUE_WITHOUT_MASK, `"PrivateHost" holds an address but FWM_PRIVATE_HOST is not set in Mask; the address is ignored (the rule applies to every IPv${family} host), as on the device`);
      }
    }
  }

  let publicHost: CeRule["publicHost"] = null;
  if (mask & FWM.PUBLIC_HOST) {
    const v = values.get("PublicHost");
    const b = hex("PublicHost");
    if (!v) missing(FWM.PUBLIC_HOST, `there is no "PublicHost" value`);
    else if (b) {
      const d = decodeFwAddress(b);
      if ("error" in d) err(v, CE.BAD_ADDRESS, `"PublicHost": ${d.error}`);
      else if (!d.address) missing(FWM.PUBLIC_HOST, `"PublicHost" holds only the family, no address`);
      else if (d.family !== family) err(v, CE.CONFLICT, `"PublicHost" is IPv${d.family} but "PrivateHost" is IPv${family}; one rule applies to one address family`);
      else publicHost = d.address;
    }
  }

  let publicSubnet: CeRule["publicSubnet"] = null;
  const hasMaskForm = (mask & FWM.PUBLIC_HOST_MASK) !== 0;
  const hasPrefixForm = (mask & FWM.PUBLIC_HOST_PREFIX) !== 0;
  if (hasMaskForm && hasPrefixForm) {
    err(maskV, CE.CONFLICT, `Mask sets both FWM_PUBLIC_HOST_MASK and FWM_PUBLIC_HOST_PREFIX; FW_RULE holds only one of them (they share storage): keep one`);
  } else if ((hasMaskForm || hasPrefixForm) && !(mask & FWM.PUBLIC_HOST)) {
    err(maskV, CE.CONFLICT, `Mask sets ${hasMaskForm ? "FWM_PUBLIC_HOST_MASK" : "FWM_PUBLIC_HOST_PREFIX"} without FWM_PUBLIC_HOST: a subnet of no host`);
  } else if (hasMaskForm) {
    const v = values.get("PublicHostMask");
    const b = hex("PublicHostMask");
    if (!v) missing(FWM.PUBLIC_HOST_MASK, `there is no "PublicHostMask" value`);
    else if (b) {
      if (family !== 4) err(v, CE.CONFLICT, `"PublicHostMask" is an IPv4 mask (IN_ADDR) but the rule is IPv6; use FWM_PUBLIC_HOST_PREFIX`);
      else if (b.length !== 4) err(v, CE.BAD_ADDRESS, `"PublicHostMask" has ${b.length} bytes (want 4, e.g. hex:ff,ff,ff,00)`);
      else {
        const text = formatIpv4(((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0);
        const len = netmaskLength(text);
        if (len === null) err(v, CE.BAD_ADDRESS, `"PublicHostMask" ${text} is not a contiguous mask`);
        else publicSubnet = { form: "mask", len };
      }
    }
  } else if (hasPrefixForm) {
    const max = family === 4 ? 32 : 128;
    if (!values.has("PublicHostPrefixLength")) missing(FWM.PUBLIC_HOST_PREFIX, `there is no "PublicHostPrefixLength" value`);
    const len = dword("PublicHostPrefixLength", 0, max);
    if (len !== undefined) publicSubnet = { form: "prefix", len };
  }

  let protocol: number | null = null;
  if (mask & FWM.PROTOCOL) {
    if (!values.has("Protocol")) missing(FWM.PROTOCOL, `there is no "Protocol" value`);
    protocol = dword("Protocol", 0, 255) ?? null;
  }

  let ports: CeRule["ports"] = null;
  if (mask & FWM.PORT) {
    const pv = values.get("Port");
    const minV = values.get("PortMin");
    const maxV = values.get("PortMax");
    if (pv && (minV || maxV)) err(pv, CE.CONFLICT, `give either "Port" or "PortMin"/"PortMax", not both`);
    else if (pv) {
      const p = dword("Port", 0, 65535);
      if (p !== undefined) ports = { min: p, max: p };
    } else if (!minV || !maxV) {
      missing(FWM.PORT, `${!minV && !maxV ? `there is no "Port" (or "PortMin" and "PortMax") value` : `"${minV ? "PortMax" : "PortMin"}" is missing`}`);
    } else {
      const lo = dword("PortMin", 0, 65535);
      const hi = dword("PortMax", 0, 65535);
      if (lo !== undefined && hi !== undefined) {
        if (lo > hi) err(minV, CE.PORT_ORDER, `PortMin ${lo} is greater than PortMax ${hi}`);
        else ports = { min: lo, max: hi };
      }
    }
    if (protocol !== null && ![6, 17, 132].includes(protocol)) {
      warn(maskV, CE.NEVER_MATCHES, `FWM_PORT tests the destination port, but protocol ${protocol} has no ports: the rule never matches`);
    }
  }

  let icmpType: number | null = null;
  let icmpCode: number | null = null;
  if (mask & (FWM.TYPE | FWM.CODE)) {
    if (mask & FWM.PORT) err(maskV, CE.CONFLICT, `Mask sets FWM_PORT and ${mask & FWM.TYPE ? "FWM_TYPE" : "FWM_CODE"}; FW_RULE keeps the ports and the ICMP type/code in the same place: keep one`);
    if (mask & FWM.TYPE) {
      if (!values.has("Type")) missing(FWM.TYPE, `there is no "Type" value`);
      icmpType = dword("Type", 0, 255) ?? null;
    }
    if (mask & FWM.CODE) {
      if (!values.has("Code")) missing(FWM.CODE, `there is no "Code" value`);
      icmpCode = dword("Code", 0, 255) ?? null;
    }
    const icmp = family === 4 ? 1 : 58;
    if (protocol !== null && protocol !== icmp) {
      err(maskV, CE.CONFLICT, `an ICMP ${mask & FWM.TYPE ? "type" : "code"} test with protocol ${protocol}: an IPv${family} rule tests ICMP types only with protocol ${icmp}`);
    } else if (protocol === null) {
      warn(maskV, CE.DECISION, `ICMP ${mask & FWM.TYPE ? "type" : "code"} without FWM_PROTOCOL: taken as protocol ${icmp} (${family === 4 ? "ICMP" : "ICMPv6"}), the only one with types`);
    }
  }

  let logAction: number | null = null;
  if (mask & FWM.ACTION) {
    if (action !== "log") err(maskV, CE.CONFLICT, `FWM_ACTION is valid only for logging rules (FWF_LOG)`);
    else {
      if (!values.has("Action")) missing(FWM.ACTION, `there is no "Action" value`);
      const a = dword("Action", 1, 3);
      if (a === FWA.ALLOW_RESPONSE) err(values.get("Action"), CE.UNSUPPORTED, `Action 3 (FWA_ALLOW_RESPONSE, log replies the connection tracking lets through) is not supported; log by FWA_BLOCK (1) or FWA_ALLOW (2), or drop FWM_ACTION`);
      else if (a !== undefined) logAction = a;
    }
  }

  let hours: CeRule["hours"] = null;
  if (mask & FWM.TIME_OF_DAY) {
    if (!values.has("HourStart") || !values.has("HourEnd")) missing(FWM.TIME_OF_DAY, `${values.has("HourStart") ? `"HourEnd"` : `"HourStart"`} is missing`);
    const s = dword("HourStart", 0, 23);
    const e = dword("HourEnd", 0, 23);
    if (s !== undefined && e !== undefined) {
      hours = { start: s, end: e };
      if (s === e) warn(values.get("HourEnd"), CE.TIME_WINDOW, `HourStart and HourEnd are both ${s}: taken as the whole day (from ${s}:00 to ${s}:00 the next day)`);
    }
  }
  let dayOfWeek: number | null = null;
  if (mask & FWM.DAY_OF_WEEK) {
    if (!values.has("DayOfWeek")) missing(FWM.DAY_OF_WEEK, `there is no "DayOfWeek" value`);
    dayOfWeek = dword("DayOfWeek", 1, 0x7f) ?? null;
  }
  let day: number | null = null;
  if (mask & FWM.DAY) {
    if (!values.has("Day")) missing(FWM.DAY, `there is no "Day" value`);
    day = dword("Day", 1, 31) ?? null;
  }
  let month: number | null = null;
  if (mask & FWM.MONTH) {
    if (!values.has("Month")) missing(FWM.MONTH, `there is no "Month" value`);
    month = dword("Month", 1, 12) ?? null;
  }
  if (day !== null && month !== null && day > DAYS_IN_MONTH[month - 1]) {
    warn(values.get("Day"), CE.NEVER_MATCHES, `day ${day} of month ${month} never comes: the rule never matches`);
  }

  let description: string | null = null;
  const dv = values.get("Description");
  if (dv) {
    if (dv.data.kind === "invalid") { /* reported */ } else if (dv.data.kind !== "string") err(dv, CE.WRONG_TYPE, `"Description" must be a string`);
    else description = dv.data.value;
  }

  const errors = sink.list.filter((d) => d.severity === "error").length;
  if (errors > before) return null;
  return {
    name: raw.name, description, action, direction, disabled: ((flags ?? 0) & FWF.DISABLED) !== 0, family,
    privateHost, publicHost, publicSubnet, protocol, ports, icmpType, icmpCode, logAction, hours, dayOfWeek, day, month,
    origin: { file: raw.file, line: raw.line, column: raw.column },
  };
}
