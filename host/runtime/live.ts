// The running appliance: ports, bridge, firewall, logging, hot reload and the
// control socket, wired together. `portcullis run` (run.ts) adds the command
// line and the signals; tests start one in-process.
import { createHash } from "node:crypto";
import { readFileSync, watchFile, unwatchFile } from "node:fs";
import { loadAll, type Loaded } from "../cli/common.ts";
import { formatDiagnostic } from "../model/diagnostic.ts";
import type { Appliance } from "../model/appliance.ts";
import { allRules, ruleAt, type Policy } from "../model/rule.ts";
import { Firewall } from "./firewall.ts";
import { Bridge, DEFAULT_AGEING_MS, type Arrival } from "./bridge.ts";
import { UdpPort, type PortSpec } from "./ports.ts";
import type { BatchResult } from "./bridge.ts";
import { buildUnreachable } from "./unreachable.ts";
import { ControlServer } from "./control.ts";
import { formatPacketEvent, type PacketEvent } from "../log/packet-event.ts";
import { SyslogSender, SyslogNotifier, Severity, type SyslogFormat } from "../log/syslog.ts";
import { TokenBucket } from "../log/token-bucket.ts";

export const BATCH_MAX = 256;

export interface LiveOptions {
  configs: string[];
  /** The command's option values (appliance, dialect, profile, set, strict): reloads use them again. */
  values: Record<string, any>;
  ports: PortSpec[];
  socketPath: string | null;
  loghost?: { host: string; port: number } | null; // overrides the appliance's
  syslogFormat?: SyslogFormat;
  notifyPort?: number;
  sendNotify?: boolean;
  unreachableRate?: number;
  macAgeingMs?: number;
  /** The FTP helper (default on): passive and active FTP data connections announced on a tracked control connection pass. */
  ftpHelper?: boolean;
  /** Poll the config files and reload when they change (ms between polls; 0 = off). */
  watchMs?: number;
  /** Where operator messages go besides syslog (stderr for the CLI). */
  stderr?: (line: string) => void;
}

export interface ReloadResult {
  ok: boolean;
  message: string;
  diagnostics?: string[];
}

const SEVERITY_NAME: Record<number, string> = { 3: "error", 4: "warning", 5: "notice", 6: "info" };

/** One classified frame of a live batch, as batch listeners (the console) see it. */
export type BatchOutcome = BatchResult["outcomes"][number];

export class LiveAppliance {
  readonly startedMs = Date.now();
  generation = 1;
  lastReload: { atMs: number; ok: boolean; message: string } | null = null;
  loadedAtMs = Date.now();
  readonly reloadCounts = { applied: 0, refused: 0 };
  /** Called with every batch's outcomes after it is forwarded (the console's counters); keep them cheap. */
  readonly batchListeners = new Set<(outcomes: BatchOutcome[]) => void>();
  /** Called with every operator log line and packet log event (the console's log feed). */
  readonly logListeners = new Set<(severity: string, text: string) => void>();
  loaded: Loaded;
  private queue: Arrival[] = [];
  private flushScheduled = false;
  private fingerprint: string;
  private sender: SyslogSender | null = null;
  private notifier: SyslogNotifier | null = null;
  private stderrBucket = new TokenBucket(50, 100);
  private stderrSuppressed = 0;
  private stopped = false;
  unreachablesSent = 0;
  ftpAnnouncements = 0;
  control: ControlServer | null = null;
  ports: UdpPort[] = [];

  private constructor(readonly opts: LiveOptions, loaded: Loaded, readonly appliance: Appliance, readonly fw: Firewall, readonly bridge: Bridge) {
    this.loaded = loaded;
    this.fingerprint = this.fingerprintFiles();
  }

  /** Load, check, bind the ports and the control socket. Throws (with diagnostics logged) if the configuration has errors. */
  static async start(opts: LiveOptions): Promise<LiveAppliance> {
    const loaded = loadAll(opts.configs, opts.values);
    const say = opts.stderr ?? (() => {});
    for (const d of loaded.diagnostics) say(formatDiagnostic(d));
    if (!loaded.ok || !loaded.program) throw new StartError("the configuration has errors; not starting");
    const appliance = loaded.appliance;
    const index = (name: string) => appliance.interfaces.findIndex((i) => i.name === name);
    const seen = new Set<string>();
    for (const p of opts.ports) {
      if (index(p.name) < 0) throw new StartError(`--port ${p.name}: the appliance has no interface "${p.name}" (it has ${appliance.interfaces.map((i) => i.name).join(", ")})`);
      if (seen.has(p.name)) throw new StartError(`--port ${p.name} given twice`);
      seen.add(p.name);
    }
    if (opts.ports.length < 2) throw new StartError("a bridge needs at least two ports (--port NAME=LISTEN/PEER for each interface)");
    const portIndices = opts.ports.map((p) => index(p.name));
    const bridge = new Bridge(portIndices, opts.macAgeingMs ?? DEFAULT_AGEING_MS);
    let live: LiveAppliance | undefined;
    const fw = await Firewall.create(loaded.config.policy!, loaded.program, appliance, {
      unreachableRate: opts.unreachableRate ?? 10,
      ftpHelper: opts.ftpHelper ?? true,
      onEvent: (ev, tsNs) => live?.packetEvent(ev, tsNs),
    });
    live = new LiveAppliance(opts, loaded, appliance, fw, bridge);
    await live.open(portIndices);
    return live;
  }

  private async open(portIndices: number[]): Promise<void> {
    const loghost = this.opts.loghost !== undefined ? this.opts.loghost : this.appliance.loghost;
    const format = this.opts.syslogFormat ?? "rfc5424";
    if (loghost) this.sender = new SyslogSender({ host: loghost.host, port: loghost.port, format, timeZone: this.appliance.timezone });
    if (this.opts.sendNotify) this.notifier = new SyslogNotifier({ format });
    try {
      for (let k = 0; k < this.opts.ports.length; k++) {
        this.ports.push(await UdpPort.open(portIndices[k], this.opts.ports[k], (port, data) => this.arrive(port, data)));
      }
      if (this.opts.socketPath) this.control = await ControlServer.listen(this.opts.socketPath, (req) => this.command(req));
    } catch (e) {
      await this.stop("start failed");
      throw new StartError((e as Error).message);
    }
    if (this.opts.watchMs) for (const f of this.opts.configs) watchFile(f, { interval: this.opts.watchMs }, () => this.fileChanged());
    const rules = allRules(this.fw.policy).length;
    this.log(Severity.notice, `running: ${rules} rules (${this.loaded.config.dialect?.name}) from ${this.opts.configs.join(", ")}; ports ${this.ports.map((p) => `${p.spec.name}=${p.spec.listen.host}:${p.spec.listen.port}/${p.spec.peer.host}:${p.spec.peer.port}`).join(" ")}${this.control ? `; control socket ${this.control.path}` : ""}`);
  }

  // ---------------------------------------------------------------- frames

  private arrive(port: number, data: Uint8Array): void {
    this.queue.push({ port, data });
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** One batch: what arrived during the last event-loop turn, up to BATCH_MAX frames. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.stopped) return;
    const batch = this.queue.length <= BATCH_MAX ? this.queue : this.queue.slice(0, BATCH_MAX);
    this.queue = this.queue.length <= BATCH_MAX ? [] : this.queue.slice(BATCH_MAX);
    if (this.queue.length) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
    this.processBatch(batch);
  }

  /** Run a batch through the bridge and send what it forwards (exposed for tests and the benchmark). */
  processBatch(batch: Arrival[]): void {
    const now = Date.now();
    const { sends, outcomes } = this.bridge.handle(batch, this.fw, now, BigInt(now) * 1_000_000n);
    const byIndex = new Map(this.ports.map((p) => [p.index, p]));
    // The helper keeps what it announced; take it, so a long run does not accumulate it.
    for (const ev of this.fw.ftp?.events.splice(0) ?? []) {
      this.ftpAnnouncements++;
      this.say(`portcullis: ftp: ${ev.verb} announces ${ev.address}:${ev.port}: ${ev.result}`);
    }
    for (const s of sends) byIndex.get(s.port)?.send(s.data);
    for (const f of this.batchListeners) f(outcomes);
    // A flooded packet denied on several ports earns one error, not one per port.
    const answered = new Set<Uint8Array>();
    for (const { outcome, ingress, data } of outcomes) {
      if (!outcome.unreachable || answered.has(data)) continue;
      answered.add(data);
      const err = buildUnreachable(data, this.appliance, ingress);
      if (err) {
        byIndex.get(ingress)?.send(err);
        this.unreachablesSent++;
      }
    }
  }

  // ---------------------------------------------------------------- logging

  log(severity: number, text: string): void {
    this.sender?.send(severity, text);
    for (const f of this.logListeners) f(SEVERITY_NAME[severity] ?? "info", text);
    this.say(`portcullis: ${SEVERITY_NAME[severity] ?? "info"}: ${text}`);
  }

  private say(line: string): void {
    const out = this.opts.stderr;
    if (!out) return;
    if (!this.stderrBucket.take(Date.now())) {
      this.stderrSuppressed++;
      return;
    }
    if (this.stderrSuppressed) {
      out(`portcullis: ${this.stderrSuppressed} messages suppressed`);
      this.stderrSuppressed = 0;
    }
    out(line);
  }

  private packetEvent(ev: PacketEvent, tsNs: bigint): void {
    const { text, sd } = formatPacketEvent(ev);
    const nowMs = Number(tsNs / 1_000_000n);
    for (const f of this.logListeners) f(ev.kind, text);
    if (ev.kind === "log") {
      this.sender?.send(Severity.notice, text, sd, nowMs);
      this.say(`portcullis: log: ${text}`);
    } else {
      this.notifier?.sendTo(ev.src, this.opts.notifyPort ?? 514, Severity.notice, text, sd, nowMs);
      this.say(`portcullis: notify ${ev.src}: ${text}`);
    }
  }

  // ---------------------------------------------------------------- reload

  private fingerprintFiles(): string {
    const h = createHash("sha256");
    for (const f of this.opts.configs) {
      try { h.update(readFileSync(f)); } catch { h.update(`missing ${f}`); }
      h.update("\0");
    }
    return h.digest("hex");
  }

  private reloadTimer: NodeJS.Timeout | null = null;

  private fileChanged(): void {
    // Editors write in several steps: wait for the file to settle.
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      if (this.fingerprintFiles() !== this.fingerprint) this.reload("a config file changed");
    }, 200);
  }

  /**
   * Check the config files again and, only if they load without errors, swap
   * the new rules in between two batches. The connection table stays; counters
   * of unchanged rules carry over. On any error the running rules stay.
   */
  reload(why: string): ReloadResult {
    this.fingerprint = this.fingerprintFiles();
    const fail = (message: string, diagnostics: string[] = []): ReloadResult => {
      for (const d of diagnostics) this.log(Severity.err, d);
      this.log(Severity.err, `reload (${why}) refused: ${message}; the running rules (generation ${this.generation}) stay`);
      this.lastReload = { atMs: Date.now(), ok: false, message };
      this.reloadCounts.refused++;
      return { ok: false, message, diagnostics };
    };
    let l: Loaded;
    try {
      l = loadAll(this.opts.configs, this.opts.values);
    } catch (e) {
      return fail((e as Error).message);
    }
    const diags = l.diagnostics.map(formatDiagnostic);
    if (!l.ok || !l.program || !l.config.policy) {
      return fail(`${l.diagnostics.filter((d) => d.severity === "error").length} errors in the configuration`, diags);
    }
    const names = (a: Appliance) => a.interfaces.map((i) => `${i.name}/${i.role}`).join(",");
    if (names(l.appliance) !== names(this.appliance)) return fail("the appliance's interfaces changed; that needs a restart");
    let carried: { carried: number; reset: number };
    try {
      carried = this.fw.reload(l.config.policy, l.program);
    } catch (e) {
      return fail((e as Error).message, diags);
    }
    for (const d of diags) this.log(Severity.warning, d);
    this.loaded = l;
    this.generation++;
    const message = `reloaded (${why}): generation ${this.generation}, ${allRules(l.config.policy).length} rules, counters carried over for ${carried.carried}, new ${carried.reset}`;
    this.log(Severity.notice, message);
    this.lastReload = { atMs: Date.now(), ok: true, message };
    this.loadedAtMs = this.lastReload.atMs;
    this.reloadCounts.applied++;
    return { ok: true, message, diagnostics: diags };
  }

  // ---------------------------------------------------------------- status

  status(): Record<string, unknown> {
    const policy: Policy = this.fw.policy;
    const counters = this.fw.counters();
    const defaults = this.fw.defaultCounters();
    const rules = allRules(policy).map((r, i) => {
      const at = ruleAt(policy, i)!;
      return {
        index: i, ruleset: at.ruleset.name, label: r.origin.label ?? null, file: r.origin.file, line: r.origin.line,
        text: r.origin.text, action: r.action, packets: Number(counters[i]?.packets ?? 0n), bytes: Number(counters[i]?.bytes ?? 0n),
      };
    });
    const mem = process.memoryUsage();
    return {
      pid: process.pid,
      uptimeS: Math.round((Date.now() - this.startedMs) / 1000),
      dialect: this.loaded.config.dialect?.name ?? null,
      configs: this.opts.configs,
      generation: this.generation,
      lastReload: this.lastReload,
      rules,
      defaults: policy.rulesets.map((rs, k) => ({ ruleset: rs.name, packets: Number(defaults[k]?.packets ?? 0n), bytes: Number(defaults[k]?.bytes ?? 0n) })),
      connections: connectionFigures(this.fw),
      ports: this.ports.map((p) => ({
        name: p.spec.name, listen: `${p.spec.listen.host}:${p.spec.listen.port}`, peer: `${p.spec.peer.host}:${p.spec.peer.port}`, ...p.counters,
      })),
      bridge: { ...this.bridge.counters, macs: this.bridge.macs.size, macMoves: this.bridge.macs.moves, macTableFull: this.bridge.macs.dropped },
      unreachables: { sent: this.unreachablesSent, suppressed: this.fw.unreachablesSuppressed },
      ftp: this.fw.ftp ? { announcements: this.ftpAnnouncements } : null,
      syslog: this.sender ? { ...this.sender.stats } : null,
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers, wasm: this.fw.engine.memory.byteLength },
    };
  }

  private command(req: Record<string, unknown>): Record<string, unknown> {
    switch (req.cmd) {
      case "status": return this.status();
      case "macs": return { macs: this.bridge.macs.entries() };
      case "reload": {
        const r = this.reload("control socket");
        if (!r.ok) throw new Error(`${r.message}${r.diagnostics?.length ? "\n" + r.diagnostics.join("\n") : ""}`);
        return { message: r.message };
      }
      default: throw new Error(`unknown command ${JSON.stringify(req.cmd)} (status, macs, reload)`);
    }
  }

  // ---------------------------------------------------------------- shutdown

  async stop(why = "stopping"): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const f of this.opts.configs) unwatchFile(f);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.log(Severity.notice, `${why}: shutting down`);
    await Promise.all(this.ports.map((p) => p.close()));
    await this.control?.close();
    await this.sender?.close();
    await this.notifier?.close();
  }
}

export class StartError extends Error {}

/**
 * The connection table's figures, when the engine tracks connections. The
 * table lives in the engine (connection tracking is its own module); an
 * engine without it reports null.
 */
function connectionFigures(fw: Firewall): Record<string, number> | null {
  const e = fw.engine as unknown as { conntrackStats?: () => Record<string, number | bigint> };
  if (typeof e.conntrackStats !== "function") return null;
  const s = e.conntrackStats();
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)]));
}
