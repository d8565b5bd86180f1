// Structure-aware mutations of valid captures, for test/capture-fuzz.test.ts:
// the seeds are valid captures kept as lists of units (the file header and
// records, or pcapng blocks); a mutation cuts, duplicates, drops or swaps
// units, writes extreme numbers into length, interface, timestamp and option
// fields, adds interfaces with extreme if_tsresol/if_tsoffset, flips bytes.
import { MAX_RECORD_LEN } from "../../host/pcap/pcap.ts";
import {
  Bytes, FRAME_A, FRAME_B, pcapFile, shb, idb, epb, spb, block, opt, int64Option, concatBytes,
} from "./capture-bytes.ts";

/** mulberry32: small, fast, seeded. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (n: number) => Math.floor(next() * n), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] };
}
export type Rng = ReturnType<typeof rng>;

// ---- the seeds: valid captures, each as a list of units (file header / records, or blocks)

export interface Seed { name: string; units: Uint8Array[]; le: boolean; ng: boolean }

function pcapUnits(recs: { sec: number; frac: number; data: Uint8Array }[], o: { le?: boolean; nanos?: boolean; linktype?: number } = {}): Uint8Array[] {
  const whole = pcapFile(recs, o);
  const units = [whole.slice(0, 24)];
  let off = 24;
  for (const r of recs) { units.push(whole.slice(off, off + 16 + r.data.length)); off += 16 + r.data.length; }
  return units;
}

const T = 1_700_000_000_000_000n;
export const SEEDS: Seed[] = [
  { name: "pcap us le", le: true, ng: false, units: pcapUnits([{ sec: 1_700_000_000, frac: 1, data: FRAME_A }, { sec: 1_700_000_001, frac: 999_999, data: FRAME_B }]) },
  { name: "pcap ns be", le: false, ng: false, units: pcapUnits([{ sec: 1, frac: 999_999_999, data: FRAME_B }, { sec: 2, frac: 0, data: FRAME_A }], { le: false, nanos: true }) },
  { name: "pcap raw ip", le: true, ng: false, units: pcapUnits([{ sec: 5, frac: 5, data: FRAME_A.slice(14) }], { linktype: 101 }) },
  {
    name: "pcapng le, options, 3 interfaces", le: true, ng: true, units: [
      shb(), idb(1), idb(1, [opt(9, [9])]), idb(101, [opt(9, [0x80 | 20]), int64Option(14, 1000n)], { snaplen: 64 }),
      epb(0, T, FRAME_A), block(0x0bad, Uint8Array.of(1, 2, 3, 4)), epb(1, T * 1000n, FRAME_B), epb(2, 3n << 20n, FRAME_A.slice(14)),
      spb(FRAME_B), block(4, new Bytes().u16(0).u16(0).bytes()),
    ],
  },
  {
    name: "pcapng be, two sections", le: false, ng: true, units: [
      shb({ le: false }), idb(1, [opt(9, [6])], { le: false }), epb(0, T, FRAME_A, { le: false }),
      shb(), idb(1), epb(0, T, FRAME_B),
    ],
  },
];

// ---- mutations

const EXTREME32 = [0, 1, 3, 4, 11, 12, 13, 0x7f, 0xff, 0xffff, 0x10000, MAX_RECORD_LEN, MAX_RECORD_LEN + 1, 0x7fffffff, 0x80000000, 0xfffffffc, 0xffffffff];
const EXTREME64 = [0n, 1n, -1n, 2n ** 31n, 2n ** 32n, 2n ** 32n * 1_000_000_000n, 2n ** 62n, -(2n ** 63n), 2n ** 63n - 1n, -(10n ** 12n)];

function put32(b: Uint8Array, off: number, v: number, le: boolean) {
  if (off < 0 || off + 4 > b.length) return;
  new DataView(b.buffer, b.byteOffset).setUint32(off, v >>> 0, le);
}

export function mutate(r: Rng, seed: Seed): Uint8Array {
  let units: Uint8Array[] = seed.units.map((u) => u.slice());
  const first = 1; // unit 0 (file header / first SHB) is mutated less often, so most cases reach the records
  const rounds = 1 + r.int(3);
  for (let k = 0; k < rounds; k++) {
    const i = units.length > first ? first + r.int(units.length - first) : 0;
    const u = units[i];
    switch (r.int(10)) {
      case 0: // duplicate a unit
        units.splice(i, 0, u.slice());
        break;
      case 1: // drop a unit
        if (units.length > 1) units.splice(i, 1);
        break;
      case 2: { // swap two units
        const j = r.int(units.length);
        [units[i], units[j]] = [units[j], units[i]];
        break;
      }
      case 3: // an extreme 32-bit number in an aligned field (lengths, interface ids, timestamps)
        put32(u, 4 * r.int(Math.max(1, u.length >> 2)), r.pick(EXTREME32), seed.le);
        break;
      case 4: // a length field (pcap: incl_len; pcapng: the leading or trailing block length)
        put32(u, seed.ng ? r.pick([4, u.length - 4]) : 8, r.pick(EXTREME32), seed.le);
        break;
      case 5: { // extreme timestamps: pcap sec/frac, pcapng EPB high/low
        if (seed.ng) { put32(u, 12, r.pick(EXTREME32), seed.le); put32(u, 16, r.pick(EXTREME32), seed.le); }
        else { put32(u, 0, r.pick(EXTREME32), seed.le); put32(u, 4, r.pick(EXTREME32), seed.le); }
        break;
      }
      case 6: { // a new interface with extreme if_tsresol / if_tsoffset (pcapng), or an extreme header field (pcap)
        if (seed.ng) {
          const opts = [];
          if (r.int(2)) opts.push(opt(9, r.int(4) === 0 ? [r.int(256), 0] : [r.pick([0, 1, 9, 10, 19, 63, 127, 0x80, 0x80 | 63, 0xff])]));
          if (r.int(2)) opts.push(r.int(5) === 0 ? opt(14, [1, 2, 3]) : int64Option(14, r.pick(EXTREME64), seed.le));
          units.splice(i, 0, idb(r.pick([1, 101, 105, 0xffff]), opts, { le: seed.le }));
        } else {
          put32(units[0], r.pick([4, 16, 20]), r.pick(EXTREME32), seed.le);
        }
        break;
      }
      case 7: // flip a few bytes anywhere
        for (let n = 1 + r.int(4); n > 0; n--) { const x = units[r.int(units.length)]; if (x.length) x[r.int(x.length)] = r.int(256); }
        break;
      case 8: // an option running past its block, or an option length of 0xffff
        if (seed.ng && u.length >= 24) put32(u, u.length - 8, (r.int(2) ? 0xffff0002 : 0x00400009) >>> 0, seed.le);
        break;
      default: { // cut the file anywhere
        const whole = concatBytes(...units);
        units = [whole.slice(0, r.int(whole.length + 1))];
      }
    }
  }
  return concatBytes(...units);
}
