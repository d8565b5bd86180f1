// The canonical form: the configuration in force, printed back as ComOS
// commands (keywords lower-case, prefixes as network/BITS, every part
// explicit), each with the file and line it came from. Parsing this output
// gives the same rules (test/portmaster-roundtrip.test.ts).
import { formatPrefix } from "../../model/addr.ts";
import type { PortTest } from "../../model/rule.ts";
import type { Appliance } from "../../model/appliance.ts";
import { type Loc, type PmConfig, type PmRule, sortedRules, targetText } from "./model.ts";

function port(which: string, t: PortTest | null): string[] {
  return t && t.op !== "range" ? [which, t.op, String(t.port)] : [];
}

export function formatRule(r: PmRule): string {
  const w = ["set", "filter", r.filter, String(r.number), r.action];
  w.push(r.src ? formatPrefix(r.src) : "0.0.0.0/0", r.dst ? formatPrefix(r.dst) : "0.0.0.0/0");
  if (r.proto === "protocol") w.push("protocol", String(r.protoNumber));
  else w.push(r.proto);
  if (r.icmpType !== null) w.push("type", String(r.icmpType));
  w.push(...port("src", r.sport), ...port("dst", r.dport));
  if (r.established) w.push("established");
  if (r.log) w.push("log");
  if (r.notify) w.push("notify");
  return w.join(" ");
}

export function showConfig(cfg: PmConfig, appliance: Appliance): string {
  const lines: { cmd: string; loc: Loc | null }[] = [];
  const comment = (text: string) => lines.push({ cmd: `# ${text}`, loc: null });
  const filters = [...cfg.filters.values()];
  const ruleCount = filters.reduce((n, f) => n + f.rules.size, 0);
  comment(`PortMaster filters, canonical form: ${filters.length} filters, ${ruleCount} rules`);
  comment("rules are tried by ascending number, first match decides; IPv4 only");
  for (const i of appliance.interfaces) {
    const get = (dir: string) => cfg.attachments.find((a) => a.target.kind === "interface" && a.target.name === i.name && a.dir === dir)?.filter ?? "-";
    comment(`interface ${i.name} (${i.role}): ifilter ${get("ifilter")}, ofilter ${get("ofilter")}`);
  }
  for (const f of filters) {
    const rules = sortedRules(f);
    lines.push({ cmd: "", loc: null });
    comment(rules.length === 0 ? `filter ${f.name}: empty, permits everything` : `filter ${f.name}: ${rules.length} rules, then deny everything else`);
    lines.push({ cmd: `add filter ${f.name}`, loc: f.loc });
    for (const r of rules) lines.push({ cmd: formatRule(r), loc: r.loc });
  }
  if (cfg.attachments.length) lines.push({ cmd: "", loc: null });
  for (const a of cfg.attachments) {
    lines.push({ cmd: `set ${targetText(a.target)} ${a.dir} ${a.filter}`, loc: a.loc });
  }
  const width = Math.max(...lines.filter((l) => l.loc).map((l) => l.cmd.length), 0);
  return lines.map((l) => {
    if (!l.loc) return l.cmd + "\n";
    const note = l.cmd.startsWith("set user") || l.cmd.startsWith("set location") ? " (not emulated: dial-in sessions only)" : "";
    return `${l.cmd.padEnd(width)}  # ${l.loc.file}:${l.loc.line}${note}\n`;
  }).join("");
}
