// IP addresses and prefixes as the rule model and the engines hold them:
// 32-bit words in host order (IPv4: one word; IPv6: four, most significant
// first), the same representation as the byte layout (assembly/layout.ts).
import { isIPv4, isIPv6 } from "node:net";

export type Family = 4 | 6;

export interface Address {
  family: Family;
  words: number[]; // 1 word for IPv4, 4 for IPv6, unsigned
}

export interface Prefix {
  family: Family;
  words: number[]; // network address, already masked
  len: number; // 0..32 or 0..128
}

export function parseIpv4(text: string): number | null {
  if (!isIPv4(text)) return null;
  const p = text.split(".").map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function parseIpv6(text: string): number[] | null {
  // node's isIPv6 accepts a zone id (fe80::1%eth0); a rule's address has none.
  if (text.includes("%") || !isIPv6(text)) return null;
  let t = text;
  // An embedded IPv4 tail (::ffff:1.2.3.4) becomes two hex groups.
  const v4tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(t);
  if (v4tail) {
    const v = parseIpv4(v4tail[1]);
    if (v === null) return null;
    t = t.slice(0, -v4tail[1].length) + ((v >>> 16).toString(16) + ":" + (v & 0xffff).toString(16));
  }
  const halves = t.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 0) return null;
  const groups = [...head, ...Array(fill).fill("0"), ...tail].map((g) => parseInt(g, 16));
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) words.push(((groups[2 * i] << 16) | groups[2 * i + 1]) >>> 0);
  return words;
}

export function parseAddress(text: string): Address | null {
  const v4 = parseIpv4(text);
  if (v4 !== null) return { family: 4, words: [v4] };
  const v6 = parseIpv6(text);
  if (v6 !== null) return { family: 6, words: v6 };
  return null;
}

/** The mask word `i` of a prefix of length `len`. */
export function maskWord(len: number, i: number): number {
  const bits = Math.max(0, Math.min(32, len - 32 * i));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

export function makePrefix(addr: Address, len: number): Prefix {
  return { family: addr.family, len, words: addr.words.map((w, i) => (w & maskWord(len, i)) >>> 0) };
}

/** True if the host part of `addr` under `len` is zero (10.0.0.0/8, not 10.0.0.1/8). */
export function isNetworkAddress(addr: Address, len: number): boolean {
  return addr.words.every((w, i) => ((w & ~maskWord(len, i)) >>> 0) === 0);
}

/** Length of a dotted netmask (255.255.255.0 -> 24), or null if not contiguous. */
export function netmaskLength(mask: string): number | null {
  const m = parseIpv4(mask);
  if (m === null) return null;
  let len = 0;
  while (len < 32 && ((m << len) & 0x80000000) !== 0) len++;
  return maskWord(len, 0) === m ? len : null;
}

export function prefixContains(p: Prefix, a: Address): boolean {
  if (p.family !== a.family) return false;
  return p.words.every((w, i) => ((a.words[i] & maskWord(p.len, i)) >>> 0) === w);
}

/** Does prefix `outer` contain every address of prefix `inner`? */
export function prefixCovers(outer: Prefix, inner: Prefix): boolean {
  if (outer.family !== inner.family || outer.len > inner.len) return false;
  return outer.words.every((w, i) => ((inner.words[i] & maskWord(outer.len, i)) >>> 0) === w);
}

export function formatIpv4(w: number): string {
  return [w >>> 24, (w >>> 16) & 255, (w >>> 8) & 255, w & 255].join(".");
}

export function formatIpv6(words: number[]): string {
  const groups: number[] = [];
  for (const w of words) groups.push(w >>> 16, w & 0xffff);
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1, bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best < 0) return hex.join(":");
  return hex.slice(0, best).join(":") + "::" + hex.slice(best + bestLen).join(":");
}

export function formatAddress(a: Address): string {
  return a.family === 4 ? formatIpv4(a.words[0]) : formatIpv6(a.words);
}

export function formatPrefix(p: Prefix): string {
  return `${formatAddress(p)}/${p.len}`;
}

/** Parse `ADDR/LEN` (or a bare address, as a host prefix). */
export function parsePrefix(text: string): Prefix | null {
  const slash = text.indexOf("/");
  const addr = parseAddress(slash < 0 ? text : text.slice(0, slash));
  if (!addr) return null;
  const max = addr.family === 4 ? 32 : 128;
  if (slash < 0) return makePrefix(addr, max);
  const lenText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(lenText)) return null;
  const len = Number(lenText);
  if (len > max) return null;
  return makePrefix(addr, len);
}
