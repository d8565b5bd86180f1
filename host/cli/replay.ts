// `portcullis replay`: run a capture through the firewall in capture order
// with the capture's timestamps; summary, per-rule counters, log lines;
// optional pcap files of what passed and what was dropped.
import { readFileSync, writeFileSync } from "node:fs";
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { loadAllLazily, printDiagnostics } from "./common.ts";
import * as L from "../../assembly/layout.ts";
import { readCapture, PcapWriter, LINKTYPE_ETHERNET } from "../pcap/pcap.ts";
import { captureFrames, counterLines, UNSUPPORTED_LINK } from "../runtime/capture.ts";
import { Firewall, type Outcome } from "../runtime/firewall.ts";
import { describeReason, isMalformed } from "../engine/reasons.ts";
import { ruleAt, allRules } from "../model/rule.ts";
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

  let buf: Uint8Array;
  try {
    buf = new Uint8Array(readFileSync(values.pcap));
  } catch (e) {
    io.err(`portcullis replay: cannot read ${values.pcap}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const cap = readCapture(buf);
  const read = captureFrames(cap.packets);
  if ("unsupported" in read) {
    io.err(`portcullis replay: ${values.pcap}: ${UNSUPPORTED_LINK(read.unsupported)}\n`);
    return 1;
  }
  const allFrames = read.frames;

  const sender = loghost ? new SyslogSender({ host: loghost.host, port: loghost.port, format, clock: () => 0 }) : null;
  const notifier = values["send-notify"] ? new SyslogNotifier({ format }) : null;
  const logLines: string[] = [];
  const onEvent = (ev: PacketEvent, tsNs: bigint) => {
    const { text, sd } = formatPacketEvent(ev);
    const nowMs = Number(tsNs / 1000000n);
    if (ev.kind === "log") {
      logLines.push(`log: ${text}`);
      sender?.send(Severity.notice, text, sd, nowMs);
    } else {
      logLines.push(`notify ${ev.src}: ${text}`);
      notifier?.sendTo(ev.src, notifyPort, Severity.notice, text, sd, nowMs);
    }
  };
  const fw = await Firewall.create(policy, l.program, l.appliance, { force, onEvent, unreachableRate: 10, ftpHelper: !values["no-ftp-helper"] });

  const passW = values.pass ? new PcapWriter(cap.linktype || LINKTYPE_ETHERNET, { nanos: true }) : null;
  const dropW = values.drop ? new PcapWriter(cap.linktype || LINKTYPE_ETHERNET, { nanos: true }) : null;
  const verdicts: ("permit" | "deny")[] = [];
  const lines: string[] = [];
  let malformed = 0, unreachables = 0, byState = 0;
  const reasons: string[] = [];
  const t0 = cap.packets.length ? cap.packets[0].tsNs : 0n;
  const showProgress = io.isTTY && cap.packets.length > 20000 && !values.json;
  for (let i = 0; i < cap.packets.length; i += BATCH) {
    const chunk = cap.packets.slice(i, i + BATCH);
    const outcomes = fw.process(allFrames.slice(i, i + BATCH));
    outcomes.forEach((o, k) => {
      const n = i + k + 1;
      verdicts.push(o.verdict);
      reasons.push(describeReason(o.reason));
      if (isMalformed(o.reason)) malformed++;
      if (o.reason === L.REASON_STATE || o.reason === L.REASON_EXPECTED || o.reason === L.REASON_RELATED) byState++;
      if (o.unreachable) unreachables++;
      (o.verdict === "permit" ? passW : dropW)?.add(chunk[k].tsNs, chunk[k].data, chunk[k].origLen);
      if (!values.json && !values.quiet) {
        const at = ruleAt(policy, o.rule);
        const who = isMalformed(o.reason) ? "the parser" : at ? `${at.rule.origin.label ?? `rule ${o.rule}`} (${at.rule.origin.file}:${at.rule.origin.line})` : describeReason(o.reason) + (o.reason === L.REASON_DEFAULT && o.stage !== "none" ? ` of ${policy.rulesets[(o.stage === "input" ? policy.input[o.path.ifIn] : policy.output[o.path.ifOut]) ?? 0]?.name ?? "?"}` : "");
        const secs = Number(chunk[k].tsNs - t0) / 1e9;
        const ifs = `${l.appliance.interfaces[o.path.ifIn]?.name}->${l.appliance.interfaces[o.path.ifOut]?.name}`;
        lines.push(`${String(n).padStart(5)} ${secs.toFixed(6).padStart(12)}  ${o.verdict.padEnd(6)} ${describePacket(o)}  ${ifs}  by ${who}${o.unreachable ? "  (icmp unreachable)" : ""}`);
      }
    });
    if (showProgress) io.err(`\rreplay: ${Math.min(i + BATCH, cap.packets.length)}/${cap.packets.length} packets`);
  }
  if (showProgress) io.err("\n");
  await sender?.close();
  await notifier?.close();
  passW && writeFileSync(values.pass, passW.toBuffer());
  dropW && writeFileSync(values.drop, dropW.toBuffer());

  const counters = fw.counters();
  const rules = allRules(policy).map((r, index) => ({
    index, file: r.origin.file, line: r.origin.line, label: r.origin.label ?? null,
    packets: Number(counters[index].packets), bytes: Number(counters[index].bytes),
  }));
  const defaults = fw.defaultCounters().map((c, k) => ({ ruleset: policy.rulesets[k].name, packets: Number(c.packets), bytes: Number(c.bytes) }));
  const permitted = verdicts.filter((v) => v === "permit").length;
  const summary = {
    packets: verdicts.length, permitted, denied: verdicts.length - permitted, malformed,
    by_state: byState, log_messages: logLines.length, unreachables, unreachables_suppressed: fw.unreachablesSuppressed,
  };
  if (values.json) {
    io.out(JSON.stringify({
      ...summary, rules, defaults, verdicts, reasons, logs: logLines,
      error: cap.error,
    }) + "\n");
  } else {
    io.out(`replay ${values.pcap}: ${cap.format}, ${cap.packets.length} packets\n`);
    if (lines.length) io.out(lines.join("\n") + "\n");
    if (logLines.length) io.out(logLines.join("\n") + "\n");
    io.out(`summary: ${summary.packets} packets, ${permitted} permitted, ${summary.denied} denied (${malformed} malformed), ${byState} by tracked state, ${logLines.length} log messages, ${unreachables} ICMP unreachables due (reported here, not sent)${fw.unreachablesSuppressed ? ` (${fw.unreachablesSuppressed} suppressed by the rate limit)` : ""}\n`);
    io.out("rules:\n" + counterLines(policy, rules, defaults).join("\n") + "\n");
  }
  if (cap.error) {
    io.err(`portcullis replay: ${values.pcap}: ${cap.error.message} (byte offset ${cap.error.offset}); the ${cap.packets.length} packets before it were processed\n`);
    return 1;
  }
  return 0;
}
