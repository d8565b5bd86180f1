// The appliance description (cli.md): interfaces with roles and addresses,
// the loghost and the time zone. Checked like a config file: every problem is
// a diagnostic with its line and column (host/config/appliance.ts reads the
// file; this validates the JSON tree), and any error means no appliance.
import { type Address, type Prefix, parsePrefix, parseAddress, parseIpv6, prefixContains, prefixCovers, makePrefix, isNetworkAddress, maskWord, formatAddress, formatPrefix } from "./addr.ts";
import { type Diagnostic, formatDiagnostic } from "./diagnostic.ts";
import { type JValue, type JPos, treeOf, kindOf, parseJson } from "./jsonpos.ts";
import { quoted } from "./excerpt.ts";
import { readFileSync } from "node:fs";

export type Role = "private" | "public";

/** Optional security zone, for dialects whose rules name zones (InstaGate's LAN/WAN/DMZ). */
export type Zone = "lan" | "wan" | "dmz";

export interface ApplianceInterface {
  name: string;
  role: Role;
  zone?: Zone;
  addresses: { address: Address; prefix: Prefix; text: string }[];
}

export interface Appliance {
  interfaces: ApplianceInterface[];
  loghost: { host: string; port: number } | null;
  timezone: string;
  source: string; // file name, or "built-in"
}

export const BUILTIN_APPLIANCE_JSON = {
  interfaces: [
    { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
    { name: "wan", role: "public", addresses: ["10.0.0.1/24"] },
  ],
  loghost: null,
  timezone: "UTC",
};

/** A description that has errors; `diagnostics` says each one with its place. */
export class ApplianceError extends Error {
  constructor(readonly diagnostics: Diagnostic[]) {
    super(diagnostics.filter((d) => d.severity === "error").map(formatDiagnostic).join("\n") || "bad appliance description");
  }
}

/**
 * A DNS host name (RFC 1123 labels) or an IP address. Anything else, a
 * newline or an escape sequence above all, would end up in log lines and
 * syslog destinations.
 */
function validHost(host: string): boolean {
  if (parseAddress(host)) return true;
  if (host.length === 0 || host.length > 253) return false;
  return host.split(".").every((l) => /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(l));
}

/** `HOST[:PORT]`, `[IPV6]:PORT` or a bare IPv6 address; the host a DNS name or an IP address, the port 1..65535. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } | null {
  if (text.length > 300) return null;
  const m = /^\[([^\]]+)\](?::([0-9]{1,5}))?$/.exec(text) ?? /^([^:]+)(?::([0-9]{1,5}))?$/.exec(text);
  if (!m) return parseIpv6(text) ? { host: text, port: defaultPort } : null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return null;
  if (text.startsWith("[") ? !parseIpv6(m[1]) : !validHost(m[1])) return null;
  return { host: m[1], port };
}

/** Stable codes of the appliance description's diagnostics (prefix AP). */
export const AP = {
  READ: "AP001", // the file cannot be read
  JSON: "AP002", // not JSON (syntax, nesting too deep, a string too long)
  DUPLICATE_KEY: "AP003", // a key given twice in one object
  STRUCTURE: "AP004", // not an object, a value of the wrong type, "interfaces" missing
  UNKNOWN_KEY: "AP005", // a key this version does not know (warning: ignored; cli.md lets later versions add keys)
  NAME: "AP010", // an interface name that is not 1 to 15 of A-Z a-z 0-9 _ . -
  NAME_TWICE: "AP011", // two interfaces with one name (names compare without case)
  ROLE: "AP012", // a role other than "private" or "public"
  ADDRESS: "AP013", // an address that is not ADDRESS/LENGTH of a host of that subnet
  ADDRESS_TWICE: "AP014", // one address on two interfaces, or twice on one
  ZONE: "AP015", // a zone other than "lan", "wan" or "dmz"
  OVERLAP: "AP016", // two interfaces with overlapping subnets (warning: which one a host is on is a guess)
  LOGHOST: "AP020", // a loghost that is not HOST:PORT
  TIMEZONE: "AP021", // an unknown time zone
  COUNT: "AP022", // no interface, or more than 254
} as const;

const KEYS = ["interfaces", "loghost", "timezone"];
const INTERFACE_KEYS = ["name", "role", "zone", "addresses"];

/** Is this an address an interface can have: unicast, not "this network" (0/8), not multicast or reserved (224/3), not the IPv6 unspecified or multicast ones? */
function unicast(a: Address): boolean {
  if (a.family === 4) {
    const top = a.words[0] >>> 24;
    return top !== 0 && top < 224;
  }
  if (a.words.every((w) => w === 0)) return false;
  return a.words[0] >>> 24 !== 0xff;
}

/**
 * Check a description read as a JSON tree (from a file, with places, or from
 * memory) and build the appliance. Never throws: every problem is a
 * diagnostic at its place, and any error means no appliance.
 */
export function validateAppliance(root: JValue, source: string): { appliance: Appliance | null; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const report = (severity: Diagnostic["severity"], at: JPos, code: string, message: string) =>
    diagnostics.push({ file: source, line: at.line, column: at.column, severity, code, message });
  const err = (at: JPos, code: string, message: string) => report("error", at, code, message);
  const fields = (v: JValue, what: string, allowed: string[]): Map<string, JValue> | null => {
    if (v.type !== "object") {
      err(v.pos, AP.STRUCTURE, `${what} must be a JSON object, not ${kindOf(v)}`);
      return null;
    }
    const out = new Map<string, JValue>();
    for (const e of v.entries) {
      // cli.md: "Other keys may be added" (by later versions). So an unknown key is a
      // warning, not an error: visible (a misspelt "timezon" would silently mean UTC),
      // and an error with --strict.
      if (!allowed.includes(e.key)) report("warning", e.keyPos, AP.UNKNOWN_KEY, `${what}: unknown key ${quoted(e.key)}, ignored (known: ${allowed.join(", ")})`);
      else if (!out.has(e.key)) out.set(e.key, e.value);
    }
    return out;
  };

  const top = fields(root, "the appliance description", KEYS);
  if (!top) return { appliance: null, diagnostics };
  const list = top.get("interfaces");
  const interfaces: ApplianceInterface[] = [];
  if (!list) err(root.pos, AP.STRUCTURE, `"interfaces" is missing (a non-empty array of {"name", "role", "addresses"})`);
  else if (list.type !== "array") err(list.pos, AP.STRUCTURE, `"interfaces" must be an array, not ${kindOf(list)}`);
  else if (list.items.length === 0 || list.items.length > 254) err(list.pos, AP.COUNT, `an appliance has 1 to 254 interfaces, not ${list.items.length}`);
  else {
    const names = new Map<string, JPos>(); // lower-case name -> where
    const owners = new Map<string, { name: string; at: JPos }>(); // formatted address -> the interface that has it
    const subnets: { prefix: Prefix; name: string; at: JPos }[] = [];
    list.items.forEach((item, k) => {
      const f = fields(item, `interfaces[${k}]`, INTERFACE_KEYS);
      if (!f) return;
      let ok = true;
      const bad = (at: JPos, code: string, message: string) => { err(at, code, message); ok = false; };
      const nameV = f.get("name");
      let name = `interfaces[${k}]`;
      if (!nameV) bad(item.pos, AP.NAME, `interfaces[${k}]: "name" is missing`);
      else if (nameV.type !== "string" || !/^[A-Za-z0-9_.-]{1,15}$/.test(nameV.value)) {
        bad(nameV.pos, AP.NAME, `interfaces[${k}]: "name" must be 1 to 15 letters, digits, _ . - (not ${nameV.type === "string" ? quoted(nameV.value) : kindOf(nameV)})`);
      } else {
        name = nameV.value;
        const first = names.get(name.toLowerCase());
        if (first) bad(nameV.pos, AP.NAME_TWICE, `interface name ${quoted(name)} is used twice (first at line ${first.line}, column ${first.column}); names compare without case`);
        else names.set(name.toLowerCase(), nameV.pos);
      }
      const roleV = f.get("role");
      if (!roleV) bad(item.pos, AP.ROLE, `interface ${name}: "role" is missing ("private" or "public")`);
      else if (roleV.type !== "string" || (roleV.value !== "private" && roleV.value !== "public")) {
        bad(roleV.pos, AP.ROLE, `interface ${name}: "role" must be "private" or "public", not ${roleV.type === "string" ? quoted(roleV.value) : kindOf(roleV)}`);
      }
      const zoneV = f.get("zone");
      if (zoneV && (zoneV.type !== "string" || !["lan", "wan", "dmz"].includes(zoneV.value))) {
        bad(zoneV.pos, AP.ZONE, `interface ${name}: "zone" must be "lan", "wan" or "dmz", not ${zoneV.type === "string" ? quoted(zoneV.value) : kindOf(zoneV)}`);
      }
      const addresses: ApplianceInterface["addresses"] = [];
      const addrsV = f.get("addresses");
      if (addrsV && addrsV.type !== "array") bad(addrsV.pos, AP.STRUCTURE, `interface ${name}: "addresses" must be an array of "ADDRESS/LENGTH", not ${kindOf(addrsV)}`);
      for (const a of addrsV?.type === "array" ? addrsV.items : []) {
        const text = a.type === "string" ? a.value : null;
        const slash = text === null ? -1 : text.indexOf("/");
        const address = slash < 0 ? null : parseAddress(text!.slice(0, slash));
        const prefix = address && /^[0-9]{1,3}$/.test(text!.slice(slash + 1)) ? parsePrefix(text!) : null;
        if (!address || !prefix) {
          bad(a.pos, AP.ADDRESS, `interface ${name}: ${text === null ? kindOf(a) : quoted(text)} is not ADDRESS/LENGTH (such as "192.168.0.1/24")`);
          continue;
        }
        const max = address.family === 4 ? 32 : 128;
        const host = makePrefix(address, max);
        if (!unicast(address)) {
          bad(a.pos, AP.ADDRESS, `interface ${name}: ${formatAddress(address)} is not an address an interface can have (unspecified, multicast or reserved)`);
          continue;
        }
        // The subnet's own address and (IPv4) its broadcast address are no host's, except on /31 and /32 links.
        const hostBits = max - prefix.len;
        if (hostBits >= 2 && isNetworkAddress(address, prefix.len)) {
          bad(a.pos, AP.ADDRESS, `interface ${name}: ${text} is the address of the subnet itself, not of a host in it`);
          continue;
        }
        if (address.family === 4 && hostBits >= 2 && ((address.words[0] | ~maskWord(prefix.len, 0)) >>> 0) === address.words[0]) {
          bad(a.pos, AP.ADDRESS, `interface ${name}: ${text} is the subnet's broadcast address, not a host's`);
          continue;
        }
        const id = formatPrefix(host);
        const owner = owners.get(id);
        if (owner) {
          bad(a.pos, AP.ADDRESS_TWICE, `interface ${name}: address ${formatAddress(address)} is already ${owner.name === name ? "given on this interface" : `on interface ${owner.name}`} (line ${owner.at.line}, column ${owner.at.column}); an address belongs to one interface`);
          continue;
        }
        owners.set(id, { name, at: a.pos });
        subnets.push({ prefix, name, at: a.pos });
        addresses.push({ address, prefix, text: text! });
      }
      if (!ok) return;
      const zone = zoneV?.type === "string" ? (zoneV.value as Zone) : undefined;
      interfaces.push({ name, role: (roleV as { value: string }).value as Role, addresses, ...(zone !== undefined ? { zone } : {}) });
    });
    for (const [later, earlier] of overlaps(subnets)) {
      report("warning", later.at, AP.OVERLAP, `interface ${later.name}: subnet ${formatPrefix(later.prefix)} overlaps ${formatPrefix(earlier.prefix)} of interface ${earlier.name} (line ${earlier.at.line}): which interface a host of the overlap is on, when explain or replay infer it, is the first one's`);
    }
  }

  let loghost: Appliance["loghost"] = null;
  const lh = top.get("loghost");
  if (lh && lh.type !== "null") {
    if (lh.type !== "string") err(lh.pos, AP.LOGHOST, `"loghost" must be "HOST:PORT", not ${kindOf(lh)}`);
    else {
      loghost = parseHostPort(lh.value, 514);
      if (!loghost) err(lh.pos, AP.LOGHOST, `"loghost" ${quoted(lh.value)} is not HOST:PORT (HOST an IP address or a DNS name, PORT 1..65535)`);
    }
  }
  let timezone = "UTC";
  const tz = top.get("timezone");
  if (tz) {
    if (tz.type !== "string" || !/^[A-Za-z0-9_+\-/]{1,64}$/.test(tz.value) || !knownTimeZone(tz.value)) {
      err(tz.pos, AP.TIMEZONE, `"timezone" must be an IANA time zone such as "Europe/Berlin" or "UTC", not ${tz.type === "string" ? quoted(tz.value) : kindOf(tz)}`);
    } else timezone = tz.value;
  }
  if (diagnostics.some((d) => d.severity === "error")) return { appliance: null, diagnostics };
  return { appliance: { interfaces, loghost, timezone, source }, diagnostics };
}

/**
 * Pairs of subnets of different interfaces where one holds the other (two
 * prefixes overlap only so), each reported once at the later one. Sorted by
 * start address, prefixes nest like brackets, so a stack of the open ones
 * finds every pair in O(n log n): comparing all pairs was quadratic.
 */
function overlaps<T extends { prefix: Prefix; name: string; at: JPos }>(subnets: T[]): [T, T][] {
  const bits = (p: Prefix) => p.words.reduce((acc, w) => (acc << 32n) | BigInt(w), 0n);
  const items = subnets.map((s, order) => {
    const width = BigInt((s.prefix.family === 4 ? 32 : 128) - s.prefix.len);
    const start = bits(s.prefix);
    return { s, order, family: s.prefix.family, start, end: start + (1n << width) - 1n };
  });
  items.sort((a, b) => a.family - b.family || (a.start < b.start ? -1 : a.start > b.start ? 1 : a.s.prefix.len - b.s.prefix.len || a.order - b.order));
  const out: [T, T][] = [];
  const open: typeof items = [];
  for (const it of items) {
    while (open.length && (open[open.length - 1].family !== it.family || open[open.length - 1].end < it.start)) open.pop();
    const other = open.find((o) => o.s.name !== it.s.name); // at most 129 open prefixes
    if (other) out.push(other.order < it.order ? [it.s, other.s] : [other.s, it.s]);
    open.push(it);
  }
  return out;
}

function knownTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** The text of a description file: UTF-8 with or without a BOM, or UTF-16 with a BOM (as config files). */
function decodeDescription(buf: Uint8Array): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder("utf-16le").decode(buf.subarray(2));
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder("utf-16be").decode(buf.subarray(2));
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return new TextDecoder().decode(buf.subarray(3));
  return new TextDecoder().decode(buf);
}

/** Read and check a description's text: the appliance (null on any error) and every diagnostic, located. */
export function readApplianceText(text: string, source: string): { appliance: Appliance | null; diagnostics: Diagnostic[] } {
  const parsed = parseJson(text);
  const diagnostics: Diagnostic[] = parsed.problems.map((p) => ({
    file: source, line: p.pos.line, column: p.pos.column, severity: "error" as const,
    code: p.kind === "duplicate" ? AP.DUPLICATE_KEY : AP.JSON, message: p.kind === "duplicate" ? p.message : `not valid JSON: ${p.message}`,
  }));
  if (!parsed.value) return { appliance: null, diagnostics };
  const r = validateAppliance(parsed.value, source);
  for (const d of r.diagnostics) diagnostics.push(d);
  return { appliance: diagnostics.some((d) => d.severity === "error") ? null : r.appliance, diagnostics };
}

/** The description in a file (the built-in one without a path): the appliance, or null, and the diagnostics. */
export function readAppliance(path: string | undefined): { appliance: Appliance | null; diagnostics: Diagnostic[] } {
  if (!path) return { appliance: parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in"), diagnostics: [] };
  let text: string;
  try {
    text = decodeDescription(readFileSync(path));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    return { appliance: null, diagnostics: [{ file: path, line: 1, column: 1, severity: "error", code: AP.READ, message: `cannot read the appliance description: ${why}` }] };
  }
  return readApplianceText(text, path);
}

/** As readAppliance, but throws ApplianceError (with the diagnostics) on any error. */
export function loadAppliance(path: string | undefined): Appliance {
  const r = readAppliance(path);
  if (!r.appliance) throw new ApplianceError(r.diagnostics);
  return r.appliance;
}

/** A description built in memory (a test, the built-in one); throws ApplianceError on any error. */
export function parseAppliance(json: unknown, source: string): Appliance {
  const r = validateAppliance(treeOf(json), source);
  if (!r.appliance) throw new ApplianceError(r.diagnostics);
  return r.appliance;
}

export function interfaceIndex(a: Appliance, name: string): number {
  return a.interfaces.findIndex((i) => i.name === name);
}

export function firstWithRole(a: Appliance, role: Role): ApplianceInterface | undefined {
  return a.interfaces.find((i) => i.role === role);
}

/** The interface whose attached subnet holds `addr`, if any. */
export function interfaceForAddress(a: Appliance, addr: Address, role?: Role): ApplianceInterface | undefined {
  return a.interfaces.find((i) => (!role || i.role === role) && i.addresses.some((x) => prefixContains(x.prefix, addr)));
}

/** Is `addr` one of the appliance's own addresses? */
export function isOwnAddress(a: Appliance, addr: Address): boolean {
  return a.interfaces.some((i) => i.addresses.some((x) => x.address.family === addr.family && x.address.words.every((w, k) => w === addr.words[k])));
}

export type Direction = "inbound" | "outbound" | "other";

export function direction(a: Appliance, ifIn: number, ifOut: number): Direction {
  const rin = a.interfaces[ifIn]?.role;
  const rout = a.interfaces[ifOut]?.role;
  if (rin === "public" && rout === "private") return "inbound";
  if (rin === "private" && rout === "public") return "outbound";
  return "other";
}
