// The running appliance: ports, bridge, firewall, logging, hot reload and the
// control socket, wired together. `portcullis run` (run.ts) adds the command
// line and the signals; tests start one in-process.
import { watchFile, unwatchFile } from "node:fs";
import { uptime as systemUptime } from "node:os";
import type { LoadSettings } from "../config/compile.ts";
import { formatDiagnostic, type Diagnostic } from "../model/diagnostic.ts";
import { readAppliance, type Appliance } from "../model/appliance.ts";
import type { Policy } from "../model/rule.ts";
import { Firewall } from "./firewall.ts";
import { Bridge, DEFAULT_AGEING_MS, type Arrival, type BatchResult } from "./bridge.ts";
import { UdpPort, type PortSpec } from "./ports.ts";
import { buildUnreachable } from "./unreachable.ts";
import { ControlServer } from "./control.ts";
import { formatPacketEvent, type PacketEvent } from "../log/packet-event.ts";
import { SyslogSender, SyslogNotifier, Severity, type SyslogFormat } from "../log/syslog.ts";
import { TokenBucket } from "../log/token-bucket.ts";
import { cleanLine, excerpt } from "../log/sanitize.ts";
import { fingerprintFiles } from "./fingerprint.ts";
import { denyAllPolicy } from "./fail-closed.ts";
import { encodePolicy } from "../engine/encode.ts";
import { conntrackOf } from "../conntrack/wasm-conntrack.ts";
import { firmwareFacts } from "./firmware.ts";
import { checkInWorker, type CheckAnswer, type CheckJob } from "./check-in-worker.ts";
import { CommitConfirm, CONFIRM_MAX_S, type ConfirmHooks } from "./confirm.ts";
import { DryRuns } from "./dry-run.ts";
import { policyBytes } from "./policy-image.ts";
import { RuleBook } from "./rule-book.ts";
import { collectGarbage } from "./collect-garbage.ts";

export const BATCH_MAX = 256;
/** A watched file is loaded only once two reads this far apart agree (it is not being written). */
export const SETTLE_MS = 250;
/** Reads before giving up on a file that keeps changing (the next change starts over). */
const SETTLE_TRIES = 40;
/** Rules per `status` answer (the client pages through the rest). */
export const STATUS_PAGE_MAX = 1000;
/** Longest rule text, file name or label in a `status` answer; longer ones are cut with a marker. */
export const STATUS_TEXT_MAX = 400;
/** Diagnostics of one reload sent to syslog (the loghost is another machine: a config that is really /etc/passwd must not be copied there), and their length. */
const SYSLOG_DIAGNOSTICS_MAX = 5;
const SYSLOG_DIAGNOSTIC_CHARS = 160;
/** Diagnostics of one reload written to stderr, and their length. */
const STDERR_DIAGNOSTICS_MAX = 50;
const STDERR_DIAGNOSTIC_CHARS = 1000;

export interface LiveOptions {
  configs: string[];
  /** How to load the configuration (appliance file, dialect, strict, dialect options): reloads use it again. */
  load: LoadSettings;
  ports: PortSpec[];
  socketPath: string | null;
  /**
   * A configuration that fails its check at start does not stop the appliance:
   * it runs a deny-everything program instead, logs why, answers `status`,
   * and takes a good configuration by a reload (the firmware image's mode).
   */
  failClosed?: boolean;
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
  /** A reload's check is stopped after this long (default 120 s). */
  reloadTimeoutMs?: number;
  /**
   * Keep the full rule model beside the compact rule book (the web console's
   * packet tester runs the reference matcher on it); off, the appliance holds
   * only the book and the program.
   */
  keepPolicy?: boolean;
}

/** What a reload checks: the running files by default; a push's staged files (push.ts). */
export interface ReloadSource {
  configs: string[];
  load: LoadSettings;
  /** Adjust the worker's answer before it is applied (a push names its files as the user did). */
  rewrite?: (a: CheckAnswer) => void;
  /** Rule files named otherwise in the running rules' provenance (and so in their identities): a push's staged files as the flash's. */
  rename?: Record<string, string>;
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
  dialectName: string | null;
  /** Set while the appliance runs its deny-everything program because its configuration failed at start. */
  failedClosed: FailedClosed | null = null;
  /** The running configuration's warnings (it has no errors, or it would not run). */
  warnings: Diagnostic[];
  loadedAtMs = Date.now();
  readonly reloadCounts = { applied: 0, refused: 0 };
  /** Called with every batch's outcomes after it is forwarded (the console's counters); keep them cheap. */
  readonly batchListeners = new Set<(outcomes: BatchOutcome[]) => void>();
  /** Called with every operator log line and packet log event (the console's log feed), already cleaned. */
  readonly logListeners = new Set<(severity: string, text: string) => void>();
  private queue: Arrival[] = [];
  private flushScheduled = false;
  /** The file contents last checked (loaded or refused): the watcher reloads only when they differ. */
  private fingerprint = "";
  private sender: SyslogSender | null = null;
  private notifier: SyslogNotifier | null = null;
  private stderrBucket = new TokenBucket(50, 100);
  private stderrSuppressed = 0;
  private stopped = false;
  unreachablesSent = 0;
  ftpAnnouncements = 0;
  /** Batches whose classification threw (a trap): dropped, never forwarded. */
  faults = { batchesDropped: 0, framesDropped: 0, engineRestarts: 0 };
  private recovering: Promise<void> | null = null;
  private reloadChain: Promise<unknown> = Promise.resolve();
  private reloadJob: CheckJob | null = null;
  control: ControlServer | null = null;
  ports: UdpPort[] = [];
  /** The running rule model serialized, for dry runs (policy-image.ts); the appliance keeps no model objects. */
  policyImage: Uint8Array | null = null;
  /** A reload waiting for its confirm, and how the last one ended (confirm.ts). */
  readonly commit = new CommitConfirm(this);
  /** What a reload would change (dry-run.ts); also of a pushed configuration (push.ts), before it is applied. */
  readonly dryRuns = new DryRuns();
  /** Where the running configuration came from, for `status` (flash, pushed at ...); null: the firmware's own word. */
  configOrigin: string | null = null;
  /** Control commands beyond status, macs, reload and confirm (push.ts adds "push"). */
  readonly extraCommands = new Map<string, (req: Record<string, unknown>) => Promise<Record<string, unknown>>>();

  private constructor(readonly opts: LiveOptions, dialect: string | null, diagnostics: Diagnostic[], readonly appliance: Appliance, readonly fw: Firewall, readonly bridge: Bridge) {
    this.dialectName = dialect;
    this.warnings = diagnostics;
  }

  /**
   * Load, check, bind the ports and the control socket. Throws (with
   * diagnostics logged) if the configuration has errors. The configuration
   * is loaded as a reload's is, in a checker process (check-worker.ts): the
   * appliance receives the program and the compact rule book only, so none
   * of the parse's garbage, the lint's working set or the dialect's model
   * ever enters the process that forwards frames.
   */
  static async start(opts: LiveOptions): Promise<LiveAppliance> {
    const loaded = await firstLoad(opts);
    const say = (line: string) => opts.stderr?.(cleanLine(line));
    for (const d of loaded.diagnostics.slice(0, STDERR_DIAGNOSTICS_MAX)) say(excerpt(formatDiagnostic(d), STDERR_DIAGNOSTIC_CHARS));
    if (loaded.diagnostics.length > STDERR_DIAGNOSTICS_MAX) say(`${loaded.diagnostics.length - STDERR_DIAGNOSTICS_MAX} more diagnostics (portcullis check shows them all)`);
    let rules: RuleBook | Policy | null = loaded.policy ?? (loaded.book && RuleBook.fromData(loaded.book));
    let program = loaded.program;
    let failedClosed: FailedClosed | null = null;
    const appliance = loaded.appliance ?? readAppliance(undefined).appliance!; // the built-in one stands in when nothing loaded
    if (!loaded.ok || !program || !rules) {
      if (!opts.failClosed) throw new StartError(loaded.error !== null ? `${excerpt(loaded.error, 500)}; not starting` : "the configuration has errors; not starting");
      const errors = loaded.diagnostics.filter((d) => d.severity === "error");
      const why = loaded.error !== null ? [excerpt(loaded.error, 500)] : [];
      failedClosed = { sinceMs: Date.now(), errors: errors.length + why.length, diagnostics: [...why, ...errors.slice(0, 20).map((d) => excerpt(formatDiagnostic(d), 500))] };
      rules = denyAllPolicy(appliance);
      program = encodePolicy(rules);
    }
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
    const fw = await Firewall.create(rules, program, appliance, {
      unreachableRate: opts.unreachableRate ?? 10,
      ftpHelper: opts.ftpHelper ?? true,
      onEvent: (ev, tsNs) => live?.packetEvent(ev, tsNs),
    });
    live = new LiveAppliance(opts, loaded.dialect, loaded.diagnostics, appliance, fw, bridge);
    live.failedClosed = failedClosed;
    if (failedClosed) live.dialectName = "fail-closed";
    live.fingerprint = await fingerprintFiles(opts.configs);
    // For dry runs: the checker's serialized model (the deny-all one made here when failing closed).
    live.policyImage = loaded.image && !failedClosed ? loaded.image : policyBytes(denyAllPolicy(appliance));
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
    this.log(Severity.notice, `running: ${this.fw.book.count} rules (${this.dialectName}) from ${this.opts.configs.join(", ")}; ports ${this.ports.map((p) => `${p.spec.name}=${p.spec.listen.host}:${p.spec.listen.port}/${p.spec.peer.host}:${p.spec.peer.port}`).join(" ")}${this.control ? `; control socket ${this.control.path}` : ""}`);
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
    if (this.recovering) {
      // The engine is being re-created: nothing is classified, so nothing passes.
      this.faults.batchesDropped++;
      this.faults.framesDropped += batch.length;
      return;
    }
    const now = Date.now();
    let handled: ReturnType<Bridge["handle"]>;
    try {
      handled = this.bridge.handle(batch, this.fw, now, BigInt(now) * 1_000_000n);
    } catch (e) {
      this.classifyFailed(e, batch.length);
      return;
    }

    try {
      this.forward(handled);
    } catch (e) {
      // Sending or answering failed after a verdict: the frames not yet sent are lost, never let through unjudged.
      this.faults.batchesDropped++;
      this.log(Severity.err, `forwarding a batch failed (${excerpt(e instanceof Error ? e.message : String(e), 200)}); the rest of the batch is dropped`);
    }
  }

  private forward({ sends, outcomes }: ReturnType<Bridge["handle"]>): void {
    // The helper keeps what it announced; take it, so a long run does not accumulate it.
    const announced = this.fw.ftp?.events;
    if (announced?.length) {
      for (const ev of announced.splice(0)) {
        this.ftpAnnouncements++;
        this.say(`portcullis: ftp: ${ev.verb} announces ${ev.address}:${ev.port}: ${ev.result}`);
      }
    }
    const byIndex = this.portByIndex();
    for (let i = 0; i < sends.length; i++) byIndex[sends[i].port]?.send(sends[i].data);
    for (const f of this.batchListeners) f(outcomes);
    // A flooded packet denied on several ports earns one error, not one per port.
    let answered: Set<Uint8Array> | null = null;
    for (const { outcome, ingress, data } of outcomes) {
      if (!outcome.unreachable) continue;
      answered ??= new Set();
      if (answered.has(data)) continue;
      answered.add(data);
      const err = buildUnreachable(data, this.appliance, ingress);
      if (err) {
        byIndex[ingress]?.send(err);
        this.unreachablesSent++;
      }
    }
  }

  private portsByIndex: { count: number; ports: (UdpPort | undefined)[] } = { count: 0, ports: [] };

  /** The ports by interface index, built again only when a port was added (frames may arrive while the others still open). */
  private portByIndex(): (UdpPort | undefined)[] {
    if (this.portsByIndex.count !== this.ports.length) {
      const a: (UdpPort | undefined)[] = [];
      for (const p of this.ports) a[p.index] = p;
      this.portsByIndex = { count: this.ports.length, ports: a };
    }
    return this.portsByIndex.ports;
  }

  /**
   * A batch's classification threw (a WebAssembly trap, or a bug in the
   * host's pipeline): fail closed and stay up. The batch is dropped and
   * counted (none of it was sent: sends happen only after classification),
   * and the engine is re-created from the running program before the next
   * batch is classified; batches arriving meanwhile are dropped too.
   */
  private classifyFailed(e: unknown, frames: number): void {
    this.faults.batchesDropped++;
    this.faults.framesDropped += frames;
    const why = excerpt(e instanceof Error ? e.message : String(e), 200);
    this.log(Severity.err, `classification failed (${why}): a batch of ${frames} frames dropped; re-creating the WebAssembly engine from the running program (the connection table starts empty)`);
    this.recovering = this.fw.recreateEngine().then(
      () => {
        this.faults.engineRestarts++;
        this.log(Severity.notice, `engine re-created (generation ${this.generation}); forwarding resumes`);
      },
      (err) => this.log(Severity.err, `could not re-create the engine (${excerpt(String(err?.message ?? err), 200)}); the next batch tries again`),
    ).finally(() => { this.recovering = null; });
  }

  // ---------------------------------------------------------------- logging

  log(severity: number, text: string): void {
    this.sender?.send(severity, text);
    if (this.logListeners.size) for (const f of this.logListeners) f(SEVERITY_NAME[severity] ?? "info", cleanLine(text));
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
    out(cleanLine(line)); // config text and packet data reach the terminal only escaped (sanitize.ts)
  }

  private packetEvent(ev: PacketEvent, tsNs: bigint): void {
    const { text, sd } = formatPacketEvent(ev);
    const nowMs = Number(tsNs / 1_000_000n);
    if (this.logListeners.size) for (const f of this.logListeners) f(ev.kind, cleanLine(text));
    if (ev.kind === "log") {
      this.sender?.send(Severity.notice, text, sd, nowMs);
      this.say(`portcullis: log: ${text}`);
    } else {
      this.notifier?.sendTo(ev.src, this.opts.notifyPort ?? 514, Severity.notice, text, sd, nowMs);
      this.say(`portcullis: notify ${ev.src}: ${text}`);
    }
  }

  // ---------------------------------------------------------------- reload

  private reloadTimer: NodeJS.Timeout | null = null;
  private settling = false;

  /**
   * The watcher saw a change. Editors and copies write in several steps, and
   * the watcher may fire in the middle: wait for a quiet moment, then read
   * the files until two reads SETTLE_MS apart agree, and reload only then.
   * The check itself makes sure it read those same contents, and the swap
   * happens only if the files still hold them (reload()).
   */
  private fileChanged(): void {
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      this.reloadTimer = null;
      this.settleAndReload().catch((e) => this.log(Severity.err, `watching the config files failed: ${excerpt(String(e?.message ?? e), 200)}`));
    }, SETTLE_MS);
  }

  private async settleAndReload(): Promise<void> {
    if (this.settling || this.stopped) return;
    this.settling = true;
    try {
      let a = await fingerprintFiles(this.opts.configs);
      for (let tries = 0; ; tries++) {
        await new Promise((r) => setTimeout(r, SETTLE_MS));
        if (this.stopped) return;
        const b = await fingerprintFiles(this.opts.configs);
        if (a === b) break;
        if (tries >= SETTLE_TRIES) {
          this.log(Severity.warning, `a config file keeps changing; not reloading until it settles`);
          return;
        }
        a = b;
      }
      if (a !== this.fingerprint) await this.reload("a config file changed");
    } finally {
      this.settling = false;
    }
  }

  /**
   * Check the config files again and, only if they load without errors, swap
   * the new rules in between two batches. The check and the compilation run
   * in a child process (check-worker.ts), so forwarding goes on meanwhile;
   * only the finished program is swapped in, and only if the files still hold
   * what was checked. The connection table stays; counters of unchanged rules
   * carry over. On any error the running rules stay. Reloads run one at a time.
   */
  reload(why: string, confirmSeconds?: number): Promise<ReloadResult> {
    return this.serialized(() => this.reloadNow(why, undefined, confirmSeconds));
  }

  /** Run `fn` when no reload runs, and no reload until it is done (a push checks, applies and writes the flash in one turn). */
  serialized(fn: () => Promise<ReloadResult>): Promise<ReloadResult> {
    const run = this.reloadChain.then(fn).catch((e): ReloadResult => {
      const message = `reload failed: ${excerpt(e instanceof Error ? e.message : String(e), 500)}`;
      this.log(Severity.err, `${message}; the running rules (generation ${this.generation}) stay`);
      return { ok: false, message };
    });
    this.reloadChain = run.catch(() => {});
    return run;
  }

  /**
   * Check `source` (the running files by default) and apply it; call only
   * inside serialized(). With confirmSeconds, the previous rules come back
   * by themselves unless confirmed in time (confirm.ts).
   */
  async reloadNow(why: string, source: ReloadSource = { configs: this.opts.configs, load: this.opts.load }, confirmSeconds?: number, confirmHooks?: ConfirmHooks): Promise<ReloadResult> {
    const fail = (message: string, diagnostics: Diagnostic[] = []): ReloadResult => {
      setImmediate(collectGarbage); // what the refused answer held (collect-garbage.ts)
      this.logDiagnostics(diagnostics);
      this.log(Severity.err, `reload (${why}) refused: ${message}; the running rules (generation ${this.generation}) stay`);
      this.lastReload = { atMs: Date.now(), ok: false, message };
      this.reloadCounts.refused++;
      return { ok: false, message, diagnostics: diagnostics.map(formatDiagnostic) };
    };
    if (this.stopped) return { ok: false, message: "the appliance is stopping" };
    const pending = this.commit.refusal(); // every reload waits for a pending confirm (confirm.ts)
    if (pending) return fail(pending);
    let a: CheckAnswer | null = null;
    // Files being written while checked are checked again, a few times.
    for (let tries = 0; tries < 3; tries++) {
      try {
        this.reloadJob = checkInWorker(
          { configs: source.configs, load: { ...source.load }, imports: [], keepPolicy: this.opts.keepPolicy, rename: source.rename },
          this.opts.reloadTimeoutMs ?? 120_000,
        );
        a = await this.reloadJob.answer;
      } catch (e) {
        if (this.stopped) return { ok: false, message: "the appliance is stopping" };
        return fail(excerpt((e as Error).message, 500));
      } finally {
        this.reloadJob = null;
      }
      if (this.stopped) return { ok: false, message: "the appliance is stopping" };
      if (!a.unstable && (await fingerprintFiles(source.configs)) === a.fingerprint) break;
      a = null;
      await new Promise((r) => setTimeout(r, SETTLE_MS));
    }
    if (!a) return fail("the config files kept changing while they were checked");
    source.rewrite?.(a);
    // A push's files are not the running ones: what they hold counts for the watcher once applied.
    if (source.configs === this.opts.configs) this.fingerprint = a.fingerprint;
    if (a.error !== null) return fail(excerpt(a.error, 500));
    if (!a.ok || !a.program || !a.book || !a.appliance) {
      return fail(`${a.diagnostics.filter((d) => d.severity === "error").length} errors in the configuration`, a.diagnostics);
    }
    const names = (x: Appliance) => x.interfaces.map((i) => `${i.name}/${i.role}`).join(",");
    if (names(a.appliance) !== names(this.appliance)) return fail("the appliance's interfaces changed; that needs a restart");
    let carried: { carried: number; reset: number };
    const kept = confirmSeconds ? this.commit.keep() : null;
    try {
      carried = this.fw.reload(a.policy ?? RuleBook.fromData(a.book), a.program);
    } catch (e) {
      return fail((e as Error).message, a.diagnostics);
    }
    this.logDiagnostics(a.diagnostics);
    this.policyImage = a.image;
    this.fingerprint = a.fingerprint;
    this.dialectName = a.dialect;
    this.generation++;
    const confirm = kept ? this.commit.arm(kept, confirmSeconds!, confirmHooks) : "";
    const message = `reloaded (${why}): generation ${this.generation}, ${this.fw.book.count} rules, counters carried over for ${carried.carried}, new ${carried.reset}${confirm}`;
    this.log(Severity.notice, message);
    this.lastReload = { atMs: Date.now(), ok: true, message };
    if (this.failedClosed) this.log(Severity.notice, "the configuration now checks: no longer failing closed");
    this.failedClosed = null;
    this.warnings = a.diagnostics;
    this.loadedAtMs = this.lastReload.atMs;
    this.reloadCounts.applied++;
    setImmediate(collectGarbage); // the replaced rules, once this answer is out of scope (collect-garbage.ts)
    return { ok: true, message, diagnostics: a.diagnostics.map(formatDiagnostic) };
  }

  /**
   * A reload's diagnostics, each at its own severity (a warning is not an
   * error). What goes to the loghost is bounded: a few diagnostics, each cut
   * short, since a diagnostic quotes the file and the file may hold anything
   * (a symlink to /etc/passwd). stderr gets more, still bounded.
   */
  private logDiagnostics(ds: Diagnostic[]): void {
    ds.forEach((d, k) => {
      const text = formatDiagnostic(d);
      const severity = d.severity === "error" ? Severity.err : Severity.warning;
      if (k < SYSLOG_DIAGNOSTICS_MAX) this.sender?.send(severity, excerpt(text, SYSLOG_DIAGNOSTIC_CHARS));
      if (k < STDERR_DIAGNOSTICS_MAX) this.say(`portcullis: ${SEVERITY_NAME[severity]}: ${excerpt(text, STDERR_DIAGNOSTIC_CHARS)}`);
    });
    if (ds.length > SYSLOG_DIAGNOSTICS_MAX) this.sender?.send(Severity.notice, `${ds.length - SYSLOG_DIAGNOSTICS_MAX} more diagnostics not sent to syslog (portcullis check shows them all)`);
    if (ds.length > STDERR_DIAGNOSTICS_MAX) this.say(`portcullis: ${ds.length - STDERR_DIAGNOSTICS_MAX} more diagnostics (portcullis check shows them all)`);
  }

  // ---------------------------------------------------------------- status

  /**
   * The appliance's figures and one page of its rules (`offset`, at most
   * `limit` rules; `nextOffset` is null after the last). Texts are cut to
   * STATUS_TEXT_MAX characters with a marker: one rule's text can be a whole
   * 55 KB line, and ten thousand rules can share it.
   */
  status(page: { offset?: number; limit?: number } = {}): Record<string, unknown> {
    const book = this.fw.book;
    const counters = this.fw.engine.counterView();
    const defaults = this.fw.defaultCounters();
    const offset = Math.min(page.offset ?? 0, book.count);
    const end = Math.min(book.count, offset + Math.min(page.limit ?? STATUS_PAGE_MAX, STATUS_PAGE_MAX));
    const cut = (t: string) => excerpt(t, STATUS_TEXT_MAX);
    const rules = [];
    for (let i = offset; i < end; i++) {
      const label = book.label(i);
      rules.push({
        index: i, ruleset: cut(book.rulesetName(i)), label: label === undefined ? null : cut(label), file: cut(book.file(i)), line: book.line(i),
        text: cut(book.text(i)), action: book.action(i), packets: Number(counters[2 * i] ?? 0n), bytes: Number(counters[2 * i + 1] ?? 0n),
      });
    }
    const mem = process.memoryUsage();
    return {
      pid: process.pid,
      firmware: { ...firmwareFacts(), ...(this.configOrigin ? { origin: this.configOrigin } : {}), systemUptimeS: Math.round(systemUptime()) },
      failedClosed: this.failedClosed,
      uptimeS: Math.round((Date.now() - this.startedMs) / 1000),
      dialect: this.dialectName,
      configs: this.opts.configs.map(cut),
      generation: this.generation,
      lastReload: this.lastReload && { ...this.lastReload, message: excerpt(this.lastReload.message, 2000) },
      commitConfirm: this.commit.status(),
      ruleCount: book.count,
      rulesOffset: offset,
      nextOffset: end < book.count ? end : null,
      rules,
      defaults: book.rulesets.map((rs, k) => ({ ruleset: cut(rs.name), packets: Number(defaults[k]?.packets ?? 0n), bytes: Number(defaults[k]?.bytes ?? 0n) })),
      connections: connectionFigures(this.fw),
      ports: this.ports.map((p) => ({
        name: p.spec.name, listen: `${p.spec.listen.host}:${p.spec.listen.port}`, peer: `${p.spec.peer.host}:${p.spec.peer.port}`, ...p.counters,
      })),
      bridge: { ...this.bridge.counters, macs: this.bridge.macs.size, macMoves: this.bridge.macs.moves, macEvictions: this.bridge.macs.evicted },
      faults: { ...this.faults },
      unreachables: { sent: this.unreachablesSent, suppressed: this.fw.unreachablesSuppressed },
      ftp: this.fw.ftp ? { announcements: this.ftpAnnouncements } : null,
      syslog: this.sender ? { ...this.sender.stats } : null,
      memory: { rss: mem.rss, heapUsed: mem.heapUsed, external: mem.external, arrayBuffers: mem.arrayBuffers, wasm: this.fw.engine.memory.byteLength },
    };
  }

  /** Answer one control request (the control socket's, or the serial port's: serial-control.ts). */
  async command(req: Record<string, unknown>): Promise<Record<string, unknown>> {
    switch (req.cmd) {
      case "status": return this.status({ offset: count(req, "offset", 0, 2 ** 31), limit: count(req, "limit", 1, STATUS_PAGE_MAX) });
      case "macs": return { macs: this.bridge.macs.entries() };
      case "confirm": return this.commit.confirm();
      case "reload": {
        if (req.dryRun === true) return this.dryRuns.run(this, req.verdictOnly === true);
        const r = await this.reload("control socket", count(req, "confirm", 1, CONFIRM_MAX_S));
        if (!r.ok) {
          const ds = r.diagnostics ?? [];
          const shown = ds.slice(0, 20).map((d) => excerpt(d, 500));
          if (ds.length > shown.length) shown.push(`(${ds.length - shown.length} more; portcullis check shows them all)`);
          throw new Error([r.message, ...shown].join("\n"));
        }
        return { message: r.message };
      }
      default: {
        const extra = typeof req.cmd === "string" ? this.extraCommands.get(req.cmd) : undefined;
        if (extra) return extra(req);
        throw new Error(`unknown command ${excerpt(cleanLine(JSON.stringify(req.cmd)), 80)} (status, macs, reload, confirm${[...this.extraCommands.keys()].map((k) => `, ${k}`).join("")})`);
      }
    }
  }

  /** From now on, reloads read these files (a push's, once written to the flash). */
  adoptConfigs(configs: string[], appliance: string | undefined): void {
    if (this.opts.watchMs) {
      for (const f of this.opts.configs) unwatchFile(f);
      for (const f of configs) watchFile(f, { interval: this.opts.watchMs }, () => this.fileChanged());
    }
    this.opts.configs = configs;
    this.opts.load = { ...this.opts.load, appliance };
  }

  // ---------------------------------------------------------------- shutdown

  async stop(why = "stopping"): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    for (const f of this.opts.configs) unwatchFile(f);
    if (this.reloadTimer) clearTimeout(this.reloadTimer);
    this.reloadJob?.cancel();
    this.dryRuns.cancel();
    this.commit.stop();
    this.log(Severity.notice, `${why}: shutting down`);
    await Promise.all(this.ports.map((p) => p.close()));
    await this.control?.close();
    await this.sender?.close();
    await this.notifier?.close();
  }
}

export class StartError extends Error {}

/** Why an appliance runs its deny-everything program (LiveOptions.failClosed). */
export interface FailedClosed {
  sinceMs: number;
  errors: number;
  diagnostics: string[]; // the first errors, bounded
}

/** An optional whole-number field of a request, within [min, max]. */
function count(req: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = req[key];
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) throw new Error(`"${key}" must be a whole number from ${min} to ${max}`);
  return v;
}

/** The connection table's figures (the table lives in the engine's memory; host/conntrack reads it). */
function connectionFigures(fw: Firewall): Record<string, number> | null {
  const s = conntrackOf(fw.engine).stats();
  return Object.fromEntries(Object.entries(s).map(([k, v]) => [k, Number(v)]));
}

/** The first load's answer, from the same worker a reload uses (retried while the files are being written). */
async function firstLoad(opts: LiveOptions): Promise<CheckAnswer> {
  let a: CheckAnswer | null = null;
  for (let tries = 0; tries < 3; tries++) {
    a = await checkInWorker({ configs: opts.configs, load: { ...opts.load }, imports: [], keepPolicy: opts.keepPolicy }, opts.reloadTimeoutMs ?? 120_000).answer
      .catch((e: Error): CheckAnswer => ({ ok: false, unstable: false, fingerprint: "", diagnostics: [], program: null, book: null, policy: null, appliance: null, dialect: null, error: e.message, image: null }));
    if (!a.unstable) return a;
    await new Promise((r) => setTimeout(r, SETTLE_MS));
  }
  return { ...a!, error: "the config files kept changing while they were checked" };
}
