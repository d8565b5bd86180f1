// FW_IP_ADDRESS as bytes: the family as a little-endian u16 (2 = AF_INET,
// 0x17 = AF_INET6), two bytes of padding, then the address in network order.
// A bare family ("hex:02,00") names no host: "any host of this family".
import type { Address } from "../../model/addr.ts";
import { AF_INET, AF_INET6 } from "./constants.ts";

export type Decoded = { family: 4 | 6; address: Address | null } | { error: string };

export function decodeFwAddress(bytes: number[]): Decoded {
  if (bytes.length < 2) return { error: `${bytes.length} byte(s): too short for the family (want 02,00 for IPv4 or 17,00 for IPv6)` };
  const af = bytes[0] | (bytes[1] << 8);
  if (af !== AF_INET && af !== AF_INET6) return { error: `unknown address family 0x${af.toString(16)} (want 02,00 for IPv4 or 17,00 for IPv6)` };
  const family = af === AF_INET ? 4 : 6;
  if (bytes.length === 2 || bytes.length === 4) return { family, address: null };
  const want = family === 4 ? 8 : 20;
  // The whole structure (20 bytes: the union of IN_ADDR and IN6_ADDR) is
  // accepted for IPv4 too when the unused tail is zero.
  const okLength = bytes.length === want || (family === 4 && bytes.length === 20 && bytes.slice(8).every((b) => b === 0));
  if (!okLength) return { error: `${bytes.length} bytes for an IPv${family} address (want ${family === 4 ? "2 (any host) or 8" : "2 (any host) or 20"})` };
  const a = bytes.slice(4, family === 4 ? 8 : 20);
  const words: number[] = [];
  for (let i = 0; i < a.length; i += 4) words.push(((a[i] << 24) | (a[i + 1] << 16) | (a[i + 2] << 8) | a[i + 3]) >>> 0);
  return { family, address: { family, words } };
}

export function encodeFwAddress(family: 4 | 6, address: Address | null): number[] {
  const head = family === 4 ? [AF_INET, 0] : [AF_INET6, 0];
  if (!address) return head;
  const out = [...head, 0, 0];
  for (const w of address.words) out.push(w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255);
  return out;
}

export function hexBytes(bytes: number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(",");
}
