// `portcullis replay`: run a capture through the firewall in capture order
// with the capture's timestamps; summary, per-rule counters, log lines;
// optional pcap files of what passed and what was dropped.
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { loadAllLazily, printDiagnostics, type Loaded } from "./common.ts";
import * as L from "../../assembly/layout.ts";
import { openCaptureFile, PcapFileWriter, LINKTYPE_ETHERNET, type CaptureReader } from "../pcap/pcap.ts";
import { FrameStream, counterLines, UNSUPPORTED_LINK } from "../runtime/capture.ts";
import { Spool } from "./spool.ts";
import { Firewall, type Outcome } from "../runtime/firewall.ts";
import { describeReason, isMalformed } from "../engine/reasons.ts";
import { ruleAt, allRules, type Policy } from "../model/rule.ts";
import { formatAddress } from "../model/addr.ts";
import { parseHostPort } from "../model/appliance.ts";
import { formatPacketEvent, type PacketEvent } from "../log/packet-event.ts";
import { SyslogSender, SyslogNotifier, Severity } from "../log/syslog.ts";

const BATCH = 256;
const FLAG_LETTERS = "FSRPAU";

function flagText(f: number | null): string {
  if (f === null) return "";
  let s = "";
  for (let i = 0; i < 6; i++) if (f & (1 << i)) s += FLAG_LETTERS[i];
  return ` [${s || "."}]`;
}

export function describePacket(o: Outcome): string {
  const h = o.header;
  if (isMalformed(h.reason)) return `malformed (${describeReason(h.reason).replace("malformed: ", "")}), ${h.length} bytes`;
  const proto = { 6: "tcp", 17: "udp", 1: "icmp", 58: "icmp6" }[h.proto] ?? `proto ${h.proto}`;
  const ep = (words: number[], port: number | null) => {
    const a = formatAddress({ family: h.family, words });
    return port === null ? a : h.family === 6 ? `[${a}]:${port}` : `${a}:${port}`;
  };
  const icmp = h.icmpType !== null ? ` type ${h.icmpType} code ${h.icmpCode}` : "";
  const frag = h.frag === "none" ? "" : ` frag=${h.frag}`;
  return `${proto} ${ep(h.src, h.sport)} > ${ep(h.dst, h.dport)}${flagText(h.tcpFlags)}${icmp}${frag}`;
}

export async function replayCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {
    pcap: { type: "string" },
    in: { type: "string" },
    out: { type: "string" },
    pass: { type: "string" },
    drop: { type: "string" },
    loghost: { type: "string" },
    "syslog-format": { type: "string", default: "rfc5424" },
    "send-notify": { type: "boolean", default: false },
    "notify-port": { type: "string", default: "514" },
    quiet: { type: "boolean", short: "q", default: false },
    "no-ftp-helper": { type: "boolean", default: false },
  });
  if (!values.pcap) throw new UsageError("--pcap IN is required");
  const format = values["syslog-format"];
  if (format !== "rfc5424" && format !== "rfc3164") throw new UsageError("--syslog-format is rfc5424 or rfc3164");
  const notifyPort = Number(values["notify-port"]);
  if (!(notifyPort >= 1 && notifyPort <= 65535)) throw new UsageError("--notify-port wants 1..65535");
  const l = await loadAllLazily(positionals, values);
  printDiagnostics(io, l.diagnostics);
  if (!l.ok || !l.program) return 1;
  const policy = l.config.policy!;
  const ifaceIndex = (name: string | undefined, opt: string) => {
    if (name === undefined) return undefined;
    const i = l.appliance.interfaces.findIndex((x) => x.name === name);
    if (i < 0) throw new UsageError(`${opt}: no interface "${name}" (have ${l.appliance.interfaces.map((x) => x.name).join(", ")})`);
    return i;
  };
  const force = { in: ifaceIndex(values.in, "--in"), out: ifaceIndex(values.out, "--out") };
  let loghost = l.appliance.loghost;
  if (values.loghost) {
    loghost = parseHostPort(values.loghost, 514);
    if (!loghost) throw new UsageError(`bad --loghost "${values.loghost}" (HOST:PORT)`);
  }

  let reader: CaptureReader;
  try {
    reader = openCaptureFile(values.pcap);
  } catch (e) {
    io.err(`portcullis replay: cannot read ${values.pcap}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  // Reasons and log lines are printed after the per-packet stream: they wait
  // in spools (bounded memory, spilling to a temporary file) until then.
  const reasons = new Spool();
  const logLines = new Spool();
  const writers: PcapFileWriter[] = [];
  try {
    return await replayStream(values, l, policy, force, loghost, format, notifyPort, reader, reasons, logLines, writers, io);
  } catch (e) {
    // --pass/--drop files that cannot be created or written (ENOSPC, EACCES, ...)
    const code = (e as NodeJS.ErrnoException).code;
    if (!code || !("syscall" in (e as object))) throw e;
    io.err(`portcullis replay: cannot write ${(e as NodeJS.ErrnoException).path ?? "the --pass/--drop file"}: ${code}\n`);
    return 1;
  } finally {
    for (const w of writers) {
      try { w.close(); } catch { /* already reported */ }
    }
    reader.close();
    reasons.dispose();
    logLines.dispose();
  }
}

type Values = Record<string, any>;

// The packets are read, classified, printed and written a batch at a time:
// memory is one batch, the connection table and the spools' bounded part,
// whatever the capture's length.
async function replayStream(
  values: Values, l: Loaded, policy: Policy, force: { in?: number; out?: number },
  loghost: { host: string; port: number } | null | undefined, format: "rfc5424" | "rfc3164", notifyPort: number,
  reader: CaptureReader, reasons: Spool, logLines: Spool, writers: PcapFileWriter[], io: IO,
): Promise<number> {
  const json = Boolean(values.json);
  const sender = loghost ? new SyslogSender({ host: loghost.host, port: loghost.port, format, clock: () => 0 }) : null;
  const notifier = values["send-notify"] ? new SyslogNotifier({ format }) : null;
  const logSep = () => (json && logLines.count ? "," : "");
  const onEvent = (ev: PacketEvent, tsNs: bigint) => {
    const { text, sd } = formatPacketEvent(ev);
    const nowMs = Number(tsNs / 1000000n);
    const line = ev.kind === "log" ? `log: ${text}` : `notify ${ev.src}: ${text}`;
    logLines.push(json ? logSep() + JSON.stringify(line) : line + "\n");
    if (ev.kind === "log") sender?.send(Severity.notice, text, sd, nowMs);
    else notifier?.sendTo(ev.src, notifyPort, Severity.notice, text, sd, nowMs);
  };
  try {
    const fw = await Firewall.create(policy, l.program!, l.appliance, { force, onEvent, unreachableRate: 10, ftpHelper: !values["no-ftp-helper"] });
    return await replayBatches(values, l, policy, fw, reader, reasons, logLines, writers, io, sender !== null || notifier !== null);
  } finally {
    // Their sockets would keep the process alive; close() flushes what is pending.
    await sender?.close();
    await notifier?.close();
  }
}

async function replayBatches(
  values: Values, l: Loaded, policy: Policy, fw: Firewall,
  reader: CaptureReader, reasons: Spool, logLines: Spool, writers: PcapFileWriter[], io: IO, sending: boolean,
): Promise<number> {
  const json = Boolean(values.json);

  const stream = new FrameStream(reader, BATCH);
  let batch = stream.next();
  // The output files take the capture's link type, known once its first packet is read.
  const linktype = reader.linktype || LINKTYPE_ETHERNET;
  const passW = values.pass ? new PcapFileWriter(values.pass, linktype, { nanos: true }) : null;
  if (passW) writers.push(passW);
  const dropW = values.drop ? new PcapFileWriter(values.drop, linktype, { nanos: true }) : null;
  if (dropW) writers.push(dropW);

  let packets = 0, permitted = 0, malformed = 0, unreachables = 0, byState = 0;
  const t0 = batch.packets.length ? batch.packets[0].tsNs : 0n;
  const size = reader.size();
  let progress = false;
  if (json) io.out(`{"verdicts":[`);
  else io.out(`replay ${values.pcap}: ${reader.format}\n`);
  for (; batch.frames.length; batch = stream.next()) {
    const chunk = batch.packets;
    const outcomes = fw.process(batch.frames);
    const lines: string[] = [];
    outcomes.forEach((o, k) => {
      const n = packets + k + 1;
      if (o.verdict === "permit") permitted++;
      if (json) reasons.push((n > 1 ? "," : "") + JSON.stringify(describeReason(o.reason)));
      if (isMalformed(o.reason)) malformed++;
      if (o.reason === L.REASON_STATE || o.reason === L.REASON_EXPECTED || o.reason === L.REASON_RELATED) byState++;
      if (o.unreachable) unreachables++;
      (o.verdict === "permit" ? passW : dropW)?.add(chunk[k].tsNs, chunk[k].data, chunk[k].origLen);
      if (json) {
        lines.push(`"${o.verdict}"`);
      } else if (!values.quiet) {
        const at = ruleAt(policy, o.rule);
        const who = isMalformed(o.reason) ? "the parser" : at ? `${at.rule.origin.label ?? `rule ${o.rule}`} (${at.rule.origin.file}:${at.rule.origin.line})` : describeReason(o.reason) + (o.reason === L.REASON_DEFAULT && o.stage !== "none" ? ` of ${policy.rulesets[(o.stage === "input" ? policy.input[o.path.ifIn] : policy.output[o.path.ifOut]) ?? 0]?.name ?? "?"}` : "");
        const secs = Number(chunk[k].tsNs - t0) / 1e9;
        const ifs = `${l.appliance.interfaces[o.path.ifIn]?.name}->${l.appliance.interfaces[o.path.ifOut]?.name}`;
        lines.push(`${String(n).padStart(5)} ${secs.toFixed(6).padStart(12)}  ${o.verdict.padEnd(6)} ${describePacket(o)}  ${ifs}  by ${who}${o.unreachable ? "  (icmp unreachable)" : ""}`);
      }
    });
    if (lines.length) io.out(json ? (packets > 0 ? "," : "") + lines.join(",") : lines.join("\n") + "\n");
    packets += outcomes.length;
    fw.ftp?.events.splice(0); // replay reports pinholes through the verdicts; keep the helper's log from growing
    if (io.isTTY && !json && packets > 20000) {
      progress = true;
      io.err(`\rreplay: ${packets} packets${size ? ` (${Math.floor((reader.offset / size) * 100)}%)` : ""}`);
    }
    // Let the syslog datagrams of this batch leave before the next one.
    if (sending) await new Promise((r) => setImmediate(r));
  }
  if (progress) io.err("\n");
  for (const w of writers.splice(0)) w.close();

  const counters = fw.counters();
  const rules = allRules(policy).map((r, index) => ({
    index, file: r.origin.file, line: r.origin.line, label: r.origin.label ?? null,
    packets: Number(counters[index].packets), bytes: Number(counters[index].bytes),
  }));
  const defaults = fw.defaultCounters().map((c, k) => ({ ruleset: policy.rulesets[k].name, packets: Number(c.packets), bytes: Number(c.bytes) }));
  const summary = {
    packets, permitted, denied: packets - permitted, malformed,
    by_state: byState, log_messages: logLines.count, unreachables, unreachables_suppressed: fw.unreachablesSuppressed,
  };
  const stop = stream.stopReason();
  if (json) {
    // One JSON object, streamed: the arrays first, then the summary (key order carries no meaning).
    io.out(`],"reasons":[`);
    reasons.drain(io.out);
    io.out(`],"logs":[`);
    logLines.drain(io.out);
    const s = JSON.stringify({ ...summary, rules, defaults, error: reader.error ?? (stream.unsupported !== null ? { offset: reader.packetOffset, message: UNSUPPORTED_LINK(stream.unsupported) } : null) });
    io.out(`],${s.slice(1)}\n`);
  } else {
    logLines.drain(io.out);
    io.out(`summary: ${summary.packets} packets, ${permitted} permitted, ${summary.denied} denied (${malformed} malformed), ${byState} by tracked state, ${logLines.count} log messages, ${unreachables} ICMP unreachables due (reported here, not sent)${fw.unreachablesSuppressed ? ` (${fw.unreachablesSuppressed} suppressed by the rate limit)` : ""}\n`);
    io.out("rules:\n" + counterLines(policy, rules, defaults).join("\n") + "\n");
  }
  if (stop) {
    io.err(`portcullis replay: ${values.pcap}: ${stop}; the ${packets} packets before it were processed\n`);
    return 1;
  }
  return 0;
}
