// The appliance description (cli.md): interfaces with roles and addresses,
// the loghost and the time zone.
import { readFileSync } from "node:fs";
import { type Address, type Prefix, parsePrefix, parseAddress, prefixContains } from "./addr.ts";

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

export class ApplianceError extends Error {}

export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } | null {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) return parseAddress(text) ? { host: text, port: defaultPort } : null;
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!(port >= 1 && port <= 65535)) return null;
  return { host: m[1], port };
}

export function parseAppliance(json: unknown, source: string): Appliance {
  const fail = (msg: string): never => { throw new ApplianceError(`${source}: ${msg}`); };
  if (typeof json !== "object" || json === null) fail("not a JSON object");
  const j = json as Record<string, unknown>;
  if (!Array.isArray(j.interfaces) || j.interfaces.length === 0) fail("\"interfaces\" must be a non-empty array");
  const names = new Set<string>();
  const interfaces = (j.interfaces as unknown[]).map((raw, i) => {
    const o = raw as Record<string, unknown>;
    if (typeof o?.name !== "string" || !/^[A-Za-z0-9_.-]{1,15}$/.test(o.name)) fail(`interfaces[${i}]: "name" must be 1 to 15 letters, digits, _ . -`);
    const name = o.name as string;
    if (names.has(name)) fail(`interfaces[${i}]: duplicate name "${name}"`);
    names.add(name);
    if (o.role !== "private" && o.role !== "public") fail(`interface ${name}: "role" must be "private" or "public"`);
    const addrs = (o.addresses ?? []) as unknown[];
    if (!Array.isArray(addrs)) fail(`interface ${name}: "addresses" must be an array`);
    const addresses = addrs.map((a) => {
      if (typeof a !== "string" || !a.includes("/")) return fail(`interface ${name}: address ${JSON.stringify(a)} must be ADDRESS/LENGTH`);
      const address = parseAddress(a.slice(0, a.indexOf("/")));
      const prefix = parsePrefix(a);
      if (!address || !prefix) return fail(`interface ${name}: bad address ${JSON.stringify(a)}`);
      return { address, prefix, text: a };
    });
    if (o.zone !== undefined && o.zone !== "lan" && o.zone !== "wan" && o.zone !== "dmz") fail(`interface ${name}: "zone" must be "lan", "wan" or "dmz"`);
    return { name, role: o.role as Role, addresses, ...(o.zone !== undefined ? { zone: o.zone as Zone } : {}) };
  });
  if (interfaces.length > 254) fail("at most 254 interfaces");
  let loghost: Appliance["loghost"] = null;
  if (j.loghost !== undefined && j.loghost !== null) {
    if (typeof j.loghost !== "string") fail("\"loghost\" must be \"HOST:PORT\"");
    loghost = parseHostPort(j.loghost as string, 514) ?? fail(`bad "loghost" ${JSON.stringify(j.loghost)}`);
  }
  const timezone = (j.timezone ?? "UTC") as string;
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: timezone });
  } catch {
    fail(`unknown time zone ${JSON.stringify(timezone)}`);
  }
  return { interfaces, loghost, timezone, source };
}

export function loadAppliance(path: string | undefined): Appliance {
  if (!path) return parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, "utf8"));
  } catch (e) {
    throw new ApplianceError(`${path}: ${(e as Error).message}`);
  }
  return parseAppliance(json, path);
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
