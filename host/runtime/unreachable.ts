// The ICMP error a denied packet earns where the dialect sends one (PortMaster):
// "destination unreachable, communication administratively prohibited"
// (ICMP 3/13, RFC 1812; ICMPv6 1/1, RFC 4443), sent back by the port the
// packet came from, to the MAC it came from. A TCP client gets a prompt
// "no route to host" instead of waiting out its SYN retries.
import { ethernet, ipv4, ipv6, icmp, icmp6, formatIp, ETHERTYPE_IPV4, ETHERTYPE_IPV6 } from "../packet/build.ts";
import { walkEthernet } from "../packet/ethernet.ts";
import type { Appliance } from "../model/appliance.ts";
import { formatAddress } from "../model/addr.ts";

const IPV4_MIN_MTU_ERROR = 576; // RFC 1812 4.3.2.3: the error fits in 576 bytes
const IPV6_MIN_MTU = 1280; // RFC 4443 2.4(c)

function macText(b: Uint8Array, off: number): string {
  return Array.from(b.subarray(off, off + 6), (x) => x.toString(16).padStart(2, "0")).join(":");
}

/**
 * The source address of the error: the appliance's own address of the same
 * family on the ingress interface (a router would use it), else the
 * destination the packet was trying to reach (a transparent bridge has no
 * address of its own there).
 */
function errorSource(a: Appliance, ifIn: number, family: 4 | 6, origDst: string): string {
  const own = a.interfaces[ifIn]?.addresses.find((x) => x.address.family === family);
  return own ? formatAddress(own.address) : origDst;
}

/** The Ethernet frame carrying the ICMP error for `frame`, or null if none is due (not IP, too short). */
export function buildUnreachable(frame: Uint8Array, appliance: Appliance, ifIn: number): Uint8Array | null {
  const w = walkEthernet(frame);
  if (w.truncated) return null;
  const { l3: offset, ethertype } = w;
  const ip = frame.subarray(offset);
  const eth = { src: macText(frame, 0), dst: macText(frame, 6), vlan: w.vlan ?? undefined };
  if (ethertype === ETHERTYPE_IPV4 && ip.length >= 20 && ip[0] >> 4 === 4) {
    const ihl = (ip[0] & 15) * 4;
    const total = Math.min(ip.length, (ip[2] << 8) | ip[3]);
    if (ihl < 20 || total < ihl) return null;
    const origSrc = formatIp(ip.subarray(12, 16));
    const origDst = formatIp(ip.subarray(16, 20));
    // RFC 1812: as much of the original as fits in 576 bytes (20 IP + 8 ICMP headers before it).
    const quote = ip.slice(0, Math.min(total, IPV4_MIN_MTU_ERROR - 28));
    const body = icmp({ type: 3, code: 13, rest: 0, payload: quote });
    return ethernet(ipv4(body, { src: errorSource(appliance, ifIn, 4, origDst), dst: origSrc, proto: 1, ttl: 64 }), { ...eth, ethertype: ETHERTYPE_IPV4 });
  }
  if (ethertype === ETHERTYPE_IPV6 && ip.length >= 40 && ip[0] >> 4 === 6) {
    const origSrc = formatIp(ip.subarray(8, 24));
    const origDst = formatIp(ip.subarray(24, 40));
    // Never to an unspecified or multicast source (RFC 4443 2.4(e)).
    if (ip[8] === 0xff || ip.subarray(8, 24).every((x) => x === 0)) return null;
    const quote = ip.slice(0, Math.min(ip.length, IPV6_MIN_MTU - 48));
    const src = errorSource(appliance, ifIn, 6, origDst);
    const body = icmp6({ type: 1, code: 1, rest: 0, payload: quote }, { src, dst: origSrc });
    return ethernet(ipv6(body, { src, dst: origSrc, nextHeader: 58, hopLimit: 64 }), { ...eth, ethertype: ETHERTYPE_IPV6 });
  }
  return null;
}
