// `show -v`: what the engine made of the rules (per ruleset: size, defaults,
// how it is matched) and, given `--pcap`, the per-rule counters of a replay.
import type { Loaded } from "./common.ts";
import { openCaptureFile, type CaptureReader } from "../pcap/pcap.ts";
import { FrameStream, counterLines, UNSUPPORTED_LINK } from "../runtime/capture.ts";
import { Firewall } from "../runtime/firewall.ts";
import type { IndexInfo, IndexReason } from "../engine/wasm.ts";

const INDEX_REASONS: Record<IndexReason, string> = {
  indexed: "indexed", small: "small ruleset: the linear scan is faster",
  linear: "linear scan requested", "over-budget": "index over its memory budget",
};

/** How a ruleset is matched, in words: the index when one is built, else the scan and why. */
function matchedBy(info: IndexInfo): string {
  return info.kind === "tree" ? `indexed (decision trees, ${info.bytes} bytes)` : `linear scan (${INDEX_REASONS[info.reason]})`;
}

/** A capture `show -v` cannot read: the command says so and exits 1. */
export class ReportError extends Error {}

export async function verboseReport(l: Loaded, pcap?: string): Promise<string> {
  const policy = l.config.policy!;
  const out: string[] = ["", "# engine"];
  const fw = await Firewall.create(policy, l.program!, l.appliance);
  const info = policy.rulesets.map((_, i) => matchedBy(fw.engine.indexInfo(i)));
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
    let reader: CaptureReader;
    try {
      reader = openCaptureFile(pcap);
    } catch (e) {
      throw new ReportError(`cannot read ${pcap}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const stream = new FrameStream(reader);
      for (let b = stream.next(); b.frames.length; b = stream.next()) fw.process(b.frames);
      if (stream.unsupported !== null) throw new ReportError(`${pcap}: ${UNSUPPORTED_LINK(stream.unsupported)}`);
      const err = reader.error;
      out.push("", `# counters (replay of ${pcap}, ${stream.count} packets${err ? `; stopped at byte ${err.offset}: ${err.message}` : ""})`);
    } finally {
      reader.close();
    }
    out.push(...counterLines(policy, fw.counters(), fw.defaultCounters()));
  }
  return out.join("\n") + "\n";
}
