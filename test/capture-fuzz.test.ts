// Structure-aware fuzzing of the pcap and pcapng readers (issue 12, the
// capture part of the fuzz corpus). Valid captures are cut into their
// records or blocks, then mutated the way a broken tool or a hostile file
// would: cut anywhere, a block duplicated, dropped or swapped, extreme numbers
// in length, interface, timestamp and option fields, if_tsresol/if_tsoffset
// options added, bytes flipped. Every case must hold:
//   - the reader never throws; an error names an offset inside the file;
//   - every packet read is one `replay --pass/--drop` can write back
//     (timestamp in 1970..2106, lengths in range) and read back unchanged;
//   - the streaming file reader gives exactly what the in-memory reader gives;
//   - some cases also run through `replay` itself: exit 0 or 1, no stack trace.
//
// Seeded: PORTCULLIS_FUZZ_SEED (printed) replays a run; PORTCULLIS_FUZZ_CASES
// sets the number of cases (default 3,000 in CI; millions locally, e.g.
// PORTCULLIS_FUZZ_CASES=1000000 npx vitest run test/capture-fuzz.test.ts).
import { describe, it, expect } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  readCapture, openCaptureFile, PcapWriter, MAX_RECORD_LEN, MAX_TS_NS, type Capture, type CapturedPacket,
} from "../host/pcap/pcap.ts";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { rng, mutate, SEEDS } from "./corpus/capture-mutate.ts";
import { tempDir } from "./support/tmp.ts";

const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? 20261129) >>> 0;
const CASES = Number(process.env.PORTCULLIS_FUZZ_CASES ?? 3000);
const FILE_EVERY = 25; // every 25th case also through the streaming file reader
const REPLAY_EVERY = 100; // and every 100th through `replay`
console.log(`capture fuzz: seed ${SEED}, ${CASES} cases (PORTCULLIS_FUZZ_SEED, PORTCULLIS_FUZZ_CASES)`);

// ---- the properties

function checkCapture(c: Capture, bytes: Uint8Array): void {
  if (c.error) {
    expect(c.error.offset).toBeGreaterThanOrEqual(0);
    expect(c.error.offset).toBeLessThanOrEqual(bytes.length);
    expect(c.error.message.length).toBeGreaterThan(0);
  }
  for (const p of c.packets) checkPacket(p);
}

function checkPacket(p: CapturedPacket): void {
  expect(p.tsNs >= 0n && p.tsNs < MAX_TS_NS, `timestamp ${p.tsNs}`).toBe(true);
  expect(p.data.length).toBeLessThanOrEqual(MAX_RECORD_LEN);
  expect(Number.isInteger(p.origLen) && p.origLen >= 0 && p.origLen <= 0xffffffff).toBe(true);
  expect(Number.isInteger(p.linktype) && p.linktype >= 0 && p.linktype <= 0xffff).toBe(true);
}

const summary = (c: Capture) => ({
  format: c.format, linktype: c.linktype, error: c.error,
  packets: c.packets.map((p) => [p.tsNs, p.origLen, p.linktype, Buffer.from(p.data).toString("hex")]),
});

describe(`capture reader fuzz (seed ${SEED}, ${CASES} cases)`, () => {
  it("never throws, reads only what can be written back, and the file reader agrees with the memory reader", async () => {
    const dir = tempDir("portcullis-fuzz-");
    const r = rng(SEED);
    const stats = { cases: 0, errors: 0, packets: 0, files: 0, replays: 0 };
    for (let n = 0; n < CASES; n++) {
      const seed = SEEDS[n % SEEDS.length];
      const bytes = mutate(r, seed);
      const where = `case ${n} (seed ${SEED}, ${seed.name}, ${bytes.length} bytes: ${Buffer.from(bytes.subarray(0, 64)).toString("hex")}...)`;
      let c: Capture;
      try {
        c = readCapture(bytes);
        checkCapture(c, bytes);
        // what replay --pass/--drop does with each packet
        if (c.packets.length) {
          const w = new PcapWriter(c.linktype & 0xffff, { nanos: true });
          for (const p of c.packets) w.add(p.tsNs, p.data, p.origLen);
          const back = readCapture(w.toBuffer());
          expect(back.error).toBeNull();
          expect(back.packets.map((p) => p.tsNs)).toEqual(c.packets.map((p) => p.tsNs));
        }
        if (n % FILE_EVERY === 0) {
          const path = join(dir, "case.cap");
          writeFileSync(path, Buffer.from(bytes));
          const fr = openCaptureFile(path);
          const packets: CapturedPacket[] = [];
          try {
            for (let p = fr.next(); p; p = fr.next()) packets.push(p);
          } finally {
            fr.close();
          }
          expect(summary({ format: fr.format, linktype: fr.linktype, packets, error: fr.error })).toEqual(summary(c));
          stats.files++;
          if (n % REPLAY_EVERY === 0) {
            const io = bufferIO();
            const code = await main(["replay", "examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json",
              "--pcap", path, "-q", "--pass", join(dir, "p.pcap"), "--drop", join(dir, "d.pcap")], io);
            expect([0, 1]).toContain(code);
            expect(io.stderr).not.toMatch(/^\s+at |RangeError|TypeError/m);
            stats.replays++;
          }
        }
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`);
      }
      stats.cases++;
      if (c.error) stats.errors++;
      stats.packets += c.packets.length;
    }
    console.log(`capture fuzz: ${JSON.stringify(stats)}`);
    expect(stats.cases).toBe(CASES);
    // the mutations reach both outcomes
    expect(stats.errors).toBeGreaterThan(CASES / 10);
    expect(stats.packets).toBeGreaterThan(CASES);
  }, 120_000);
});
