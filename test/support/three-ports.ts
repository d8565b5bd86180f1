// The appliance the random kernel tests route through: the generator's
// interfaces (lan, wan, dmz) with subnets its address pools fall into.
import { parseAppliance, type Appliance } from "../../host/model/appliance.ts";

export const THREE_PORTS: Appliance = parseAppliance({
  interfaces: [
    { name: "lan", role: "private", addresses: ["192.168.0.1/24", "2001:db8::ff/64"] },
    { name: "wan", role: "public", addresses: ["10.0.0.254/24"] },
    { name: "dmz", role: "private", addresses: ["10.1.2.1/24", "2001:db8:1::ff/64"] },
  ],
  timezone: "UTC",
}, "test");

/** A small seeded generator (mulberry32) for choices outside fast-check. */
export function seeded(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}
