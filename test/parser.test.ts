// The WebAssembly parser against the reference parser on hostile input:
// every truncation of every wellformed corpus frame, random byte flips, and
// random garbage. They must agree (reason always; every field when the packet
// is well formed), and the WebAssembly side must never trap.
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { DEFAULT_META, type PacketHeader } from "../host/engine/header.ts";

const dir = join(import.meta.dirname, "corpus", "wellformed");
const corpus = readdirSync(dir).filter((f) => f.endsWith(".bin")).map((f) => new Uint8Array(readFileSync(join(dir, f))));

function comparable(h: PacketHeader) {
  return h.reason === L.REASON_OK ? h : { reason: h.reason };
}

let wasm: WasmEngine;
beforeAll(async () => {
  wasm = await WasmEngine.create();
});

function check(frames: Uint8Array[], linkType: number = L.LINK_ETHERNET): void {
  const got = wasm.parseFrames(frames.map((data) => ({ data, meta: DEFAULT_META, linkType })));
  frames.forEach((f, i) => {
    expect(comparable(got[i]), Buffer.from(f).toString("hex")).toEqual(comparable(parsePacketReference(f, linkType)));
  });
}

describe("parser agreement", () => {
  it("every truncation of every wellformed frame", () => {
    const frames: Uint8Array[] = [];
    for (const f of corpus) for (let n = 0; n <= f.length; n++) frames.push(f.slice(0, n));
    check(frames);
    // Truncations must be caught, not read past the end: most are malformed.
    const reasons = frames.map((f) => parsePacketReference(f).reason);
    expect(reasons.filter((r) => r !== L.REASON_OK).length).toBeGreaterThan(frames.length / 2);
  });

  it("random byte flips of wellformed frames (Ethernet and raw IP)", () => {
    fc.assert(
      fc.property(fc.constantFrom(...corpus), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }), (f, flips) => {
        const g = f.slice();
        for (const [pos, val] of flips) g[pos % g.length] = val;
        check([g]);
        check([g.subarray(14)], L.LINK_RAW_IP);
      }),
      { seed: 7, numRuns: 3000 },
    );
  });

  it("random garbage, in batches", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ minLength: 0, maxLength: 120 }), { minLength: 1, maxLength: 64 }), (frames) => {
        check(frames);
      }),
      { seed: 11, numRuns: 300 },
    );
  });
});
