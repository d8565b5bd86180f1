// What the capture reader and writer share: link types, the record and
// timestamp limits, and the packet record type.

export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW = 101;      // raw IPv4/IPv6, version from the first nibble
export const LINKTYPE_RAW_ALT12 = 12; // DLT_RAW on some BSDs, shows up in files
export const LINKTYPE_RAW_ALT14 = 14; // DLT_RAW on OpenBSD
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;

/** True for the linktypes whose packets start directly with an IP header. */
export function isRawIpLinktype(linktype: number): boolean {
  return linktype === LINKTYPE_RAW || linktype === LINKTYPE_RAW_ALT12 || linktype === LINKTYPE_RAW_ALT14 ||
    linktype === LINKTYPE_IPV4 || linktype === LINKTYPE_IPV6;
}

/** Captured lengths (and pcapng block lengths beyond their fixed part) above this are corrupt. */
export const MAX_RECORD_LEN = 256 * 1024;

/** Longest pcapng block: a maximal packet plus room for its fixed fields and options. */
export const MAX_BLOCK_LEN = MAX_RECORD_LEN + 4096;

/**
 * Timestamps are accepted in [0, MAX_TS_NS): 1970-01-01 up to 2106-02-07
 * 06:28:16 UTC, what a classic pcap file's unsigned 32-bit seconds can hold.
 * So every packet read can be written back (`replay --pass/--drop`), and
 * every timestamp is a valid date for time-window rules.
 */
export const MAX_TS_NS = 2n ** 32n * 1_000_000_000n;

/** Interfaces one pcapng section may describe (an OPB's interface id is 16 bits). */
export const MAX_INTERFACES = 65536;

export interface CapturedPacket {
  tsNs: bigint;      // nanoseconds since the Unix epoch (0n when the format has none, e.g. pcapng SPB)
  data: Uint8Array;  // captured bytes (a copy, independent of the input buffer)
  origLen: number;   // length on the wire
  linktype: number;
}

export interface CaptureError {
  offset: number;    // byte offset in the file where the problem starts
  message: string;
}

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_MAGIC_KUZNETZOV = 0xa1b2cd34; // "modified pcap": 8 extra bytes per record header
export const PCAPNG_SHB = 0x0a0d0d0a;
export const PCAPNG_BOM = 0x1a2b3c4d;
