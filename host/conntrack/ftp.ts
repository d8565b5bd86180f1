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
// be in the same batch: `classify` cuts batches after every control segment
// that carries data (the lead's batch loop can call it instead of
// classifyFrames).
import * as L from "../../assembly/layout.ts";
import * as C from "../../assembly/conntrack-layout.ts";
import type { WasmEngine, WasmResult, FrameInput } from "../engine/wasm.ts";
import type { FutureConnectResult, FlowHandle } from "./wasm-conntrack.ts";
import type { PacketHeader } from "../engine/header.ts";
import { walkEthernet, ipVersionOf } from "../packet/ethernet.ts";
import { type Address, parseAddress } from "../model/addr.ts";
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
    const results: WasmResult[] = [];
    const headers: PacketHeader[] = [];
    let start = 0;
    const run = (end: number) => {
      if (end <= start) return;
      const chunk = frames.slice(start, end);
      const rs = this.engine.classifyFrames(chunk);
      const hs = this.engine.lastHeaders(chunk.length);
      chunk.forEach((f, i) => this.inspect(f.data, hs[i], rs[i], f.meta.timeNs));
      results.push(...rs);
      headers.push(...hs);
      start = end;
    };
    for (let i = 0; i < frames.length; i++) {
      if (controlSegment(frames[i], this.port)) run(i + 1);
    }
    run(frames.length);
    return { results, headers };
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
    const src = wordsText(h.family, h.src);
    const dst = wordsText(h.family, h.dst);
    let verb: FtpEvent["verb"];
    let address: string;
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
        address = src;
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
        address = eprt[3];
        port = Number(eprt[4]);
        const a = parseAddress(address);
        if (!a || a.family !== (eprt[2] === "1" ? 4 : 6)) return null;
      } else {
        return null;
      }
    }
    const announced = parseAddress(address);
    if (!announced || port < 1 || port > 65535) return null;
    const base = { verb, address, port, session };
    // The announcer may only name itself (else: FTP bounce, RFC 2577).
    if (!this.allowThirdParty && !sameAddress(announced, { family: h.family, words: h.src })) {
      return { ...base, result: "third-party-refused", id: null };
    }
    // Passive: the client connects to the server's port. Active: the server
    // connects back to the port the client announced.
    const { result, id } = conntrackOf(this.engine).allowFutureConnect({
      session, client: dst, destination: { address, port }, protocol: "tcp", flags: this.flags, timeNs,
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

function wordsText(family: 4 | 6, words: number[]): string {
  if (family === 4) return [24, 16, 8, 0].map((s) => (words[0] >>> s) & 255).join(".");
  return words.flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(":");
}

// A cheap look at a raw frame: TCP to or from the control port, with data?
// (IPv6 extension headers are not walked: such a segment is still inspected,
// only without a batch cut after it.)
/** The "h1,h2,h3,h4,p1,p2" of a 227 reply or a PORT command: an IPv4 address and port, or null if a number is over 255. */
function sixNumbers(m: RegExpExecArray): { address: string; port: number } | null {
  const n = m.slice(1, 7).map(Number);
  if (n.some((x) => x > 255)) return null;
  return { address: n.slice(0, 4).join("."), port: n[4] * 256 + n[5] };
}

export function controlSegment(f: FrameInput, port: number): boolean {
  const b = f.data;
  let off = 0;
  let version: number;
  if ((f.linkType ?? L.LINK_ETHERNET) === L.LINK_ETHERNET) {
    const w = walkEthernet(b); // the one walker's rule: at most one 802.1Q tag
    if (w.truncated) return false;
    off = w.l3;
    version = ipVersionOf(w);
  } else {
    version = b.length > 0 ? b[0] >> 4 : 0;
  }
  let l4: number;
  let end: number;
  if (version === 4) {
    if (b.length < off + 20 || b[off + 9] !== 6) return false;
    l4 = off + (b[off] & 15) * 4;
    end = off + ((b[off + 2] << 8) | b[off + 3]);
  } else if (version === 6) {
    if (b.length < off + 40 || b[off + 6] !== 6) return false;
    l4 = off + 40;
    end = l4 + ((b[off + 4] << 8) | b[off + 5]);
  } else {
    return false;
  }
  if (b.length < l4 + 20) return false;
  const sport = (b[l4] << 8) | b[l4 + 1];
  const dport = (b[l4 + 2] << 8) | b[l4 + 3];
  return (sport === port || dport === port) && end - l4 - (b[l4 + 12] >> 4) * 4 > 0;
}
