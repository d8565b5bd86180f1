// Regenerates test/corpus/hostile/capture/: captures that are wrong in one
// way each, named for what is wrong. Every one must end `replay` with exit 1,
// a message naming the byte offset, no stack trace, and the packets before
// the defect processed (`before`).
//
//   node --import tsx test/corpus/make-hostile-captures.ts
import { mkdirSync, readdirSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  FRAME_A, FRAME_B, pcapFile, shb, idb, epb, spb, block, opt, int64Option, concatBytes, Bytes,
} from "./capture-bytes.ts";

export interface HostileCapture {
  bytes: Uint8Array;
  before: number; // packets read before the defect
  message: RegExp; // what the error says
}

const T = 1_700_000_000_000_000n; // microseconds since 1970 (2023-11-14)
const good = () => [shb(), idb(1), epb(0, T, FRAME_A)];
const rec = (data: Uint8Array, frac = 0) => ({ sec: 1_700_000_000, frac, data });

export const hostileCaptures: Record<string, HostileCapture> = {
  // timestamps (issue 12 item 13)
  "pcapng-if-tsoffset-huge.pcapng": {
    bytes: concatBytes(...good(), idb(1, [int64Option(14, 2n ** 62n)]), epb(1, T, FRAME_B)),
    before: 1, message: /timestamp .* out of range/,
  },
  "pcapng-if-tsoffset-negative.pcapng": {
    bytes: concatBytes(...good(), idb(1, [int64Option(14, -(10n ** 12n))]), epb(1, T, FRAME_B)),
    before: 1, message: /timestamp -\d+ s since 1970 is out of range/,
  },
  "pcapng-if-tsoffset-int64-min.pcapng": {
    bytes: concatBytes(...good(), idb(1, [int64Option(14, -(2n ** 63n))]), epb(1, T, FRAME_B)),
    before: 1, message: /out of range/,
  },
  "pcapng-if-tsresol-0-with-microsecond-timestamps.pcapng": {
    bytes: concatBytes(...good(), idb(1, [opt(9, [0])]), epb(1, T, FRAME_B)),
    before: 1, message: /out of range/,
  },
  "pcapng-timestamp-after-2106.pcapng": {
    bytes: concatBytes(...good(), epb(0, 2n ** 32n * 1_000_000n + 5n, FRAME_B)),
    before: 1, message: /timestamp 4294967296 s since 1970 is out of range/,
  },
  "pcapng-timestamp-max-uint64.pcapng": {
    bytes: concatBytes(...good(), epb(0, 2n ** 64n - 1n, FRAME_B)),
    before: 1, message: /out of range/,
  },
  "pcapng-if-tsresol-option-3-bytes.pcapng": {
    bytes: concatBytes(...good(), idb(1, [opt(9, [6, 0, 0])])),
    before: 1, message: /if_tsresol option is 3 bytes/,
  },
  "pcapng-if-tsoffset-option-4-bytes.pcapng": {
    bytes: concatBytes(...good(), idb(1, [opt(14, [1, 2, 3, 4])])),
    before: 1, message: /if_tsoffset option is 4 bytes/,
  },
  "pcap-microseconds-field-1000000.pcap": {
    bytes: pcapFile([rec(FRAME_A), rec(FRAME_B, 1_000_000)]),
    before: 1, message: /microseconds field 1000000 is not below 1000000/,
  },
  "pcap-nanoseconds-field-4294967295.pcap": {
    bytes: pcapFile([rec(FRAME_A), rec(FRAME_B, 0xffffffff)], { nanos: true }),
    before: 1, message: /nanoseconds field 4294967295/,
  },
  // lengths
  "pcap-captured-length-4294967295.pcap": {
    bytes: pcapFile([rec(FRAME_A), { ...rec(FRAME_B), incl: 0xffffffff }]),
    before: 1, message: /captured length 4294967295 exceeds/,
  },
  "pcap-captured-length-past-end-of-file.pcap": {
    bytes: pcapFile([rec(FRAME_A), { ...rec(FRAME_B), incl: FRAME_B.length + 100 }]),
    before: 1, message: /truncated packet record at byte \d+: header says \d+ bytes/,
  },
  "pcap-record-header-cut.pcap": {
    bytes: pcapFile([rec(FRAME_A), rec(FRAME_B)]).slice(0, 24 + 16 + FRAME_A.length + 7),
    before: 1, message: /truncated packet record header/,
  },
  "pcap-file-header-cut.pcap": {
    bytes: pcapFile([]).slice(0, 13), before: 0, message: /truncated file header/,
  },
  "pcap-version-3.pcap": {
    bytes: pcapFile([rec(FRAME_A)], { major: 3 }), before: 0, message: /unsupported pcap version 3/,
  },
  "capture-empty-file.pcap": {
    bytes: new Uint8Array(0), before: 0, message: /not a capture file: 0 bytes/,
  },
  "capture-bad-magic-text-file.pcap": {
    bytes: new TextEncoder().encode("set filter inbound 10 permit\n"), before: 0, message: /bad magic/,
  },
  "pcap-linktype-105-wifi.pcap": {
    bytes: pcapFile([rec(FRAME_A)], { linktype: 105 }), before: 0, message: /link type 105 is not supported/,
  },
  "pcapng-second-interface-linktype-105.pcapng": {
    bytes: concatBytes(...good(), idb(105), epb(1, T, FRAME_B)), before: 1, message: /link type 105 is not supported/,
  },
  "pcapng-block-length-4294967292.pcapng": {
    bytes: concatBytes(...good(), block(6, new Uint8Array(24), { len: 0xfffffffc })),
    before: 1, message: /block length 4294967292 exceeds/,
  },
  "pcapng-block-length-13-not-multiple-of-4.pcapng": {
    bytes: concatBytes(...good(), block(6, new Uint8Array(24), { len: 13 })),
    before: 1, message: /not a multiple of 4/,
  },
  "pcapng-block-trailer-differs.pcapng": {
    bytes: concatBytes(...good(), block(6, new Uint8Array(24), { trailer: 40 })),
    before: 1, message: /trailing length 40 does not match/,
  },
  "pcapng-block-cut-in-the-middle.pcapng": {
    bytes: concatBytes(...good(), epb(0, T, FRAME_B).slice(0, 30)),
    before: 1, message: /truncated block at byte \d+: header says \d+ bytes, 30 remain/,
  },
  "pcapng-epb-interface-7-undefined.pcapng": {
    bytes: concatBytes(...good(), epb(7, T, FRAME_B)), before: 1, message: /refers to interface 7, but only 1/,
  },
  "pcapng-epb-captured-length-past-block.pcapng": {
    bytes: concatBytes(...good(), epb(0, T, FRAME_B, { caplen: 4000 })), before: 1, message: /captured length 4000 exceeds the block's/,
  },
  "pcapng-option-runs-past-block.pcapng": {
    bytes: concatBytes(...good(), block(1, new Bytes().u16(1).u16(0).u32(0).u16(2).u16(200).u32(0).bytes())),
    before: 1, message: /option runs past the end of the block/,
  },
  "pcapng-simple-packet-before-interface.pcapng": {
    bytes: concatBytes(shb(), spb(FRAME_A)), before: 0, message: /before any interface description block/,
  },
  "pcapng-bad-byte-order-magic.pcapng": {
    bytes: concatBytes(shb({ bom: 0x12345678 }), idb(1), epb(0, T, FRAME_A)), before: 0, message: /bad byte-order magic/,
  },
  "pcapng-version-2.pcapng": {
    bytes: concatBytes(shb({ major: 2 }), idb(1), epb(0, T, FRAME_A)), before: 0, message: /unsupported pcapng version 2/,
  },
  "pcapng-second-section-bad-byte-order.pcapng": {
    bytes: concatBytes(...good(), shb({ bom: 0 })), before: 1, message: /bad byte-order magic/,
  },
};

export const HOSTILE_CAPTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), "hostile", "capture");

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  mkdirSync(HOSTILE_CAPTURE_DIR, { recursive: true });
  for (const f of readdirSync(HOSTILE_CAPTURE_DIR)) if (/\.pcap(ng)?$/.test(f)) unlinkSync(join(HOSTILE_CAPTURE_DIR, f));
  for (const [name, c] of Object.entries(hostileCaptures)) writeFileSync(join(HOSTILE_CAPTURE_DIR, name), c.bytes);
  console.log(`wrote ${Object.keys(hostileCaptures).length} captures to ${HOSTILE_CAPTURE_DIR}`);
}
