// The FTP helper: reads FTP control connections and opens, through
// AllowFutureConnect, a pinhole for each data connection they announce:
// `227` (PASV) and `229` (EPSV) replies from the server, `PORT` and `EPRT`
// commands from the client (RFC 959, RFC 2428).
//
// Call `inspect` for every classified frame, after the WebAssembly engine
// decided it (host/runtime's batch loop, or a test driving classifyFrames):
//
//     const results = engine.classifyFrames(frames);
//     const headers = engine.lastHeaders(frames.length);
//     frames.forEach((f, i) => ftp.inspect(f.data, headers[i], results[i], f.meta.timeNs));
//
// Only packets that passed as part of an ESTABLISHED tracked control flow
// are read, so nothing the firewall dropped, and no one who has not finished
// a handshake, can open a pinhole. Each direction is reassembled in sequence
// order up to a line (a command or reply split across segments is joined);
// a gap drops the partial line.
//
// A pinhole opened by packet i must be in place for packet i + 1, which may
// be in the same batch: `classify` parses the batch once (the WebAssembly
// parser), then classifies it in pieces, cut after every control segment
// that carries data, as the parsed headers tell (the batch loop calls it
// instead of classifyFrames).
import * as L from "../../assembly/layout.ts";
import * as C from "../../assembly/conntrack-layout.ts";
import type { WasmEngine, WasmResult, FrameInput } from "../engine/wasm.ts";
import type { FutureConnectResult, FlowHandle } from "./wasm-conntrack.ts";
import type { PacketHeader } from "../engine/header.ts";
import { type Address, parseAddress, formatAddress } from "../model/addr.ts";
import { conntrackOf } from "./wasm-conntrack.ts";

export interface FtpHelperOptions {
  port?: number; // control port (default 21)
  /** Accept an announced address that is not the announcer's own (FXP); default false. */
  allowThirdParty?: boolean;
  /** AllowFutureConnect flags of the pinholes; default TIMEOUT: single use, bound to the session, about a minute. */
  flags?: number;
  maxLine?: number; // longest line kept while waiting for its end (default 512)
}

export interface FtpEvent {
  verb: "227" | "229" | "PORT" | "EPRT";
  address: string;
  port: number;
  result: FutureConnectResult | "third-party-refused";
  id: number | null; // the expectation's id when granted
  session: FlowHandle;
}

interface Stream {
  next: number; // the sequence number of the next byte expected
  buf: string;
  skipping: boolean; // discarding an over-long line up to its end
}

const ESTABLISHED = new Set(["established", "fin-wait"]);

export class FtpHelper {
  private streams = new Map<string, Stream>();
  readonly port: number;
  readonly allowThirdParty: boolean;
  readonly flags: number;
  readonly maxLine: number;
  readonly events: FtpEvent[] = [];

  constructor(private engine: WasmEngine, opts: FtpHelperOptions = {}) {
    this.port = opts.port ?? 21;
    this.allowThirdParty = opts.allowThirdParty ?? false;
    this.flags = opts.flags ?? C.AFC_TIMEOUT;
    this.maxLine = opts.maxLine ?? 512;
  }

  /** classifyFrames plus inspect, with a batch cut after each control segment carrying data. */
  classify(frames: FrameInput[]): WasmResult[] {
    return this.classifyWithHeaders(frames).results;
  }

  /** As classify, also returning the headers the WebAssembly parser read (one per frame). */
  classifyWithHeaders(frames: FrameInput[]): { results: WasmResult[]; headers: PacketHeader[] } {
    const headers = this.engine.parseFrames(frames);
    return { results: this.classifyParsed(frames, headers), headers };
  }

  /**
   * Classify a batch the engine has already parsed (engine.parseFrames gave
   * `headers`), in pieces cut after each control segment, inspecting each
   * piece before the next is classified.
   */
  classifyParsed(frames: FrameInput[], headers: PacketHeader[]): WasmResult[] {
    const results: WasmResult[] = [];
    let start = 0;
    const run = (end: number) => {
      if (end <= start) return;
      const rs = this.engine.classifyParsed(frames, start, end - start);
      rs.forEach((r, k) => this.inspect(frames[start + k].data, headers[start + k], r, frames[start + k].meta.timeNs));
      for (const r of rs) results.push(r);
      start = end;
    };
    for (let i = 0; i < frames.length; i++) {
      if (controlSegment(headers[i], this.port)) run(i + 1);
    }
    run(frames.length);
    return results;
  }

  /** Read one classified frame; returns the data connections it announced (also appended to `events`). */
  inspect(frame: Uint8Array, h: PacketHeader, r: WasmResult, timeNs: bigint): FtpEvent[] {
    if (r.verdict !== "permit" || r.reason !== L.REASON_STATE || r.flow < 0) return [];
    if (h.reason !== L.REASON_OK || h.proto !== 6 || h.frag !== "none" || !h.conn || h.conn.payload === 0) return [];
    const toServer = h.dport === this.port;
    if (!toServer && h.sport !== this.port) return [];
    const session = { id: r.flow, gen: r.flowGen };
    const flow = conntrackOf(this.engine).flow(session);
    if (!flow || !ESTABLISHED.has(flow.state)) return [];
    const doff = (frame[h.l4Offset + 12] >> 4) * 4;
    const start = h.l4Offset + doff;
    const bytes = frame.subarray(start, start + h.conn.payload);
    const lines = this.reassemble(`${session.id}:${session.gen}:${toServer ? "c" : "s"}`, h.conn.seq, bytes);
    const out: FtpEvent[] = [];
    for (const line of lines) {
      const ev = this.announce(line, toServer, h, session, timeNs);
      if (ev) out.push(ev);
    }
    this.events.push(...out);
    this.prune();
    return out;
  }

  private reassemble(key: string, seq: number, bytes: Uint8Array): string[] {
    let s = this.streams.get(key);
    if (!s) {
      s = { next: seq, buf: "", skipping: false };
      this.streams.set(key, s);
    }
    const ahead = (seq - s.next) | 0; // signed distance in sequence space
    if (ahead > 0) {
      s.buf = ""; // lost bytes: the partial line cannot be trusted
      s.skipping = true;
      s.next = seq;
    }
    const skip = ahead < 0 ? -ahead : 0; // a retransmission: only what is new
    if (skip >= bytes.length) return [];
    const fresh = bytes.subarray(skip);
    s.next = (s.next + fresh.length) >>> 0;
    // latin1: one char per byte, so no multi-byte sequence is split.
    let text = s.buf + Buffer.from(fresh).toString("latin1");
    const lines: string[] = [];
    let nl: number;
    while ((nl = text.indexOf("\n")) >= 0) {
      const line = text.slice(0, nl).replace(/\r$/, "");
      if (!s.skipping) lines.push(line);
      s.skipping = false;
      text = text.slice(nl + 1);
    }
    if (text.length > this.maxLine) {
      text = "";
      s.skipping = true;
    }
    s.buf = text;
    return lines;
  }

  private announce(line: string, toServer: boolean, h: PacketHeader, session: FlowHandle, timeNs: bigint): FtpEvent | null {
    let verb: FtpEvent["verb"];
    let address: Address | null;
    let port: number;
    if (!toServer) {
      const pasv = /^227[ -].*?(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/.exec(line);
      const epsv = /^229[ -].*\(([!-~])\1\1(\d{1,5})\1\)/.exec(line);
      if (pasv) {
        const hp = sixNumbers(pasv);
        if (!hp) return null;
        verb = "227";
        ({ address, port } = hp);
      } else if (epsv) {
        verb = "229";
        address = { family: h.family, words: h.src }; // the server's own address, as the parser read it
        port = Number(epsv[2]);
      } else {
        return null;
      }
    } else {
      const portCmd = /^PORT\s+(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})\s*$/i.exec(line);
      const eprt = /^EPRT\s+([!-~])([12])\1([0-9A-Fa-f.:]+)\1(\d{1,5})\1\s*$/i.exec(line);
      if (portCmd) {
        const hp = sixNumbers(portCmd);
        if (!hp) return null;
        verb = "PORT";
        ({ address, port } = hp);
      } else if (eprt) {
        verb = "EPRT";
        address = parseAddress(eprt[3]);
        port = Number(eprt[4]);
        if (!address || address.family !== (eprt[2] === "1" ? 4 : 6)) return null;
      } else {
        return null;
      }
    }
    const announced = address;
    if (!announced || port < 1 || port > 65535) return null;
    const base = { verb, address: formatAddress(announced), port, session };
    // The announcer may only name itself (else: FTP bounce, RFC 2577).
    if (!this.allowThirdParty && !sameAddress(announced, { family: h.family, words: h.src })) {
      return { ...base, result: "third-party-refused", id: null };
    }
    // Passive: the client connects to the server's port. Active: the server
    // connects back to the port the client announced.
    // Addresses go to AllowFutureConnect as the parser's words, never through text.
    const { result, id } = conntrackOf(this.engine).allowFutureConnect({
      session, client: { family: h.family, words: h.dst }, destination: { address: announced, port }, protocol: "tcp", flags: this.flags, timeNs,
    });
    return { ...base, result, id };
  }

  // Forget the streams of sessions that ended, now and then.
  private prune(): void {
    if (this.streams.size < 1024) return;
    for (const key of this.streams.keys()) {
      const [id, gen] = key.split(":").map(Number);
      if (!conntrackOf(this.engine).flow({ id, gen })) this.streams.delete(key);
    }
  }
}

function sameAddress(a: Address, b: Address): boolean {
  return a.family === b.family && a.words.every((w, i) => w === b.words[i]);
}

function sixNumbers(m: RegExpExecArray): { address: Address; port: number } | null {
  const n = m.slice(1, 7).map(Number);
  if (n.some((x) => x > 255)) return null;
  return { address: { family: 4, words: [((n[0] << 24) | (n[1] << 16) | (n[2] << 8) | n[3]) >>> 0] }, port: n[4] * 256 + n[5] };
}

/**
 * Does this parsed packet carry data on the control connection? Exactly the
 * packets `inspect` may read (TCP, not a fragment, to or from the control
 * port, with payload): the batch is cut after each, so the pinhole a line
 * opens is in place for the next packet.
 */
export function controlSegment(h: PacketHeader, port: number): boolean {
  return h.reason === L.REASON_OK && h.proto === 6 && h.frag === "none" && h.conn !== null && h.conn !== undefined && h.conn.payload > 0 &&
    (h.sport === port || h.dport === port);
}
