// The parser's refusals that concern the transport header, as nft chains:
// a packet Portcullis calls malformed for these reasons is dropped before
// any rule (the kernel itself already drops bad IP headers and lengths).
// A payload load past the packet's end fails in nft and ends the rule, so
// "`@th,N,8 & 0x0 == 0x0` then return" passes exactly the packets that hold
// byte N/8 of their transport header; the rest fall to the drop.
const has = (bytes: number) => `@th,${(bytes - 1) * 8},8 & 0x0 == 0x0`;

export const SANITY_CHAIN = "pc_sanity";

export function sanityChains(): string[] {
  const tcpHeader = [
    `\t\t@th,96,4 < 5 counter drop comment "TCP data offset below 20 bytes"`,
    ...Array.from({ length: 11 }, (_, k) => `\t\t@th,96,4 ${k + 5} ${has((k + 5) * 4)} return`),
    `\t\tcounter drop comment "TCP header shorter than 20 bytes or than its data offset"`,
  ];
  return [
    `\tchain ${SANITY_CHAIN} {`,
    `\t\tip frag-off & 0x1fff == 1 meta l4proto tcp counter drop comment "RFC 1858: a TCP fragment at offset 8 could rewrite the flags"`,
    `\t\tfrag frag-off 1 meta l4proto tcp counter drop comment "RFC 1858, IPv6"`,
    `\t\tip frag-off & 0x1fff != 0 return`,
    `\t\tfrag frag-off != 0 return`,
    `\t\tip frag-off & 0x2000 != 0 goto pc_first_fragment`,
    `\t\tfrag more-fragments 1 goto pc_first_fragment`,
    `\t\tmeta l4proto tcp goto pc_tcp_header`,
    `\t\tmeta l4proto { 17, 136 } ${has(8)} return`,
    `\t\tmeta l4proto 132 ${has(12)} return`,
    `\t\tmeta l4proto { 1, 58 } ${has(8)} return`,
    `\t\tmeta l4proto { 17, 136, 132, 1, 58 } counter drop comment "truncated transport header"`,
    `\t}`,
    `\tchain pc_first_fragment {`,
    `\t\tmeta l4proto tcp ${has(14)} return`,
    `\t\tmeta l4proto { 17, 136 } ${has(8)} return`,
    `\t\tmeta l4proto 132 ${has(12)} return`,
    `\t\tmeta l4proto { 1, 58 } ${has(4)} return`,
    `\t\tmeta l4proto { 6, 17, 136, 132, 1, 58 } counter drop comment "RFC 1858: tiny first fragment"`,
    `\t}`,
    `\tchain pc_tcp_header {`,
    ...tcpHeader,
    `\t}`,
  ];
}
