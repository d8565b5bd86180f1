// Hostile captures (test/corpus/hostile/capture/, issue 12 item 13 and the
// capture part of the fuzz corpus): each ends `replay` -- text and --json,
// with --pass/--drop -- in exit 1 and a message naming the byte offset, after
// the packets before the defect; never a stack trace.
import { describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { readCapture, readCaptureFile, PcapWriter, MAX_TS_NS } from "../host/pcap/pcap.ts";
import { hostileCaptures, HOSTILE_CAPTURE_DIR } from "./corpus/make-hostile-captures.ts";
import { concatBytes, epb, idb, shb, FRAME_A } from "./corpus/capture-bytes.ts";

const CFG = "examples/portmaster/office.cfg";
const APPLIANCE = "examples/portmaster/office.appliance.json";
const STACK = /^\s+at |RangeError|TypeError|Error:/m;

describe("hostile captures", () => {
  it("the committed files are what the generator makes", () => {
    const committed = readdirSync(HOSTILE_CAPTURE_DIR).filter((f) => /\.pcap(ng)?$/.test(f)).sort();
    expect(committed).toEqual(Object.keys(hostileCaptures).sort());
    for (const [name, c] of Object.entries(hostileCaptures)) {
      expect(Buffer.from(readFileSync(join(HOSTILE_CAPTURE_DIR, name))).equals(Buffer.from(c.bytes)), name).toBe(true);
    }
  });

  for (const [name, c] of Object.entries(hostileCaptures)) {
    it(`${name}: exit 1, the byte offset, the ${c.before} packet(s) before it processed, no stack trace`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "portcullis-hostile-"));
      try {
        const file = join(HOSTILE_CAPTURE_DIR, name);
        const pass = join(dir, "pass.pcap"), drop = join(dir, "drop.pcap");
        const text = bufferIO();
        expect(await main(["replay", CFG, "--appliance", APPLIANCE, "--pcap", file, "--pass", pass, "--drop", drop], text)).toBe(1);
        expect(text.stderr).toMatch(c.message);
        expect(text.stderr).toMatch(/byte offset \d+/);
        expect(text.stderr).not.toMatch(STACK);
        expect(text.stdout).toMatch(new RegExp(`summary: ${c.before} packets`));
        // what was processed was written, and the files are valid captures
        const written = [pass, drop].map((p) => readCaptureFile(p));
        written.forEach((w) => expect(w.error).toBeNull());
        expect(written[0].packets.length + written[1].packets.length).toBe(c.before);

        const json = bufferIO();
        expect(await main(["replay", CFG, "--appliance", APPLIANCE, "--pcap", file, "--json", "--pass", pass], json)).toBe(1);
        expect(json.stderr).not.toMatch(STACK);
        const j = JSON.parse(json.stdout);
        expect(j.packets).toBe(c.before);
        expect(j.verdicts).toHaveLength(c.before);
        expect(j.reasons).toHaveLength(c.before);
        expect(j.error.message).toMatch(c.message);
        expect(typeof j.error.offset).toBe("number");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("show -v --pcap reports the stop with its byte offset, no stack trace", async () => {
    const io = bufferIO();
    const code = await main(["show", CFG, "--appliance", APPLIANCE, "-v", "--pcap", join(HOSTILE_CAPTURE_DIR, "pcapng-if-tsoffset-huge.pcapng")], io);
    expect(io.stderr).not.toMatch(STACK);
    expect(code).toBe(0);
    expect(io.stdout).toMatch(/# counters \(replay of .*, 1 packets; stopped at byte \d+: .*out of range/);
  });
});

describe("files replay cannot open or write", () => {
  const capture = "examples/portmaster/office.pcap";
  it("--pass into a directory that does not exist: exit 1, 'cannot write', no stack trace", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-nowrite-"));
    try {
      const io = bufferIO();
      expect(await main(["replay", CFG, "--appliance", APPLIANCE, "--pcap", capture, "--pass", join(dir, "no", "such", "dir.pcap")], io)).toBe(1);
      expect(io.stderr).toMatch(/portcullis replay: cannot write .*dir\.pcap: ENOENT/);
      expect(io.stderr).not.toMatch(STACK);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("--pcap naming a directory: exit 1, 'cannot read' with the reason, no stack trace", async () => {
    const io = bufferIO();
    expect(await main(["replay", CFG, "--appliance", APPLIANCE, "--pcap", HOSTILE_CAPTURE_DIR], io)).toBe(1);
    expect(io.stderr).toMatch(/cannot read the file \(EISDIR\) at byte 0/);
    expect(io.stderr).not.toMatch(STACK);
  });
});

describe("timestamp bounds (1970 .. 2106, what a classic pcap holds)", () => {
  const T = 1_700_000_000_000_000n;
  it("the last representable nanosecond is read and written back; one more is refused at its block", () => {
    const last = MAX_TS_NS - 1n;
    const ok = readCapture(concatBytes(shb(), idb(1, [{ code: 9, value: Uint8Array.of(9) }]), epb(0, last, FRAME_A)));
    expect(ok.error).toBeNull();
    expect(ok.packets[0].tsNs).toBe(last);
    const back = readCapture(new PcapWriter(1, { nanos: true }).add(last, FRAME_A).toBuffer());
    expect(back.packets[0].tsNs).toBe(last);
    const bytes = concatBytes(shb(), idb(1, [{ code: 9, value: Uint8Array.of(9) }]), epb(0, T, FRAME_A), epb(0, MAX_TS_NS, FRAME_A));
    const over = readCapture(bytes);
    expect(over.packets).toHaveLength(1);
    expect(over.error!.offset).toBe(bytes.length - epb(0, 0n, FRAME_A).length);
  });

  it("more than 65536 interfaces in one section is refused (memory stays bounded)", () => {
    const one = idb(1);
    const many = new Uint8Array(shb().length + one.length * 65537);
    many.set(shb(), 0);
    for (let i = 0; i < 65537; i++) many.set(one, shb().length + i * one.length);
    const c = readCapture(many);
    expect(c.error!.message).toMatch(/more than 65536 interfaces/);
    expect(c.error!.offset).toBe(shb().length + 65536 * one.length);
  });

  it("the writer refuses what a pcap header cannot hold instead of wrapping it", () => {
    const w = new PcapWriter();
    expect(() => w.add(-1n, FRAME_A)).toThrow(RangeError);
    expect(() => w.add(MAX_TS_NS, FRAME_A)).toThrow(RangeError);
    expect(() => w.add(0n, FRAME_A, 2 ** 32)).toThrow(RangeError);
    expect(() => w.add(0n, FRAME_A, -1)).toThrow(RangeError);
    expect(() => new PcapWriter(0x10000)).toThrow(RangeError);
    expect(() => new PcapWriter(1, { snaplen: 2 ** 32 })).toThrow(RangeError);
  });
});
