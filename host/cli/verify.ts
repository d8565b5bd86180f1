// `portcullis verify --nft FILE CONFIG... --pcap IN [--appliance FILE] [--map NAME=IFNAME ...] [--json]`:
// the capture through the Linux kernel with FILE loaded in a scratch router
// (network namespaces; root) and through Portcullis; every packet where the
// two differ. Exit 0 when they agree on every packet, 1 otherwise, 2 usage
// or not root.
import { readFileSync, existsSync } from "node:fs";
import { execFileSync } from "node:child_process";
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { loadAllLazily, printDiagnostics } from "./common.ts";
import { parseMap } from "./export.ts";
import { describePacket } from "./replay.ts";
import { readCapture } from "../pcap/pcap.ts";
import { engineLinkType, UNSUPPORTED_LINK } from "../runtime/capture.ts";
import type { Frame } from "../runtime/firewall.ts";
import { ruleAt } from "../model/rule.ts";
import { describeReason } from "../engine/reasons.ts";
import { verifyCapture, NftLoadError } from "../verify/run.ts";
import { teardownOnExit } from "../verify/namespace.ts";
import type { Compared } from "../verify/compare.ts";
import type { Policy } from "../model/rule.ts";

function missingTool(): string | null {
  for (const [tool, pkg] of [["nft", "nftables"], ["ip", "iproute2"], ["python3", "python3"]]) {
    try {
      execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
    } catch {
      return `${tool} (Debian package ${pkg})`;
    }
  }
  return null;
}

function decidedBy(policy: Policy, c: Compared): string {
  const o = c.outcome;
  const at = ruleAt(policy, o.rule);
  return at ? `${at.rule.origin.label ?? `rule ${o.rule}`} (${at.rule.origin.file}:${at.rule.origin.line})` : describeReason(o.reason);
}

export async function verifyCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {
    nft: { type: "string" },
    pcap: { type: "string" },
    map: { type: "string", multiple: true },
    "no-ftp-helper": { type: "boolean", default: false },
  });
  if (!values.nft) throw new UsageError("--nft FILE is required");
  if (!values.pcap) throw new UsageError("--pcap IN is required");
  if (typeof process.getuid === "function" && process.getuid() !== 0) {
    io.err("portcullis verify: needs root (it makes network namespaces and loads nftables rules in them); run it as root\n");
    return 2;
  }
  const missing = missingTool();
  if (missing) {
    io.err(`portcullis verify: needs ${missing}\n`);
    return 2;
  }
  if (!existsSync(values.nft)) {
    io.err(`portcullis verify: cannot read ${values.nft}: ENOENT\n`);
    return 1;
  }
  const l = await loadAllLazily(positionals, values);
  printDiagnostics(io, l.diagnostics);
  if (!l.ok || !l.program || !l.config.policy) return 1;
  const policy = l.config.policy;
  const map = parseMap(values.map, policy.interfaces);
  const ifnames = l.appliance.interfaces.map((i) => map.get(i.name) ?? i.name);
  let buf: Uint8Array;
  try {
    buf = new Uint8Array(readFileSync(values.pcap));
  } catch (e) {
    io.err(`portcullis verify: cannot read ${values.pcap}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return 1;
  }
  const cap = readCapture(buf);
  if (cap.error) {
    io.err(`portcullis verify: ${values.pcap}: ${cap.error.message} (byte offset ${cap.error.offset})\n`);
    return 1;
  }
  const frames: Frame[] = [];
  for (const p of cap.packets) {
    const linkType = engineLinkType(p.linktype);
    if (linkType === null) {
      io.err(`portcullis verify: ${values.pcap}: ${UNSUPPORTED_LINK(p.linktype)}\n`);
      return 1;
    }
    frames.push({ data: p.data, tsNs: p.tsNs, linkType });
  }
  teardownOnExit();
  let run;
  try {
    run = await verifyCapture({ policy, program: l.program, appliance: l.appliance, ifnames, nftFile: values.nft, frames, ftpHelper: !values["no-ftp-helper"] });
  } catch (e) {
    if (e instanceof NftLoadError) {
      io.err(`portcullis verify: ${values.nft} does not load:\n${e.message}\n`);
      return 1;
    }
    throw e;
  }
  const differ = run.compared.filter((c) => !c.agree);
  const notSent = run.compared.filter((c) => c.kernel === null);
  const classes = new Map<string, number>();
  for (const c of differ) classes.set(c.class ?? "unexplained", (classes.get(c.class ?? "unexplained") ?? 0) + 1);
  const compared = run.compared.length - notSent.length;
  if (values.json) {
    io.out(JSON.stringify({
      packets: run.compared.length, compared, agree: compared - differ.length, differ: differ.length,
      not_sent: notSent.map((c) => ({ number: c.number, reason: "not an IP packet (the kernel answers ARP and the like itself)" })),
      classes: Object.fromEntries(classes),
      differences: differ.map((c) => ({
        number: c.number, packet: describePacket(c.outcome), kernel: c.kernel, portcullis: c.outcome.verdict,
        rule: ruleAt(policy, c.outcome.rule) ? { index: c.outcome.rule, file: ruleAt(policy, c.outcome.rule)!.rule.origin.file, line: ruleAt(policy, c.outcome.rule)!.rule.origin.line } : null,
        reason: describeReason(c.outcome.reason), class: c.class,
      })),
      timings_ms: Object.fromEntries(Object.entries(run.timings).map(([k, v]) => [k, Math.round(v)])),
    }) + "\n");
  } else {
    for (const c of differ) {
      io.out(`${String(c.number).padStart(5)}  ${describePacket(c.outcome)}  kernel=${c.kernel}  portcullis=${c.outcome.verdict} by ${decidedBy(policy, c)}${c.class ? `  [${c.class}]` : ""}\n`);
    }
    io.out(`verify ${values.pcap} with ${values.nft}: ${run.compared.length} packets, ${compared} compared, ${compared - differ.length} agree, ${differ.length} differ${notSent.length ? `, ${notSent.length} not sent (not IP)` : ""}\n`);
    for (const [k, n] of classes) io.out(`  ${n} ${k}\n`);
  }
  return differ.length ? 1 : 0;
}
