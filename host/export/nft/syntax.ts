// nftables text: quoting, addresses, names. nft's own limits are here too:
// comments hold at most 128 bytes, log prefixes 127, interface names 15.
import { type Prefix, formatPrefix, formatAddress } from "../../model/addr.ts";

export const COMMENT_MAX = 128;
export const LOG_PREFIX_MAX = 127;

/** A double-quoted nft string: no quotes or newlines inside, cut to `max` bytes. */
export function quote(text: string, max = COMMENT_MAX): string {
  let s = text.replace(/[\r\n\t]+/g, " ").replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, "?");
  if (s.length > max) s = s.slice(0, max - 3) + "...";
  return `"${s}"`;
}

/** A chain name nft accepts (letters, digits, _), from a ruleset's name. */
export function chainName(prefix: string, index: number, name: string): string {
  const clean = name.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 40);
  return `${prefix}${index}${clean ? "_" + clean : ""}`;
}

/** "10.0.0.0/8", "10.0.0.1" for a /32, "2001:db8::/32". */
export function prefixText(p: Prefix): string {
  const full = p.family === 4 ? 32 : 128;
  return p.len === full ? formatAddress({ family: p.family, words: p.words }) : formatPrefix(p);
}

export function isInterfaceName(s: string): boolean {
  return /^[A-Za-z0-9_.:@-]{1,15}$/.test(s);
}
