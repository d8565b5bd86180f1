/**
 * One-line, greppable text and RFC 5424 structured data for a firewall packet
 * event (a rule with a `log` or `notify` option matched a packet).
 *
 * Text (fields in this order, optional ones only when known):
 *
 *   filter=inbound rule=10 action=deny proto=tcp src=203.0.113.9:4711 dst=192.168.0.10:23 in=ether1 len=60 (rules.cfg:12)
 *   filter=inbound rule=- action=permit proto=icmp src=10.0.0.1 dst=10.0.0.2 type=8 code=0 len=84 (rules.cfg:3)
 *   filter=v6 rule=7 action=deny proto=udp src=[2001:db8::1]:53 dst=[2001:db8::2]:5353 len=80 (v6.cfg:9)
 *
 * Structured data, SD-ID `portcullis@32473`, params (all strings):
 *   event (log|notify), filter, rule (omitted when null), idx (ruleIndex),
 *   file, line, action, proto, src, sport?, dst, dport?, type?, code?, in?, len
 * In SD, addresses and ports are separate params (no brackets).
 */

import { cleanLine } from "./sanitize.ts";

export type PacketEvent = {
  kind: "log" | "notify";
  /** filter (ruleset) name */
  ruleset: string;
  /** rule number as the admin wrote it (e.g. PortMaster's N), null if the dialect has none */
  rule: number | null;
  /** position of the rule in the compiled ruleset */
  ruleIndex: number;
  file: string;
  line: number;
  action: "permit" | "deny";
  proto: number;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
  icmpType?: number;
  icmpCode?: number;
  iface?: string;
  length: number;
};

export type StructuredData = Record<string, Record<string, string>>;

/** SD-ID for Portcullis; 32473 is the documentation enterprise number of RFC 5612. */
export const PORTCULLIS_SD_ID = "portcullis@32473";

const PROTO_NAMES: Readonly<Record<number, string>> = {
  1: "icmp",
  4: "ipip",
  6: "tcp",
  17: "udp",
  47: "gre",
  50: "esp",
  51: "ah",
  58: "icmp6",
};

/** Lower-case protocol name for the well-known numbers, else the decimal number. */
export function protoName(proto: number): string {
  return PROTO_NAMES[proto] ?? String(proto);
}

/** `addr:port`, with IPv6 addresses bracketed when a port follows. */
export function hostPort(addr: string, port?: number): string {
  if (port === undefined) return addr;
  return addr.includes(":") ? `[${addr}]:${port}` : `${addr}:${port}`;
}

/** Replace control and bidi characters (sanitize.ts) so one event is always one line. */
const oneLine = cleanLine;

/**
 * A key=value value: bare when it is a non-empty run of "safe" characters,
 * otherwise double-quoted with `\` and `"` backslash-escaped.
 */
function kv(value: string): string {
  const v = oneLine(value);
  if (v !== "" && !/[\s"=\\]/.test(v)) return v;
  return `"${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function formatPacketEvent(ev: PacketEvent): { text: string; sd: StructuredData } {
  const proto = protoName(ev.proto);
  const parts: string[] = [
    `filter=${kv(ev.ruleset)}`,
    `rule=${ev.rule === null ? "-" : String(ev.rule)}`,
    `action=${ev.action}`,
    `proto=${proto}`,
    `src=${kv(hostPort(ev.src, ev.sport))}`,
    `dst=${kv(hostPort(ev.dst, ev.dport))}`,
  ];
  if (ev.icmpType !== undefined) parts.push(`type=${ev.icmpType}`);
  if (ev.icmpCode !== undefined) parts.push(`code=${ev.icmpCode}`);
  if (ev.iface !== undefined) parts.push(`in=${kv(ev.iface)}`);
  parts.push(`len=${ev.length}`);
  parts.push(`(${oneLine(ev.file)}:${ev.line})`);

  const p: Record<string, string> = { event: ev.kind, filter: ev.ruleset };
  if (ev.rule !== null) p.rule = String(ev.rule);
  p.idx = String(ev.ruleIndex);
  p.file = ev.file;
  p.line = String(ev.line);
  p.action = ev.action;
  p.proto = proto;
  p.src = ev.src;
  if (ev.sport !== undefined) p.sport = String(ev.sport);
  p.dst = ev.dst;
  if (ev.dport !== undefined) p.dport = String(ev.dport);
  if (ev.icmpType !== undefined) p.type = String(ev.icmpType);
  if (ev.icmpCode !== undefined) p.code = String(ev.icmpCode);
  if (ev.iface !== undefined) p.in = ev.iface;
  p.len = String(ev.length);

  return { text: parts.join(" "), sd: { [PORTCULLIS_SD_ID]: p } };
}
