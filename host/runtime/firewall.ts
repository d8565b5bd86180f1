// The batch pipeline shared by `replay`, `explain`-style tools and the live
// appliance: frames in, verdicts out, through the WebAssembly engine; then
// what follows from a verdict: per-rule log and notify messages, and ICMP
// unreachables for denied packets where the dialect sends them.
import * as L from "../../assembly/layout.ts";
import { WasmEngine, type WasmResult, type FrameInput } from "../engine/wasm.ts";
import type { PacketHeader, PacketMeta } from "../engine/header.ts";
import type { Policy } from "../model/rule.ts";
import type { Appliance } from "../model/appliance.ts";
import { packetMeta } from "../engine/header.ts";
import { formatAddress } from "../model/addr.ts";
import { TokenBucket } from "../log/token-bucket.ts";
import type { PacketEvent } from "../log/packet-event.ts";
import { pathOf, dirCode, type Path } from "../engine/direction.ts";
import { FtpHelper } from "../conntrack/ftp.ts";
import { RuleBook, KEY_BYTES } from "./rule-book.ts";

export interface Frame {
  data: Uint8Array;
  tsNs: bigint;
  linkType: number; // LINK_ETHERNET or LINK_RAW_IP
  /** Interfaces the frame crossed; when absent they are inferred from its addresses (replay). */
  path?: { ifIn: number; ifOut: number };
}

export interface Outcome extends WasmResult {
  header: PacketHeader;
  path: Path;
  events: PacketEvent[]; // log and notify messages this packet caused
  unreachable: boolean; // an ICMP unreachable is due (and within the rate limit)
}

export interface EventSink {
  (ev: PacketEvent, tsNs: bigint): void;
}

export interface FirewallOptions {
  force?: { in?: number; out?: number };
  onEvent?: EventSink;
  /** ICMP unreachables per second (token bucket, burst 2x) for denied packets; 0 disables. */
  unreachableRate?: number;
  /** The FTP helper (pinholes for data connections announced on port 21); on unless false. */
  ftpHelper?: boolean;
}

/** A placeholder until the parsed header tells a replayed frame's path (process()). */
const UNKNOWN_PATH: Path = { ifIn: 0, ifOut: 0, dir: L.DIR_OTHER };

const ICMP_ERROR_TYPES4 = new Set([3, 4, 5, 11, 12]);
/** The events of a packet that caused none: shared, never written (follow() gives a packet its own list). */
const NO_EVENTS: PacketEvent[] = Object.freeze([]) as unknown as PacketEvent[];
const isLogged = (flags: Uint8Array, idx: number) => idx >= 0 && flags[idx] === 1;

export class Firewall {
  private unreachables: TokenBucket;
  unreachablesSuppressed = 0;
  ftp: FtpHelper | null;

  private constructor(
    public engine: WasmEngine,
    /** What logging, status and the counters' carry-over read of the rules (compact). */
    public book: RuleBook,
    /**
     * The full rule model, when the caller handed one over (replay, tests, the
     * console's packet tester); the live appliance without its console keeps
     * only the book.
     */
    public policy: Policy | null,
    readonly appliance: Appliance,
    readonly opts: FirewallOptions,
    public program: Uint8Array,
  ) {
    this.ftp = opts.ftpHelper === false ? null : new FtpHelper(engine);
    const rate = opts.unreachableRate ?? 10;
    this.unreachables = new TokenBucket(Math.max(rate, 0.0001), Math.max(1, rate * 2));
  }

  /** A firewall running `program`; its rules given as the full model (kept) or as a book only. */
  static async create(rules: Policy | RuleBook, program: Uint8Array, appliance: Appliance, opts: FirewallOptions = {}): Promise<Firewall> {
    const engine = await WasmEngine.create();
    engine.load(program);
    const { book, policy } = bookOf(rules);
    return new Firewall(engine, book, policy, appliance, opts, program);
  }

  /**
   * A fresh WebAssembly instance running the same program, after the old one
   * trapped (its memory may be inconsistent). Rule and default counters carry
   * over where the old memory still reads; the connection table and the FTP
   * helper's pinholes do not: traffic that relied on them is judged by the
   * rules again (fail closed).
   */
  async recreateEngine(): Promise<void> {
    const engine = await WasmEngine.create();
    engine.load(this.program);
    try {
      this.engine.counters().forEach((c, i) => engine.setCounter(i, c.packets, c.bytes));
      this.engine.defaultCounters().forEach((c, k) => engine.setDefaultCounter(k, c.packets, c.bytes));
    } catch {
      engine.resetCounters();
    }
    this.engine = engine;
    this.ftp = this.opts.ftpHelper === false ? null : new FtpHelper(engine);
  }

  /** Classify a batch of frames in order (state, when it exists, sees them in this order). */
  process(frames: Frame[]): Outcome[] {
    // Each frame is parsed once, by the WebAssembly parser, and everything
    // here reads that parse. The live bridge knows each frame's ports, so one
    // call parses and classifies. A replay infers a frame's path from its
    // addresses, and the FTP helper cuts the batch after each control
    // segment (a pinhole it opens is in place for the very next packet):
    // both read the headers first, then classify the parsed tuples.
    // Per frame on the live path: nothing computed twice. A batch shares its
    // time and its few interface pairs, so the local time and each pair's
    // direction and descriptor fields are worked out once and shared.
    const paths: Path[] = new Array(frames.length);
    const inputs: FrameInput[] = new Array(frames.length);
    let inferred = false;
    let metaTs = -1n;
    let metas = new Map<number, { path: Path; meta: PacketMeta }>();
    for (let i = 0; i < frames.length; i++) {
      const f = frames[i];
      let path: Path, meta: PacketMeta;
      if (f.path) {
        if (f.tsNs !== metaTs) { metaTs = f.tsNs; metas = new Map(); }
        const key = f.path.ifIn * 65536 + f.path.ifOut;
        let m = metas.get(key);
        if (!m) {
          const p = { ifIn: f.path.ifIn, ifOut: f.path.ifOut, dir: dirCode(this.appliance, f.path.ifIn, f.path.ifOut) };
          m = { path: p, meta: packetMeta(f.tsNs, this.appliance.timezone, p.ifIn, p.ifOut, p.dir) };
          metas.set(key, m);
        }
        path = m.path;
        meta = m.meta;
      } else {
        inferred = true;
        path = UNKNOWN_PATH; // until the parsed header tells it, below
        meta = packetMeta(f.tsNs, this.appliance.timezone, path.ifIn, path.ifOut, path.dir);
      }
      paths[i] = path;
      inputs[i] = { data: f.data, linkType: f.linkType, meta };
    }
    let results: WasmResult[];
    let headers: PacketHeader[];
    if (!inferred && !this.ftp) {
      results = this.engine.classifyFrames(inputs);
      headers = this.engine.lastHeaders(inputs.length);
    } else {
      headers = this.engine.parseFrames(inputs);
      if (inferred) {
        for (let i = 0; i < frames.length; i++) {
          const f = frames[i];
          if (f.path) continue;
          paths[i] = pathOf(this.appliance, headers[i], this.opts.force);
          inputs[i].meta = packetMeta(f.tsNs, this.appliance.timezone, paths[i].ifIn, paths[i].ifOut, paths[i].dir);
          this.engine.setTupleMeta(i, inputs[i].meta);
        }
      }
      results = this.ftp ? this.ftp.classifyParsed(inputs, headers) : this.engine.classifyParsed(inputs);
    }
    const out: Outcome[] = new Array(results.length);
    const logged = this.loggedRules();
    for (let i = 0; i < results.length; i++) {
      const r = results[i];
      // One literal of one shape (not a spread of the result): the common case allocates nothing else.
      const o: Outcome = {
        verdict: r.verdict, rule: r.rule, reason: r.reason, stage: r.stage, marks: r.marks,
        inputRule: r.inputRule, outputRule: r.outputRule, monitorRule: r.monitorRule,
        flow: r.flow, flowGen: r.flowGen, ctFlags: r.ctFlags,
        header: headers[i], path: paths[i], events: NO_EVENTS, unreachable: false,
      };
      // The rest only for a packet that touched a rule that logs or notifies, or a denied one.
      if (o.verdict === "deny" || isLogged(logged, o.inputRule) || isLogged(logged, o.outputRule) || isLogged(logged, o.monitorRule)) {
        o.events = [];
        this.follow(o, frames[i].tsNs);
      }
      out[i] = o;
    }
    return out;
  }

  private logged: { book: RuleBook; rules: Uint8Array } | null = null;

  /** Per rule of the running rules: 1 if it logs or notifies (built once per rule book). */
  private loggedRules(): Uint8Array {
    if (this.logged?.book !== this.book) {
      const flags = new Uint8Array(this.book.count);
      for (let i = 0; i < flags.length; i++) if (this.book.log(i) || this.book.notify(i)) flags[i] = 1;
      this.logged = { book: this.book, rules: flags };
    }
    return this.logged.rules;
  }

  private follow(o: Outcome, tsNs: bigint): void {
    const seen = new Set<number>();
    for (const idx of [o.inputRule, o.outputRule, o.monitorRule]) {
      if (idx < 0 || seen.has(idx)) continue;
      seen.add(idx);
      if (!this.book.has(idx)) continue;
      for (const kind of ["log", "notify"] as const) {
        if (!(kind === "log" ? this.book.log(idx) : this.book.notify(idx))) continue;
        const ev = this.event(kind, idx, o);
        o.events.push(ev);
        this.opts.onEvent?.(ev, tsNs);
      }
    }
    if (o.verdict === "deny" && this.book.unreachables && this.wantsUnreachable(o)) {
      if (this.unreachables.take(Number(tsNs / 1000000n))) o.unreachable = true;
      else this.unreachablesSuppressed++;
    }
  }

  // No unreachable for malformed packets, for ICMP errors (RFC 1122 4.2.3.9
  // style: never answer an error with an error), or for broadcast-ish sources.
  private wantsUnreachable(o: Outcome): boolean {
    const h = o.header;
    if (h.reason !== L.REASON_OK) return false;
    if (h.family === 4 && h.proto === 1 && h.icmpType !== null && ICMP_ERROR_TYPES4.has(h.icmpType)) return false;
    if (h.family === 6 && h.proto === 58 && h.icmpType !== null && h.icmpType < 128) return false;
    if (h.family === 4 && (h.src[0] === 0 || h.src[0] === 0xffffffff || h.src[0] >>> 28 === 14)) return false;
    return h.frag !== "later";
  }

  event(kind: "log" | "notify", index: number, o: Outcome): PacketEvent {
    const b = this.book;
    const h = o.header;
    const decidedHere = index === o.rule;
    return {
      kind,
      ruleset: b.rulesetName(index),
      rule: b.number(index),
      ruleIndex: index,
      file: b.file(index),
      line: b.line(index),
      // A monitor (log-only) rule reports the packet's final verdict; a deciding rule its own action.
      action: decidedHere || index === o.monitorRule ? o.verdict : b.action(index),
      proto: h.proto,
      src: formatAddress({ family: h.family, words: h.src }),
      dst: formatAddress({ family: h.family, words: h.dst }),
      ...(h.sport !== null ? { sport: h.sport, dport: h.dport! } : {}),
      ...(h.icmpType !== null ? { icmpType: h.icmpType, icmpCode: h.icmpCode! } : {}),
      iface: this.appliance.interfaces[o.path.ifIn]?.name,
      length: h.length,
    };
  }

  counters() {
    return this.engine.counters();
  }

  defaultCounters() {
    return this.engine.defaultCounters();
  }

  /**
   * Swap in a new policy and program (call it between batches; JavaScript
   * runs one batch at a time, so any call outside process() is). The engine
   * stays, and with it the connection table. Counters carry over for every
   * rule whose content (everything but its line and column) and ruleset are
   * unchanged, and for the defaults of a ruleset whose name and defaults are
   * unchanged. If the engine refuses the program, this throws and the old
   * rules keep running.
   */
  reload(rules: Policy | RuleBook, program: Uint8Array): { carried: number; reset: number } {
    const old = this.book;
    const { book, policy } = bookOf(rules);
    // Copies in typed arrays, not an object per rule: a reload of 10,000
    // rules must not leave a heap's worth of survivors in the forwarding thread.
    const oldCounters = this.engine.counterView().slice();
    const oldDefaults = this.engine.defaultCounters();
    this.engine.load(program); // throws, with the running program intact, on a bad program
    this.book = book;
    this.policy = policy;
    this.program = program;
    this.engine.resetCounters();
    const from = matchRules(old, book);
    let carried = 0;
    for (let i = 0; i < book.count; i++) {
      if (from[i] < 0) continue;
      this.engine.setCounter(i, oldCounters[2 * from[i]], oldCounters[2 * from[i] + 1]);
      carried++;
    }
    book.rulesets.forEach((rs, k) => {
      const j = old.rulesets.findIndex((o) => o.name === rs.name && JSON.stringify(o.defaults) === JSON.stringify(rs.defaults));
      const c = j >= 0 ? oldDefaults[j] : { packets: 0n, bytes: 0n };
      this.engine.setDefaultCounter(k, c.packets, c.bytes);
    });
    return { carried, reset: book.count - carried };
  }
}

/**
 * For each rule of `now`, the rule of `before` with the same identity
 * (RuleBook.key), or -1. Identical rules pair up in order, so each old rule
 * is used once. An open-addressing table over the key digests, in typed
 * arrays only.
 */
export function matchRules(before: RuleBook, now: RuleBook): Int32Array {
  const a = before.data.keys, b = now.data.keys, K = KEY_BYTES;
  let size = 16;
  while (size < 2 * before.count) size <<= 1;
  const mask = size - 1;
  const head = new Int32Array(size).fill(-1), tail = new Int32Array(size).fill(-1), next = new Int32Array(before.count).fill(-1);
  const hash = (k: Uint8Array, i: number) => (k[i * K] | (k[i * K + 1] << 8) | (k[i * K + 2] << 16) | (k[i * K + 3] << 24)) & mask;
  const same = (x: number, y: number, k: Uint8Array) => { for (let j = 0; j < K; j++) if (a[x * K + j] !== k[y * K + j]) return false; return true; };
  const slotOf = (k: Uint8Array, i: number) => {
    let s = hash(k, i);
    while (tail[s] >= 0 && !same(tail[s], i, k)) s = (s + 1) & mask;
    return s;
  };
  for (let i = 0; i < before.count; i++) {
    const s = slotOf(a, i);
    if (tail[s] < 0) head[s] = i; else next[tail[s]] = i;
    tail[s] = i;
  }
  const from = new Int32Array(now.count).fill(-1);
  for (let i = 0; i < now.count; i++) {
    const s = slotOf(b, i);
    if (tail[s] < 0 || head[s] < 0) continue;
    from[i] = head[s];
    head[s] = next[head[s]];
  }
  return from;
}

function bookOf(rules: Policy | RuleBook): { book: RuleBook; policy: Policy | null } {
  return rules instanceof RuleBook ? { book: rules, policy: null } : { book: RuleBook.fromPolicy(rules), policy: rules };
}

export { ruleKey } from "./rule-book.ts";
