// The FTP helper, replayed over the generated captures (test/captures/
// make-ftp.ts) with rules that permit only the control connection.
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import * as C from "../assembly/conntrack-layout.ts";
import { readCapture } from "../host/pcap/pcap.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { parseAddress, prefixContains, parsePrefix } from "../host/model/addr.ts";
import type { WasmEngine, FrameInput, WasmResult } from "../host/engine/wasm.ts";
import { FtpHelper, controlSegment } from "../host/conntrack/ftp.ts";
import { CAPTURES, pcapBytes, passive, active, passiveMisuse, type Labelled } from "./captures/make-ftp.ts";
import { rule, policy, metaFor, engineWith, out, inb, one, SEC } from "./conntrack/helpers.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const dir = join(import.meta.dirname, "captures");
const LAN_NET = parsePrefix("192.168.0.0/24")!;

// Rules: the client may open the control connection; nothing else.
const controlOnly = () => policy([rule("permit", { proto: 6, ifIn: "lan", dport: { op: "eq", port: 21 } })]);

// Frames of a committed capture, with replay's direction (cli.md) and the generator's labels.
function load(name: string, labelled: Labelled[]): { frames: FrameInput[]; labels: string[] } {
  const cap = readCapture(readFileSync(join(dir, name)));
  expect(cap.error).toBeNull();
  expect(cap.packets).toHaveLength(labelled.length);
  const frames = cap.packets.map((p) => {
    const src = parseAddress([26, 27, 28, 29].map((i) => p.data[i]).join("."))!;
    return { data: p.data, meta: metaFor(prefixContains(LAN_NET, src), p.tsNs) };
  });
  return { frames, labels: labelled.map((p) => p.label) };
}

function verdicts(results: WasmResult[], labels: string[], label: string): string[] {
  return results.filter((_, i) => labels[i] === label).map((r) => r.verdict);
}

async function replay(name: string, labelled: Labelled[], helper: boolean, batch = 1000) {
  const e = await engineWith(controlOnly());
  const { frames, labels } = load(name, labelled);
  const ftp = helper ? new FtpHelper(e) : null;
  const results: WasmResult[] = [];
  for (let i = 0; i < frames.length; i += batch) {
    const chunk = frames.slice(i, i + batch);
    results.push(...(ftp ? ftp.classify(chunk) : e.classifyFrames(chunk)));
  }
  return { e, ftp, results, labels };
}

describe("generated captures", () => {
  it("the committed .pcap files are what make-ftp.ts produces", () => {
    for (const [name, make] of Object.entries(CAPTURES)) {
      expect(Buffer.from(readFileSync(join(dir, name))).equals(Buffer.from(pcapBytes(make()))), name).toBe(true);
    }
  });
});

describe("passive FTP (PASV 227 split across segments, then EPSV 229)", () => {
  it("with the helper, both data connections pass; every packet passes", async () => {
    for (const batch of [1, 7, 1000]) {
      const { e, ftp, results, labels } = await replay("ftp-passive.pcap", passive(), true, batch);
      expect(results.map((r) => r.verdict).every((v) => v === "permit"), `batch ${batch}`).toBe(true);
      const firstData = results[labels.indexOf("data1")];
      expect(firstData.reason).toBe(L.REASON_EXPECTED);
      expect(results[labels.indexOf("data2")].reason).toBe(L.REASON_EXPECTED);
      expect(ftp!.events.map((ev) => [ev.verb, ev.address, ev.port, ev.result])).toEqual([
        ["227", "10.0.0.20", 50000, "granted"], ["229", "10.0.0.20", 50001, "granted"],
      ]);
      expect(conntrackOf(e).stats()).toMatchObject({ expectGranted: 2, expectUsed: 2, expectLive: 0 });
    }
  });

  it("without the helper, the data connections are dropped", async () => {
    const { results, labels } = await replay("ftp-passive.pcap", passive(), false);
    expect(verdicts(results, labels, "ctl").every((v) => v === "permit")).toBe(true);
    expect(verdicts(results, labels, "data1")[0]).toBe("deny");
    expect(verdicts(results, labels, "data2")[0]).toBe("deny");
  });
});

describe("active FTP (PORT split across segments, then EPRT)", () => {
  it("with the helper, the server's connections back pass", async () => {
    const { ftp, results, labels } = await replay("ftp-active.pcap", active(), true);
    expect(results.every((r) => r.verdict === "permit")).toBe(true);
    expect(results[labels.indexOf("data1")].reason).toBe(L.REASON_EXPECTED);
    expect(ftp!.events.map((ev) => [ev.verb, ev.address, ev.port, ev.result])).toEqual([
      ["PORT", "192.168.0.10", 45000, "granted"], ["EPRT", "192.168.0.10", 45001, "granted"],
    ]);
  });

  it("without the helper, they are dropped", async () => {
    const { results, labels } = await replay("ftp-active.pcap", active(), false);
    expect(verdicts(results, labels, "data1")[0]).toBe("deny");
    expect(verdicts(results, labels, "data2")[0]).toBe("deny");
  });
});

describe("misuse", () => {
  it("unannounced port or address, a second connection, a third-party address and a late connection are dropped", async () => {
    const { e, ftp, results, labels } = await replay("ftp-passive-misuse.pcap", passiveMisuse(), true);
    for (const bad of ["wrong-port", "wrong-addr", "second", "third-party", "late"]) {
      expect(verdicts(results, labels, bad), bad).toEqual(["deny"]);
    }
    expect(verdicts(results, labels, "data").every((v) => v === "permit")).toBe(true);
    expect(ftp!.events.map((ev) => ev.result)).toEqual(["granted", "third-party-refused", "granted"]);
    conntrackOf(e).sweep();
    expect(conntrackOf(e).stats()).toMatchObject({ expectGranted: 2, expectUsed: 1, expectExpired: 1 });
  });

  it("a third-party address is accepted when configured", async () => {
    const e = await engineWith(controlOnly());
    const { frames, labels } = load("ftp-passive-misuse.pcap", passiveMisuse());
    const ftp = new FtpHelper(e, { allowThirdParty: true });
    const results = ftp.classify(frames);
    expect(results[labels.indexOf("third-party")].reason).toBe(L.REASON_EXPECTED);
  });
});

describe("what the helper reads", () => {
  async function established(e: WasmEngine) {
    const c = (flags: string, seq: number, ack = 0, payload?: string) =>
      tcpPacket({ src: "192.168.0.10", dst: "10.0.0.20", sport: 40000, dport: 21, flags, seq, ack, payload: payload ? new TextEncoder().encode(payload) : undefined });
    const s = (flags: string, seq: number, ack = 0, payload?: string) =>
      tcpPacket({ src: "10.0.0.20", dst: "192.168.0.10", sport: 21, dport: 40000, flags, seq, ack, payload: payload ? new TextEncoder().encode(payload) : undefined });
    return { c, s };
  }
  const frame = (data: Uint8Array, fromLan: boolean, t = 0n): FrameInput => ({ data, meta: fromLan ? out(t) : inb(t) });

  it("ignores a 227 outside an established control flow", async () => {
    const e = await engineWith(controlOnly());
    const { c, s } = await established(e);
    const ftp = new FtpHelper(e);
    // No handshake: the server's reply is not part of any flow (and is dropped).
    ftp.classify([frame(s("PA", 1, 1, "227 Entering Passive Mode (10,0,0,20,195,80)\r\n"), false)]);
    // Handshake half done: SYN-RECV is not established.
    ftp.classify([frame(c("S", 100), true), frame(s("SA", 500, 101), false)]);
    ftp.classify([frame(s("PA", 501, 101, "227 Entering Passive Mode (10,0,0,20,195,80)\r\n"), false)]);
    expect(ftp.events).toEqual([]);
    expect(conntrackOf(e).expectations()).toEqual([]);
  });

  it("ignores a retransmitted announcement, and drops a line that lost a segment", async () => {
    const e = await engineWith(controlOnly());
    const { c, s } = await established(e);
    const ftp = new FtpHelper(e, { flags: C.AFC_ALLOW_MULTIPLE });
    const line = "227 Entering Passive Mode (10,0,0,20,195,80)\r\n";
    ftp.classify([frame(c("S", 100), true), frame(s("SA", 500, 101), false), frame(c("A", 101, 501), true)]);
    ftp.classify([frame(s("PA", 501, 101, line), false), frame(s("PA", 501, 101, line), false)]);
    expect(ftp.events).toHaveLength(1);
    // "227 Entering" then a segment lost, then the rest: no pinhole.
    const next = 501 + line.length;
    ftp.classify([frame(s("PA", next, 101, "227 Entering "), false)]);
    ftp.classify([frame(s("PA", next + 13 + 5, 101, "Passive Mode (10,0,0,20,195,81)\r\n"), false)]);
    expect(ftp.events).toHaveLength(1);
  });

  it("controlSegment spots data on the control port only", async () => {
    const e = await engineWith(controlOnly());
    const f = (sport: number, dport: number, payload?: string): FrameInput =>
      frame(tcpPacket({ src: "192.168.0.10", dst: "10.0.0.20", sport, dport, flags: "PA", payload: payload ? new TextEncoder().encode(payload) : undefined }), true);
    // Read from the headers the WebAssembly parser wrote: the frame is not parsed again.
    const frames = [f(40000, 21, "PASV\r\n"), f(21, 40000, "227 x\r\n"), f(40000, 21), f(40000, 80, "GET /\r\n")];
    const headers = e.parseFrames(frames);
    expect(headers.map((h) => controlSegment(h, 21))).toEqual([true, true, false, false]);
  });

  it("is used per frame through inspect() as well (the lead's batch loop)", async () => {
    const e = await engineWith(controlOnly());
    const { c, s } = await established(e);
    const ftp = new FtpHelper(e);
    const frames = [frame(c("S", 100), true), frame(s("SA", 500, 101), false), frame(c("A", 101, 501), true),
      frame(s("PA", 501, 101, "227 Entering Passive Mode (10,0,0,20,195,80)\r\n"), false, SEC)];
    const rs = e.classifyFrames(frames);
    const hs = e.lastHeaders(frames.length);
    const evs = frames.flatMap((f, i) => ftp.inspect(f.data, hs[i], rs[i], f.meta.timeNs));
    expect(evs.map((x) => x.result)).toEqual(["granted"]);
    expect(one(e, tcpPacket({ src: "192.168.0.10", dst: "10.0.0.20", sport: 40001, dport: 50000, flags: "S" }), out(SEC)).reason).toBe(L.REASON_EXPECTED);
  });
});
