/**
 * Syslog over UDP, written by hand (no dependency): RFC 5424 and RFC 3164
 * (BSD) framing, a rate-limited sender to a fixed loghost, and a notifier that
 * sends to per-packet destinations (the `notify` rule option) under one global
 * rate limit.
 *
 * RFC 5424 (default):
 *   <PRI>1 2024-01-02T03:04:05.678Z fw1 portcullis 1234 - [portcullis@32473 filter="inbound" ...] filter=inbound ...
 * RFC 3164:
 *   <PRI>Jan  2 03:04:05 fw1 portcullis[1234]: filter=inbound ...
 *
 * PRI = facility * 8 + severity. Nil values in RFC 5424 are `-`. Structured
 * data cannot be expressed in RFC 3164 and is dropped there (the packet-event
 * text carries the same fields). CR and LF in the text become spaces in both
 * formats, so one message is always one line. No UTF-8 BOM is written.
 */
import dgram from "node:dgram";
import net from "node:net";
import os from "node:os";
import { TokenBucket } from "./token-bucket.ts";
import { PORTCULLIS_SD_ID, type StructuredData } from "./packet-event.ts";
import { cleanLine } from "./sanitize.ts";

export { TokenBucket } from "./token-bucket.ts";
export {
  formatPacketEvent,
  protoName,
  hostPort,
  PORTCULLIS_SD_ID,
  type PacketEvent,
  type StructuredData,
} from "./packet-event.ts";

/** Facility numbers used by Portcullis (RFC 5424 table 1). */
export const Facility = { user: 1, daemon: 3, auth: 4, local0: 16, local7: 23 } as const;
/** Severity numbers (RFC 5424 table 2). */
export const Severity = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
} as const;

export const DEFAULT_FACILITY = Facility.local0;
export const DEFAULT_APP_NAME = "portcullis";

export type SyslogMessage = {
  /** 0..23; callers default to local0 = 16 */
  facility: number;
  /** 0..7 */
  severity: number;
  time: Date;
  hostname: string;
  appName: string;
  procId?: string;
  msgId?: string;
  /** SD-ID -> params */
  structuredData?: StructuredData;
  text: string;
};

export type SyslogFormat = "rfc5424" | "rfc3164";

/** PRI value; throws RangeError for facility outside 0..23 or severity outside 0..7. */
export function syslogPri(facility: number, severity: number): number {
  if (!Number.isInteger(facility) || facility < 0 || facility > 23) {
    throw new RangeError(`syslog: facility must be an integer 0..23, got ${facility}`);
  }
  if (!Number.isInteger(severity) || severity < 0 || severity > 7) {
    throw new RangeError(`syslog: severity must be an integer 0..7, got ${severity}`);
  }
  return facility * 8 + severity;
}

/** RFC 5424 header field: PRINTUSASCII (33..126), at most `max` chars, `-` when empty. */
function headerField(value: string | undefined, max: number): string {
  if (value === undefined) return "-";
  const v = value.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return v === "" ? "-" : v;
}

/** SD-NAME: PRINTUSASCII except `=`, SP, `]`, `"`; 1..32 chars. Invalid chars become `_`. */
function sdName(name: string): string {
  return name.replace(/[^\x21-\x7e]|[=\]"]/g, "_").slice(0, 32);
}

/**
 * PARAM-VALUE escaping of RFC 5424 section 6.3.3: `"`, `\` and `]` get a
 * backslash. Control and bidi characters (a file name with a newline) are
 * first replaced by visible escapes (sanitize.ts), so a value never breaks
 * the one-line framing; their backslash is then escaped like any other.
 */
export function escapeSdValue(value: string): string {
  return cleanLine(value).replace(/[\\"\]]/g, (c) => `\\${c}`);
}

/** STRUCTURED-DATA string, `-` when there is none. */
export function formatStructuredData(sd: StructuredData | undefined): string {
  if (!sd) return "-";
  let out = "";
  for (const [id, params] of Object.entries(sd)) {
    const sdId = sdName(id);
    if (sdId === "") continue;
    out += `[${sdId}`;
    for (const [k, v] of Object.entries(params)) {
      const name = sdName(k);
      if (name === "") continue;
      out += ` ${name}="${escapeSdValue(String(v))}"`;
    }
    out += "]";
  }
  return out === "" ? "-" : out;
}

/** CR and LF become spaces (one message, one line); other control and bidi characters visible escapes. */
function singleLine(text: string): string {
  return cleanLine(text.replace(/\r\n|[\r\n]/g, " "));
}

/** RFC 5424 TIMESTAMP: ISO 8601 UTC with milliseconds, `-` if not representable. */
function rfc5424Time(time: Date): string {
  const ms = time.getTime();
  if (!Number.isFinite(ms)) return "-";
  const y = time.getUTCFullYear();
  if (y < 0 || y > 9999) return "-";
  return time.toISOString();
}

/** `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD[ MSG]` */
export function formatRfc5424(msg: SyslogMessage): string {
  const pri = syslogPri(msg.facility, msg.severity);
  const header = [
    `<${pri}>1`,
    rfc5424Time(msg.time),
    headerField(msg.hostname, 255),
    headerField(msg.appName, 48),
    headerField(msg.procId, 128),
    headerField(msg.msgId, 32),
    formatStructuredData(msg.structuredData),
  ].join(" ");
  const text = singleLine(msg.text);
  return text === "" ? header : `${header} ${text}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const dtfCache = new Map<string, Intl.DateTimeFormat>();

function wallClock(time: Date, timeZone: string): { mon: number; day: number; h: number; m: number; s: number } {
  if (timeZone === "UTC") {
    return {
      mon: time.getUTCMonth(),
      day: time.getUTCDate(),
      h: time.getUTCHours(),
      m: time.getUTCMinutes(),
      s: time.getUTCSeconds(),
    };
  }
  let dtf = dtfCache.get(timeZone);
  if (!dtf) {
    dtf = new Intl.DateTimeFormat("en-US", {
      timeZone: timeZone === "local" ? undefined : timeZone,
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
      hourCycle: "h23",
    });
    dtfCache.set(timeZone, dtf);
  }
  const parts: Record<string, number> = {};
  for (const p of dtf.formatToParts(time)) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  return { mon: parts.month - 1, day: parts.day, h: parts.hour % 24, m: parts.minute, s: parts.second };
}

export type Rfc3164Options = {
  /** IANA zone name, "UTC" (default) or "local" (the process's time zone) */
  timeZone?: string;
};

/** RFC 3164 TAG: alphanumerics plus `._-/`, at most 32 chars, never empty. */
function tag(appName: string): string {
  const t = appName.replace(/[^A-Za-z0-9._\/-]/g, "").slice(0, 32);
  return t === "" ? DEFAULT_APP_NAME : t;
}

/** `<PRI>Mmm dd hh:mm:ss HOSTNAME TAG[PROCID]: MSG` (`[PROCID]` only when set). */
export function formatRfc3164(msg: SyslogMessage, opts: Rfc3164Options = {}): string {
  const pri = syslogPri(msg.facility, msg.severity);
  if (!Number.isFinite(msg.time.getTime())) throw new RangeError("syslog: invalid time");
  const w = wallClock(msg.time, opts.timeZone ?? "UTC");
  const two = (n: number) => String(n).padStart(2, "0");
  const stamp = `${MONTHS[w.mon]} ${String(w.day).padStart(2, " ")} ${two(w.h)}:${two(w.m)}:${two(w.s)}`;
  const host = headerField(msg.hostname, 255);
  const pid = msg.procId !== undefined && msg.procId !== "" ? `[${headerField(msg.procId, 128)}]` : "";
  return `<${pri}>${stamp} ${host} ${tag(msg.appName)}${pid}: ${singleLine(msg.text)}`;
}

export function formatSyslog(format: SyslogFormat, msg: SyslogMessage, opts: Rfc3164Options = {}): string {
  return format === "rfc3164" ? formatRfc3164(msg, opts) : formatRfc5424(msg);
}

// ---------------------------------------------------------------------------
// Transport

export type SyslogStats = {
  /** datagrams handed to the socket, suppression notices included */
  sent: number;
  /** messages dropped by the rate limiter */
  suppressed: number;
  /** send failures (synchronous or reported later by the socket), never thrown */
  errors: number;
};

/** Cut a UTF-8 buffer to at most `max` bytes without splitting a character. */
function truncateUtf8(buf: Buffer, max: number): Buffer {
  if (buf.length <= max) return buf;
  let end = max;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}

/** Lazily created UDP sockets (one per address family) that never throw. */
class UdpTransport {
  private readonly sockets = new Map<4 | 6, dgram.Socket>();
  private inflight = 0;
  private drained: (() => void)[] = [];
  private closing: Promise<void> | undefined;

  constructor(
    private readonly stats: SyslogStats,
    private readonly maxBytes: number,
  ) {}

  get closed(): boolean {
    return this.closing !== undefined;
  }

  private socket(family: 4 | 6): dgram.Socket {
    let s = this.sockets.get(family);
    if (!s) {
      s = dgram.createSocket(family === 6 ? "udp6" : "udp4");
      s.on("error", () => {
        this.stats.errors++;
      });
      s.unref();
      this.sockets.set(family, s);
    }
    return s;
  }

  send(family: 4 | 6, host: string, port: number, line: string): boolean {
    if (this.closing) {
      this.stats.errors++;
      return false;
    }
    const buf = truncateUtf8(Buffer.from(line, "utf8"), this.maxBytes);
    try {
      this.inflight++;
      this.socket(family).send(buf, port, host, (err) => {
        if (err) this.stats.errors++;
        this.settle();
      });
      this.stats.sent++;
      return true;
    } catch {
      this.stats.errors++;
      this.settle();
      return false;
    }
  }

  private settle(): void {
    this.inflight--;
    if (this.inflight === 0) {
      const waiters = this.drained;
      this.drained = [];
      for (const w of waiters) w();
    }
  }

  /** Wait for in-flight datagrams, then close every socket. Idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.inflight > 0) await new Promise<void>((r) => this.drained.push(r));
      await Promise.all(
        [...this.sockets.values()].map(
          (s) =>
            new Promise<void>((resolve) => {
              try {
                s.close(() => resolve());
              } catch {
                resolve();
              }
            }),
        ),
      );
      this.sockets.clear();
    })();
    return this.closing;
  }
}

type CommonOptions = {
  format?: SyslogFormat;
  /** global rate limit, messages per second (default 20) */
  ratePerSec?: number;
  /** global burst (default 40) */
  burst?: number;
  /** HOSTNAME field (default os.hostname()) */
  hostname?: string;
  /** default local0 = 16 */
  facility?: number;
  /** APP-NAME / TAG (default "portcullis") */
  appName?: string;
  /** PROCID (default the process id); "" for none */
  procId?: string;
  /** RFC 3164 time zone: "UTC" (default), "local", or an IANA name */
  timeZone?: string;
  /** datagrams are cut to this many bytes (default 2048, RFC 5426 section 3.2) */
  maxBytes?: number;
  /** milliseconds since the epoch (default Date.now) */
  clock?: () => number;
};

export type SyslogSenderOptions = CommonOptions & {
  host: string;
  port: number;
  /** address family for a host name; IP literals choose it themselves (default 4) */
  family?: 4 | 6;
};

export type SyslogNotifierOptions = CommonOptions & {
  /** per-destination rate limit, messages per second (default 1) */
  perHostRatePerSec?: number;
  /** per-destination burst (default 5) */
  perHostBurst?: number;
  /** destinations remembered for per-host limits and pending notices (default 1024, LRU) */
  maxHosts?: number;
};

function checkPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new RangeError(`syslog: port must be an integer 1..65535, got ${port}`);
  }
}

/** Builds framed lines with the configured header fields. */
class Framer {
  readonly format: SyslogFormat;
  private readonly hostname: string;
  private readonly facility: number;
  private readonly appName: string;
  private readonly procId: string | undefined;
  private readonly timeZone: string;

  constructor(opts: CommonOptions) {
    this.format = opts.format ?? "rfc5424";
    this.hostname = opts.hostname ?? os.hostname();
    this.facility = opts.facility ?? DEFAULT_FACILITY;
    syslogPri(this.facility, 0);
    this.appName = opts.appName ?? DEFAULT_APP_NAME;
    const procId = opts.procId ?? String(process.pid);
    this.procId = procId === "" ? undefined : procId;
    this.timeZone = opts.timeZone ?? "UTC";
  }

  line(severity: number, text: string, sd: StructuredData | undefined, nowMs: number, msgId?: string): string {
    return formatSyslog(
      this.format,
      {
        facility: this.facility,
        severity,
        time: new Date(nowMs),
        hostname: this.hostname,
        appName: this.appName,
        procId: this.procId,
        msgId,
        structuredData: sd,
        text,
      },
      { timeZone: this.timeZone },
    );
  }

  suppressedNotice(count: number, nowMs: number): string {
    return this.line(
      Severity.notice,
      `${count} messages suppressed`,
      { [PORTCULLIS_SD_ID]: { suppressed: String(count) } },
      nowMs,
    );
  }
}

/**
 * Rate-limited syslog sender to one fixed loghost over UDP.
 *
 * When messages were suppressed, the next message that passes the bucket is
 * preceded by a notice `N messages suppressed` (severity notice, SD param
 * `suppressed="N"` in RFC 5424). `flushSuppressed` and `close` send a pending
 * notice right away. Network errors are counted in `stats.errors`, never thrown;
 * a bad severity (programming error) throws RangeError.
 */
export class SyslogSender {
  readonly stats: SyslogStats = { sent: 0, suppressed: 0, errors: 0 };
  private readonly host: string;
  private readonly port: number;
  private readonly family: 4 | 6;
  private readonly bucket: TokenBucket;
  private readonly clock: () => number;
  private readonly framer: Framer;
  private readonly transport: UdpTransport;
  private pendingSuppressed = 0;

  constructor(opts: SyslogSenderOptions) {
    checkPort(opts.port);
    this.host = opts.host;
    this.port = opts.port;
    const ip = net.isIP(opts.host);
    this.family = ip === 6 ? 6 : ip === 4 ? 4 : (opts.family ?? 4);
    this.bucket = new TokenBucket(opts.ratePerSec ?? 20, opts.burst ?? 40);
    this.clock = opts.clock ?? Date.now;
    this.framer = new Framer(opts);
    this.transport = new UdpTransport(this.stats, opts.maxBytes ?? 2048);
  }

  /** Messages suppressed since the last notice. */
  get pending(): number {
    return this.pendingSuppressed;
  }

  /** Send one message; false if rate-limited (or the sender is closed / the send failed at once). */
  send(severity: number, text: string, sd?: StructuredData, nowMs?: number): boolean {
    syslogPri(0, severity);
    const now = nowMs ?? this.clock();
    if (this.transport.closed) {
      this.stats.errors++;
      return false;
    }
    if (!this.bucket.take(now)) {
      this.stats.suppressed++;
      this.pendingSuppressed++;
      return false;
    }
    this.flushSuppressed(now);
    return this.transport.send(this.family, this.host, this.port, this.framer.line(severity, text, sd, now));
  }

  /** Send the `N messages suppressed` notice now if any are pending (not rate-limited: call it from a timer). */
  flushSuppressed(nowMs?: number): void {
    if (this.pendingSuppressed === 0 || this.transport.closed) return;
    const n = this.pendingSuppressed;
    this.pendingSuppressed = 0;
    const now = nowMs ?? this.clock();
    this.transport.send(this.family, this.host, this.port, this.framer.suppressedNotice(n, now));
  }

  /** Flush a pending notice, wait for in-flight datagrams, close the socket. */
  async close(): Promise<void> {
    this.flushSuppressed();
    await this.transport.close();
  }
}

type HostState = { bucket: TokenBucket; pending: number; port: number };

/**
 * Syslog to per-message destinations (the `notify` option: the packet's source
 * host). One socket per address family, one global bucket shared by all
 * destinations, plus a small per-destination bucket. Destinations must be IP
 * literals (no DNS lookups of packet data); anything else counts as an error.
 *
 * Suppressed messages are counted per destination; the next message that
 * reaches that destination is preceded by its `N messages suppressed` notice.
 * Unlike `SyslogSender`, `flushSuppressed` and `close` spend global tokens on
 * notices, so the total towards all destinations stays bounded (at most two
 * datagrams per global token).
 */
export class SyslogNotifier {
  readonly stats: SyslogStats = { sent: 0, suppressed: 0, errors: 0 };
  private readonly bucket: TokenBucket;
  private readonly perHostRate: number;
  private readonly perHostBurst: number;
  private readonly maxHosts: number;
  private readonly hosts = new Map<string, HostState>();
  private readonly clock: () => number;
  private readonly framer: Framer;
  private readonly transport: UdpTransport;

  constructor(opts: SyslogNotifierOptions = {}) {
    this.bucket = new TokenBucket(opts.ratePerSec ?? 20, opts.burst ?? 40);
    this.perHostRate = opts.perHostRatePerSec ?? 1;
    this.perHostBurst = opts.perHostBurst ?? 5;
    new TokenBucket(this.perHostRate, this.perHostBurst); // validate early
    this.maxHosts = Math.max(1, opts.maxHosts ?? 1024);
    this.clock = opts.clock ?? Date.now;
    this.framer = new Framer(opts);
    this.transport = new UdpTransport(this.stats, opts.maxBytes ?? 2048);
  }

  private state(host: string, port: number): HostState {
    let st = this.hosts.get(host);
    if (st) {
      this.hosts.delete(host); // move to the LRU tail
    } else {
      st = { bucket: new TokenBucket(this.perHostRate, this.perHostBurst), pending: 0, port };
      if (this.hosts.size >= this.maxHosts) {
        const oldest = this.hosts.keys().next().value;
        if (oldest !== undefined) this.hosts.delete(oldest);
      }
    }
    st.port = port;
    this.hosts.set(host, st);
    return st;
  }

  /** Send to `host:port` (an IP literal); false if rate-limited or rejected. */
  sendTo(host: string, port: number, severity: number, text: string, sd?: StructuredData, nowMs?: number): boolean {
    syslogPri(0, severity);
    const family = net.isIP(host);
    if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65535 || this.transport.closed) {
      this.stats.errors++;
      return false;
    }
    const now = nowMs ?? this.clock();
    const st = this.state(host, port);
    if (!st.bucket.take(now) || !this.bucket.take(now)) {
      this.stats.suppressed++;
      st.pending++;
      return false;
    }
    const fam = family === 6 ? 6 : 4;
    if (st.pending > 0) {
      const n = st.pending;
      st.pending = 0;
      this.transport.send(fam, host, port, this.framer.suppressedNotice(n, now));
    }
    return this.transport.send(fam, host, port, this.framer.line(severity, text, sd, now));
  }

  /** Send pending notices (least recently used destination first) while global tokens last. */
  flushSuppressed(nowMs?: number): void {
    if (this.transport.closed) return;
    const now = nowMs ?? this.clock();
    for (const [host, st] of this.hosts) {
      if (st.pending === 0) continue;
      if (!this.bucket.take(now)) return;
      const n = st.pending;
      st.pending = 0;
      this.transport.send(net.isIP(host) === 6 ? 6 : 4, host, st.port, this.framer.suppressedNotice(n, now));
    }
  }

  async close(): Promise<void> {
    this.flushSuppressed();
    await this.transport.close();
  }
}
