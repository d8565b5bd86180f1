// The Prometheus text exposition format, version 0.0.4, of a console
// snapshot. One function owns the format: metric families with their HELP and
// TYPE lines, label values escaped as the format requires (backslash, double
// quote and line feed), HELP text escaped likewise (backslash and line feed).
import type { Snapshot } from "./snapshot.ts";

export const METRICS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

type Labels = Record<string, string | number>;

/** A label value as the format wants it: `\` -> `\\`, `"` -> `\"`, LF -> `\n`. */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

function escapeHelp(v: string): string {
  return v.replace(/[\\\n]/g, (c) => (c === "\n" ? "\\n" : "\\\\"));
}

class Writer {
  private parts: string[] = [];

  family(name: string, type: "counter" | "gauge", help: string): void {
    this.parts.push(`# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}\n`);
  }

  sample(name: string, labels: Labels | null, value: number): void {
    this.parts.push(`${name}${labels ? labelText(labels) : ""} ${Number.isFinite(value) ? value : 0}\n`);
  }

  line(text: string): void {
    this.parts.push(text);
  }

  text(): string {
    return this.parts.join("");
  }
}

/** The whole scrape. */
export function renderMetrics(s: Snapshot): string {
  const w = new Writer();
  w.family("portcullis_build_info", "gauge", "Version and commit of the running firmware (always 1).");
  w.sample("portcullis_build_info", { version: s.build.version, commit: s.build.commit }, 1);
  w.family("portcullis_config_generation", "gauge", "Generation of the running configuration (1 at start, +1 per applied reload).");
  w.sample("portcullis_config_generation", null, s.generation);
  w.family("portcullis_uptime_seconds", "gauge", "Seconds since the appliance started.");
  w.sample("portcullis_uptime_seconds", null, s.uptimeS);

  const labels = ruleLabelText(s.rules);
  w.family("portcullis_rule_packets_total", "counter", "Packets decided by each rule.");
  s.rules.forEach((r, i) => w.line(`portcullis_rule_packets_total${labels[i]} ${r.packets}\n`));
  w.family("portcullis_rule_bytes_total", "counter", "Bytes of the packets decided by each rule.");
  s.rules.forEach((r, i) => w.line(`portcullis_rule_bytes_total${labels[i]} ${r.bytes}\n`));

  w.family("portcullis_default_packets_total", "counter", "Packets decided by a ruleset's default, per direction.");
  for (const d of s.defaults) w.sample("portcullis_default_packets_total", { ruleset: d.ruleset, direction: d.direction }, d.packets);

  w.family("portcullis_port_frames_total", "counter", "Ethernet frames per port and direction (rx received, tx sent).");
  for (const p of s.ports) {
    w.sample("portcullis_port_frames_total", { port: p.name, direction: "rx" }, p.rxPackets);
    w.sample("portcullis_port_frames_total", { port: p.name, direction: "tx" }, p.txPackets);
  }
  w.family("portcullis_port_bytes_total", "counter", "Bytes per port and direction (rx received, tx sent).");
  for (const p of s.ports) {
    w.sample("portcullis_port_bytes_total", { port: p.name, direction: "rx" }, p.rxBytes);
    w.sample("portcullis_port_bytes_total", { port: p.name, direction: "tx" }, p.txBytes);
  }

  w.family("portcullis_dropped_total", "counter", "Frames dropped, by reason.");
  for (const d of s.drops) w.sample("portcullis_dropped_total", { reason: d.reason }, d.count);

  const c = s.conntrack;
  w.family("portcullis_conntrack_flows", "gauge", "Flows in the connection table.");
  w.sample("portcullis_conntrack_flows", null, c?.flows ?? 0);
  w.family("portcullis_conntrack_capacity", "gauge", "Capacity of the connection table, in flows.");
  w.sample("portcullis_conntrack_capacity", null, c?.capacity ?? 0);
  w.family("portcullis_conntrack_evictions_total", "counter", "Flows evicted to make room for new ones.");
  w.sample("portcullis_conntrack_evictions_total", null, c?.evicted ?? 0);

  w.family("portcullis_reloads_total", "counter", "Configuration reloads, by result.");
  w.sample("portcullis_reloads_total", { result: "applied" }, s.reloads.applied);
  w.sample("portcullis_reloads_total", { result: "refused" }, s.reloads.refused);
  return w.text();
}

function labelText(labels: Labels): string {
  const items: string[] = [];
  for (const k in labels) items.push(`${k}="${escapeLabelValue(String(labels[k]))}"`);
  return `{${items.join(",")}}`;
}

/** Label text per rule row, built once per generation of rows (the console keeps one array per generation). */
const labelCache = new WeakMap<Snapshot["rules"], string[]>();

function ruleLabelText(rules: Snapshot["rules"]): string[] {
  let text = labelCache.get(rules);
  if (!text) {
    text = ruleLabelSets(rules).map(labelText);
    labelCache.set(rules, text);
  }
  return text;
}

/**
 * Each rule's labels. Two series may not share a label set, and two rules can
 * (a minified JSON file puts several rules on one line under one name): the
 * second and later get " (2)", " (3)"... after the rule's name.
 */
function ruleLabelSets(rules: Snapshot["rules"]): Labels[] {
  const seen = new Map<string, number>();
  return rules.map((r) => {
    const key = `${r.ruleset}\0${r.name}\0${r.file}\0${r.line}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    return { ruleset: r.ruleset, rule: n === 1 ? r.name : `${r.name} (${n})`, file: r.file, line: r.line };
  });
}
