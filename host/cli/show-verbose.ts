// `show -v`: what the engine made of the rules (per ruleset: size, defaults,
// how it is matched) and, given `--pcap`, the per-rule counters of a replay.
import { readFileSync } from "node:fs";
import * as L from "../../assembly/layout.ts";
import type { Loaded } from "./common.ts";
import { allRules } from "../model/rule.ts";
import { readCapture, isRawIpLinktype, LINKTYPE_ETHERNET } from "../pcap/pcap.ts";
import { Firewall } from "../runtime/firewall.ts";

export async function verboseReport(l: Loaded, pcap?: string): Promise<string> {
  const policy = l.config.policy!;
  const out: string[] = ["", "# engine"];
  const fw = await Firewall.create(policy, l.program!, l.appliance);
  const info = fw.engine.rulesetInfo();
  policy.rulesets.forEach((rs, i) => {
    const bound = policy.interfaces.flatMap((name, k) => [
      ...(policy.input[k] === i ? [`input of ${name}`] : []),
      ...(policy.output[k] === i ? [`output of ${name}`] : []),
    ]);
    if (policy.monitor === i) bound.push("monitor (log only)");
    const d = rs.defaults;
    out.push(`ruleset ${i} ${rs.name}: ${rs.rules.length} rules; default inbound=${d.inbound} outbound=${d.outbound} other=${d.other}${rs.stateful ? "; stateful" : ""}; ${bound.join(", ") || "not bound"}; ${info[i]}`);
  });
  out.push(`program: ${l.program!.length} bytes`);
  if (pcap) {
    const cap = readCapture(new Uint8Array(readFileSync(pcap)));
    const frames = cap.packets.map((p) => ({ data: p.data, tsNs: p.tsNs, linkType: p.linktype === LINKTYPE_ETHERNET ? L.LINK_ETHERNET : isRawIpLinktype(p.linktype) ? L.LINK_RAW_IP : L.LINK_ETHERNET }));
    for (let i = 0; i < frames.length; i += 256) fw.process(frames.slice(i, i + 256));
    const c = fw.counters();
    out.push("", `# counters (replay of ${pcap}, ${frames.length} packets${cap.error ? `; stopped at byte ${cap.error.offset}: ${cap.error.message}` : ""})`);
    allRules(policy).forEach((r, i) => {
      out.push(`${`${r.origin.file}:${r.origin.line}`.padEnd(28)} ${(r.origin.label ?? `rule ${i}`).padEnd(28)} packets=${c[i].packets} bytes=${c[i].bytes}`);
    });
    fw.defaultCounters().forEach((d, k) => out.push(`${"(default)".padEnd(28)} ${policy.rulesets[k].name.padEnd(28)} packets=${d.packets} bytes=${d.bytes}`));
  }
  return out.join("\n") + "\n";
}
