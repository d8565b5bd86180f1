// A captured frame as the scratch router gets it, and how it is recognised
// when it comes out: the IP packet is sent unchanged in a fresh Ethernet
// header (VLAN tags removed: the router's interfaces are untagged), and is
// known on the far side by its bytes with the fields forwarding changes
// (IPv4 TTL and header checksum, IPv6 hop limit) zeroed.
import * as L from "../../assembly/layout.ts";
import type { PacketHeader } from "../engine/header.ts";

/** The IP packet inside a frame, or null when it carries none (ARP and the like). */
export function ipPayload(data: Uint8Array, linkType: number): Uint8Array | null {
  if (linkType === L.LINK_RAW_IP) return data.length > 0 && (data[0] >> 4 === 4 || data[0] >> 4 === 6) ? data : null;
  let off = 12;
  let type = data.length >= 14 ? (data[12] << 8) | data[13] : -1;
  while ((type === 0x8100 || type === 0x88a8) && data.length >= off + 6) {
    off += 4;
    type = (data[off] << 8) | data[off + 1];
  }
  if (type !== 0x0800 && type !== 0x86dd) return null;
  return data.subarray(off + 2);
}

function macBytes(mac: string): number[] {
  return mac.split(":").map((h) => parseInt(h, 16));
}

export function ethernetFrame(ip: Uint8Array, dstMac: string, srcMac: string): Uint8Array {
  const f = new Uint8Array(14 + ip.length);
  f.set(macBytes(dstMac), 0);
  f.set(macBytes(srcMac), 6);
  const v6 = ip.length > 0 && ip[0] >> 4 === 6;
  f[12] = v6 ? 0x86 : 0x08;
  f[13] = v6 ? 0xdd : 0x00;
  f.set(ip, 14);
  return f;
}

/** The packet's identity across a router hop (hex of its bytes, forwarding's changes zeroed). */
export function forwardKey(ip: Uint8Array): string {
  if (ip.length < 1) return "";
  const v6 = ip[0] >> 4 === 6;
  let len = ip.length;
  if (!v6 && ip.length >= 4) len = Math.min(len, (ip[2] << 8) | ip[3]);
  if (v6 && ip.length >= 6) len = Math.min(len, 40 + ((ip[4] << 8) | ip[5]));
  const b = Buffer.from(ip.subarray(0, len));
  if (!v6 && b.length >= 12) { b[8] = 0; b[10] = 0; b[11] = 0; }
  if (v6 && b.length >= 8) b[7] = 0;
  return b.toString("hex");
}

/** The hop limit (IPv4 TTL or IPv6 hop limit) of a packet. */
function hopLimit(ip: Uint8Array): number | null {
  if (ip.length >= 9 && ip[0] >> 4 === 4) return ip[8];
  if (ip.length >= 8 && ip[0] >> 4 === 6) return ip[7];
  return null;
}

function special4(w: number): boolean {
  const top = w >>> 24;
  return top === 0 || top === 127 || (top & 0xf0) === 0xe0 || w >>> 0 === 0xffffffff;
}

function special6(w: number[]): boolean {
  const zero = w[0] === 0 && w[1] === 0;
  if (zero && w[2] === 0 && (w[3] === 0 || w[3] === 1)) return true; // :: and ::1
  if (zero && w[2] === 0xffff) return true; // IPv4-mapped: ipv6_rcv drops them
  if (w[0] >>> 24 === 0xff) return true; // multicast
  return (w[0] >>> 22) === (0xfe80 >>> 6); // link-local fe80::/10
}

/**
 * Why a router would not forward this packet whatever its rules say, or null:
 * addresses it never forwards (martians, loopback, multicast, broadcast,
 * link-local) and a hop limit that expires here.
 */
export function routingClass(h: PacketHeader, ip: Uint8Array): string | null {
  if (h.reason !== L.REASON_OK) return null;
  const hl = hopLimit(ip);
  if (hl !== null && hl <= 1) return "routing: the hop limit expires at the router (ICMP time exceeded instead)";
  if (h.family === 4 && (special4(h.src[0]) || special4(h.dst[0]))) return "routing: a source or destination a router never forwards (zero, loopback, multicast, broadcast)";
  if (h.family === 6 && (special6(h.src) || special6(h.dst))) return "routing: a source or destination a router never forwards (unspecified, loopback, IPv4-mapped, multicast, link-local)";
  return null;
}
