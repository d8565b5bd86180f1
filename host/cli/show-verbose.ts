// `show -v`: what the engine made of the rules (per ruleset: size, defaults,
// how it is matched) and, given `--pcap`, the per-rule counters of a replay.
import { readFileSync } from "node:fs";
import type { Loaded } from "./common.ts";
import { readCapture } from "../pcap/pcap.ts";
import { captureFrames, counterLines, UNSUPPORTED_LINK } from "../runtime/capture.ts";
import { Firewall } from "../runtime/firewall.ts";

/** A capture `show -v` cannot read: the command says so and exits 1. */
export class ReportError extends Error {}

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
    let buf: Uint8Array;
    try {
      buf = new Uint8Array(readFileSync(pcap));
    } catch (e) {
      throw new ReportError(`cannot read ${pcap}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const cap = readCapture(buf);
    const read = captureFrames(cap.packets);
    if ("unsupported" in read) throw new ReportError(`${pcap}: ${UNSUPPORTED_LINK(read.unsupported)}`);
    for (let i = 0; i < read.frames.length; i += 256) fw.process(read.frames.slice(i, i + 256));
    out.push("", `# counters (replay of ${pcap}, ${read.frames.length} packets${cap.error ? `; stopped at byte ${cap.error.offset}: ${cap.error.message}` : ""})`);
    out.push(...counterLines(policy, fw.counters(), fw.defaultCounters()));
  }
  return out.join("\n") + "\n";
}
