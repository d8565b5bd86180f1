// The malformed and wellformed packet corpus, through BOTH engines: the
// WebAssembly parser and matcher, and the TypeScript reference parser and
// matcher. Each malformed frame must be dropped with exactly the reason its
// manifest names; each wellformed frame must parse to its manifest entry.
// Also: the committed files match their generator.
import { describe, expect, it, beforeAll } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { malformed, wellformed, type ExpectedParse } from "./corpus/make-malformed.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { parsePacketReference } from "../host/engine/parse-packet.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { REASON_NAMES } from "../host/engine/reasons.ts";
import { formatAddress } from "../host/model/addr.ts";
import { anyRule, type Policy } from "../host/model/rule.ts";
import type { PacketHeader } from "../host/engine/header.ts";
import { DEFAULT_META } from "../host/engine/header.ts";

const root = join(import.meta.dirname, "corpus");

// A policy that permits everything by rule: a malformed packet must still be dropped.
const PERMIT_ALL: Policy = {
  dialect: "test", interfaces: ["lan", "wan"], input: [0, 0], output: [null, null],
  rulesets: [{ name: "all", rules: [anyRule("permit", { dialect: "test", file: "t", line: 1, column: 1, text: "permit all" })], defaults: { inbound: "permit", outbound: "permit", other: "permit" }, stateful: false }],
};

function asExpected(h: PacketHeader): ExpectedParse {
  const out: ExpectedParse = {
    family: h.family, proto: h.proto,
    src: formatAddress({ family: h.family, words: h.src }), dst: formatAddress({ family: h.family, words: h.dst }),
    frag: h.frag,
  } as ExpectedParse;
  if (h.sport !== null) Object.assign(out, { sport: h.sport, dport: h.dport });
  if (h.tcpFlags !== null) Object.assign(out, { tcpFlags: h.tcpFlags });
  if (h.icmpType !== null) Object.assign(out, { icmpType: h.icmpType, icmpCode: h.icmpCode });
  return out;
}

let wasm: WasmEngine;
beforeAll(async () => {
  wasm = await WasmEngine.create();
  wasm.load(encodePolicy(PERMIT_ALL));
});

function loadDir(dir: string) {
  const manifest = JSON.parse(readFileSync(join(root, dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith(".bin")).sort();
  return { manifest, files };
}

const REASONS = [
  "truncated-ethernet", "not-ip", "truncated-ipv4", "bad-version", "bad-ihl", "bad-total-length", "truncated-ipv6",
  "bad-payload-length", "bad-extension-header", "tiny-fragment", "fragment-overlap", "truncated-l4", "bad-tcp-offset",
];

describe("malformed corpus", () => {
  const { manifest, files } = loadDir("malformed");

  it("manifest lists exactly the .bin files, with known reasons, at least 2 per reason", () => {
    expect(Object.keys(manifest).sort()).toEqual(files);
    const counts = new Map<string, number>();
    for (const r of Object.values(manifest)) counts.set(r as string, (counts.get(r as string) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...REASONS].sort());
    for (const r of REASONS) expect(counts.get(r), r).toBeGreaterThanOrEqual(2);
  });

  it("committed files match the generator", () => {
    for (const [name, reason, data] of malformed()) {
      expect(manifest[name], name).toBe(reason);
      expect(Buffer.from(readFileSync(join(root, "malformed", name))).equals(Buffer.from(data)), name).toBe(true);
    }
    expect(malformed().length).toBe(files.length);
  });

  it("both engines drop every frame with exactly the named reason", () => {
    const frames = files.map((f) => new Uint8Array(readFileSync(join(root, "malformed", f))));
    const wasmResults = wasm.classifyFrames(frames.map((data) => ({ data, meta: DEFAULT_META })));
    const ref = new ReferenceEngine(PERMIT_ALL);
    files.forEach((f, i) => {
      const h = parsePacketReference(frames[i]);
      expect(REASON_NAMES[h.reason], `reference parser: ${f}`).toBe(manifest[f]);
      const r = ref.classify(h, DEFAULT_META);
      expect({ verdict: r.verdict, reason: REASON_NAMES[r.reason] }, `reference: ${f}`).toEqual({ verdict: "deny", reason: manifest[f] });
      const w = wasmResults[i];
      expect({ verdict: w.verdict, reason: REASON_NAMES[w.reason], rule: w.rule }, `wasm: ${f}`).toEqual({ verdict: "deny", reason: manifest[f], rule: -1 });
    });
  });

  it("IP-independent reasons have IPv4 and IPv6 variants, and some have VLAN variants", () => {
    for (const r of ["bad-version", "tiny-fragment", "fragment-overlap", "truncated-l4", "bad-tcp-offset"]) {
      const names = files.filter((f) => manifest[f] === r);
      expect(names.some((n) => n.includes("ipv4")), r).toBe(true);
      expect(names.some((n) => n.includes("ipv6")), r).toBe(true);
    }
    expect(files.filter((f) => f.startsWith("vlan-")).length).toBeGreaterThanOrEqual(10);
  });
});

describe("wellformed corpus", () => {
  const { manifest, files } = loadDir("wellformed");

  it("manifest lists exactly the .bin files and they match the generator", () => {
    expect(Object.keys(manifest).sort()).toEqual(files);
    for (const [name, exp, data] of wellformed()) {
      expect(manifest[name], name).toEqual(exp);
      expect(Buffer.from(readFileSync(join(root, "wellformed", name))).equals(Buffer.from(data)), name).toBe(true);
    }
  });

  it("both parsers give every frame its manifest entry, and both engines permit it by rule", () => {
    const frames = files.map((f) => new Uint8Array(readFileSync(join(root, "wellformed", f))));
    const parsed = wasm.parseFrames(frames.map((data) => ({ data, meta: DEFAULT_META })));
    const results = wasm.classifyFrames(frames.map((data) => ({ data, meta: DEFAULT_META })));
    files.forEach((f, i) => {
      const h = parsePacketReference(frames[i]);
      expect(h.reason, f).toBe(0);
      expect(asExpected(h), `reference parser: ${f}`).toEqual(manifest[f]);
      expect(parsed[i].reason, f).toBe(0);
      expect(asExpected(parsed[i]), `wasm parser: ${f}`).toEqual(manifest[f]);
      expect(results[i], f).toMatchObject({ verdict: "permit", rule: 0 });
    });
    const frags = new Set(Object.values(manifest).map((m) => (m as ExpectedParse).frag));
    expect([...frags].sort()).toEqual(["first", "later", "none"]);
  });
});
