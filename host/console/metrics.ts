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

  text(): string {
    return this.parts.join("");
  }
}

/**
 * The whole scrape, as the bytes sent. The rule series (two per rule: 20,000
 * lines at 10,000 rules) are written from a per-generation template of their
 * names and labels, with only the numbers written per scrape: no string is
 * built per line (see ruleSeries).
 */
export function renderMetrics(s: Snapshot): Buffer {
  const head = new Writer();
  head.family("portcullis_build_info", "gauge", "Version and commit of the running firmware (always 1).");
  head.sample("portcullis_build_info", { version: s.build.version, commit: s.build.commit }, 1);
  head.family("portcullis_config_generation", "gauge", "Generation of the running configuration (1 at start, +1 per applied reload).");
  head.sample("portcullis_config_generation", null, s.generation);
  head.family("portcullis_uptime_seconds", "gauge", "Seconds since the appliance started.");
  head.sample("portcullis_uptime_seconds", null, s.uptimeS);
  head.family("portcullis_rule_packets_total", "counter", "Packets decided by each rule.");
  const middle = new Writer();
  middle.family("portcullis_rule_bytes_total", "counter", "Bytes of the packets decided by each rule.");

  const w = new Writer();
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

  const series = ruleSeries(s.rules);
  const headBytes = Buffer.from(head.text()), middleBytes = Buffer.from(middle.text()), tailBytes = Buffer.from(w.text());
  const out = Buffer.allocUnsafe(headBytes.length + middleBytes.length + tailBytes.length + series.packets.template.length + series.bytes.template.length + 2 * s.rules.length * MAX_NUMBER_BYTES);
  let pos = headBytes.copy(out, 0);
  pos = writeSeries(out, pos, series.packets, s.rules, (r) => r.packets);
  pos += middleBytes.copy(out, pos);
  pos = writeSeries(out, pos, series.bytes, s.rules, (r) => r.bytes);
  pos += tailBytes.copy(out, pos);
  return out.subarray(0, pos);
}

/** The longest value a rule series gets: a whole number below 2^53 has at most 16 digits; anything else goes through String(), at most 24 characters; and the line feed. */
const MAX_NUMBER_BYTES = 25;

/** One family's rule lines without their values: "name{labels} " each, concatenated; ends[i] is where line i's prefix ends. */
interface SeriesTemplate {
  template: Buffer;
  ends: Uint32Array;
}

function seriesTemplate(name: string, labels: string[]): SeriesTemplate {
  const parts = labels.map((l) => Buffer.from(`${name}${l} `));
  const ends = new Uint32Array(parts.length);
  let end = 0;
  parts.forEach((p, i) => { end += p.length; ends[i] = end; });
  return { template: Buffer.concat(parts, end), ends };
}

function writeSeries(out: Buffer, pos: number, t: SeriesTemplate, rules: Snapshot["rules"], value: (r: Snapshot["rules"][number]) => number): number {
  let start = 0;
  for (let i = 0; i < rules.length; i++) {
    pos += t.template.copy(out, pos, start, t.ends[i]);
    start = t.ends[i];
    const v = value(rules[i]);
    if (Number.isSafeInteger(v) && v >= 0) {
      // Digits by hand: most values are small whole numbers, and String() per line is most of a scrape's time.
      if (v === 0) out[pos++] = 48;
      else {
        let digits = 0;
        for (let x = v; x >= 1; x = Math.floor(x / 10)) digits++;
        let x = v;
        for (let k = pos + digits - 1; k >= pos; k--) { out[k] = 48 + (x % 10); x = Math.floor(x / 10); }
        pos += digits;
      }
    } else {
      pos += out.write(Number.isFinite(v) ? String(v) : "0", pos, "latin1");
    }
    out[pos++] = 10;
  }
  return pos;
}

/** The rule series' templates, built once per generation of rows (the console keeps one array per generation). */
const seriesCache = new WeakMap<Snapshot["rules"], { packets: SeriesTemplate; bytes: SeriesTemplate }>();

function ruleSeries(rules: Snapshot["rules"]): { packets: SeriesTemplate; bytes: SeriesTemplate } {
  let t = seriesCache.get(rules);
  if (!t) {
    const labels = ruleLabelSets(rules).map(labelText);
    t = { packets: seriesTemplate("portcullis_rule_packets_total", labels), bytes: seriesTemplate("portcullis_rule_bytes_total", labels) };
    seriesCache.set(rules, t);
  }
  return t;
}

function labelText(labels: Labels): string {
  const items: string[] = [];
  for (const k in labels) items.push(`${k}="${escapeLabelValue(String(labels[k]))}"`);
  return `{${items.join(",")}}`;
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
