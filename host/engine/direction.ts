// Which interfaces a captured packet crossed (cli.md, `replay`): a packet
// whose source lies in a subnet of a private interface arrived there and
// leaves by the first public interface; any other packet arrived on the first
// public interface and leaves by the private interface whose subnet holds its
// destination (else the first private one). `--in`/`--out` force both.
import * as L from "../../assembly/layout.ts";
import { type Appliance, interfaceForAddress, firstWithRole, direction } from "../model/appliance.ts";
import type { PacketHeader } from "./header.ts";

export interface Path {
  ifIn: number;
  ifOut: number;
  dir: number; // DIR_*
}

export function dirCode(a: Appliance, ifIn: number, ifOut: number): number {
  const d = direction(a, ifIn, ifOut);
  return d === "inbound" ? L.DIR_INBOUND : d === "outbound" ? L.DIR_OUTBOUND : L.DIR_OTHER;
}

export function pathOf(a: Appliance, h: PacketHeader, force: { in?: number; out?: number } = {}): Path {
  const idx = (name: string | undefined) => (name === undefined ? -1 : a.interfaces.findIndex((i) => i.name === name));
  const firstPrivate = idx(firstWithRole(a, "private")?.name);
  const firstPublic = idx(firstWithRole(a, "public")?.name);
  let ifIn: number;
  let ifOut: number;
  const malformed = h.reason !== L.REASON_OK;
  const srcIface = malformed ? undefined : interfaceForAddress(a, { family: h.family, words: h.src }, "private");
  if (srcIface) {
    ifIn = idx(srcIface.name);
    ifOut = firstPublic >= 0 ? firstPublic : ifIn;
  } else {
    ifIn = firstPublic >= 0 ? firstPublic : 0;
    const dstIface = malformed ? undefined : interfaceForAddress(a, { family: h.family, words: h.dst }, "private");
    ifOut = dstIface ? idx(dstIface.name) : firstPrivate >= 0 ? firstPrivate : ifIn;
  }
  if (force.in !== undefined) ifIn = force.in;
  if (force.out !== undefined) ifOut = force.out;
  return { ifIn, ifOut, dir: dirCode(a, ifIn, ifOut) };
}
