// Which interfaces a rule's "Interface LAN|WAN|DMZ" means, and what LANIP is
// on each. An interface's zone is its "zone" key in the appliance description
// if given, else "dmz" for an interface named dmz, else LAN for a private
// interface and WAN for a public one.
import type { Appliance, ApplianceInterface } from "../../model/appliance.ts";
import { type Prefix, makePrefix } from "../../model/addr.ts";
import type { ZoneName } from "./ast.ts";

export function zoneOf(i: ApplianceInterface): ZoneName {
  if (i.zone) return i.zone.toUpperCase() as ZoneName;
  if (i.name.toLowerCase() === "dmz") return "DMZ";
  return i.role === "private" ? "LAN" : "WAN";
}

function hosts(i: ApplianceInterface): Prefix[] {
  return i.addresses.map((a) => makePrefix(a.address, a.address.family === 4 ? 32 : 128));
}

/**
 * LANIP on an interface: on a LAN interface, the appliance's own addresses
 * there (the LAN IP the packet arrives at); on a WAN or DMZ interface, the
 * appliance's addresses on all its LAN interfaces.
 */
export function lanipFor(a: Appliance, i: ApplianceInterface): Prefix[] {
  if (zoneOf(i) === "LAN") return hosts(i);
  return a.interfaces.filter((x) => zoneOf(x) === "LAN").flatMap(hosts);
}
