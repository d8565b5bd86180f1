// The batch pipeline shared by `replay`, `explain`-style tools and the live
// appliance: frames in, verdicts out, through the WebAssembly engine; then
// what follows from a verdict: per-rule log and notify messages, and ICMP
// unreachables for denied packets where the dialect sends them.
import * as L from "../../assembly/layout.ts";
import { WasmEngine, type WasmResult, type FrameInput } from "../engine/wasm.ts";
import { parsePacketReference } from "../engine/parse-packet.ts";
import type { PacketHeader, PacketMeta } from "../engine/header.ts";
import { type Policy, type Rule, ruleAt, allRules } from "../model/rule.ts";
import type { Appliance } from "../model/appliance.ts";
import { packetMeta } from "../engine/header.ts";
import { formatAddress } from "../model/addr.ts";
import { TokenBucket } from "../log/token-bucket.ts";
import type { PacketEvent } from "../log/packet-event.ts";
import { pathOf, dirCode, type Path } from "../engine/direction.ts";
import { FtpHelper } from "../conntrack/ftp.ts";
import { createHash } from "node:crypto";

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
    public policy: Policy,
    readonly appliance: Appliance,
    readonly opts: FirewallOptions,
    public program: Uint8Array,
    private keys: string[] = policyRuleKeys(policy),
  ) {
    this.ftp = opts.ftpHelper === false ? null : new FtpHelper(engine);
    const rate = opts.unreachableRate ?? 10;
    this.unreachables = new TokenBucket(Math.max(rate, 0.0001), Math.max(1, rate * 2));
  }

  static async create(policy: Policy, program: Uint8Array, appliance: Appliance, opts: FirewallOptions = {}): Promise<Firewall> {
    const engine = await WasmEngine.create();
    engine.load(program);
    return new Firewall(engine, policy, appliance, opts, program);
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
    // Inferring a frame's path needs its addresses before classification (a
    // replay); the live bridge knows its ports, and then the headers come
    // from the WebAssembly parser's pass instead of a second parse here.
    const early = frames.some((f) => !f.path) ? frames.map((f) => parsePacketReference(f.data, f.linkType)) : null;
    // Per frame on the live path: nothing computed twice. A batch shares its
    // time and its few interface pairs, so the local time and each pair's
    // direction and descriptor fields are worked out once and shared.
    const paths: Path[] = new Array(frames.length);
    const inputs: FrameInput[] = new Array(frames.length);
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
        path = pathOf(this.appliance, early![i], this.opts.force);
        meta = packetMeta(f.tsNs, this.appliance.timezone, path.ifIn, path.ifOut, path.dir);
      }
      paths[i] = path;
      inputs[i] = { data: f.data, linkType: f.linkType, meta };
    }
    // The FTP helper cuts the batch after each control segment, so a pinhole
    // it opens is in place for the very next packet.
    const { results, headers: parsed } = this.ftp
      ? this.ftp.classifyWithHeaders(inputs)
      : { results: this.engine.classifyFrames(inputs), headers: null };
    const headers: PacketHeader[] = early ?? parsed ?? this.engine.lastHeaders(inputs.length);
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

  private logged: { policy: Policy; rules: Uint8Array } | null = null;

  /** Per rule of the running policy: 1 if it logs or notifies (built once per policy). */
  private loggedRules(): Uint8Array {
    if (this.logged?.policy !== this.policy) {
      const rules = allRules(this.policy);
      const flags = new Uint8Array(rules.length);
      rules.forEach((r, i) => { if (r.log || r.notify) flags[i] = 1; });
      this.logged = { policy: this.policy, rules: flags };
    }
    return this.logged.rules;
  }

  private follow(o: Outcome, tsNs: bigint): void {
    const seen = new Set<number>();
    for (const idx of [o.inputRule, o.outputRule, o.monitorRule]) {
      if (idx < 0 || seen.has(idx)) continue;
      seen.add(idx);
      const at = ruleAt(this.policy, idx);
      if (!at) continue;
      for (const kind of ["log", "notify"] as const) {
        if (!at.rule[kind]) continue;
        const ev = this.event(kind, idx, o);
        o.events.push(ev);
        this.opts.onEvent?.(ev, tsNs);
      }
    }
    if (o.verdict === "deny" && this.policy.unreachables && this.wantsUnreachable(o)) {
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
    const at = ruleAt(this.policy, index)!;
    const h = o.header;
    const decidedHere = index === o.rule;
    return {
      kind,
      ruleset: at.ruleset.name,
      rule: at.rule.origin.number ?? null,
      ruleIndex: index,
      file: at.rule.origin.file,
      line: at.rule.origin.line,
      // A monitor (log-only) rule reports the packet's final verdict; a deciding rule its own action.
      action: decidedHere || index === o.monitorRule ? o.verdict : at.rule.action,
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
  reload(policy: Policy, program: Uint8Array, keys: string[] = policyRuleKeys(policy)): { carried: number; reset: number } {
    const old = this.policy;
    const oldCounters = this.engine.counters();
    const oldDefaults = this.engine.defaultCounters();
    this.engine.load(program); // throws, with the running program intact, on a bad program
    this.policy = policy;
    this.program = program;
    const oldKeys = this.keys;
    this.keys = keys;
    this.engine.resetCounters();
    const pending = new Map<string, number[]>();
    oldKeys.forEach((key, i) => {
      const list = pending.get(key);
      if (list) list.push(i);
      else pending.set(key, [i]);
    });
    let carried = 0;
    const rules = allRules(policy);
    rules.forEach((_r, i) => {
      // Identical rules in one ruleset pair up in order, so each old count is used once.
      const from = pending.get(keys[i])?.shift();
      if (from === undefined) return;
      const c = oldCounters[from];
      this.engine.setCounter(i, c.packets, c.bytes);
      carried++;
    });
    policy.rulesets.forEach((rs, k) => {
      const j = old.rulesets.findIndex((o) => o.name === rs.name && JSON.stringify(o.defaults) === JSON.stringify(rs.defaults));
      const c = j >= 0 ? oldDefaults[j] : { packets: 0n, bytes: 0n };
      this.engine.setDefaultCounter(k, c.packets, c.bytes);
    });
    return { carried, reset: rules.length - carried };
  }
}

/** A rule's identity across reloads: its ruleset and everything it says, but not where in the file it is. */
export function ruleKey(ruleset: string, r: Rule): string {
  const { line: _l, column: _c, ...origin } = r.origin;
  return JSON.stringify([ruleset, { ...r, origin }]);
}

/**
 * The identity of every rule of a policy, as a hash of its ruleKey: a rule's
 * key can be large (a scope of thousands of addresses), so a reload's worker
 * computes these off the forwarding path and the swap only compares them.
 */
export function policyRuleKeys(policy: Policy): string[] {
  const keys: string[] = [];
  for (const rs of policy.rulesets) {
    for (const r of rs.rules) keys.push(createHash("sha256").update(ruleKey(rs.name, r)).digest("base64"));
  }
  return keys;
}
