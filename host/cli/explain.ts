// `portcullis explain`: the verdict for one packet and the rule that decided
// it. Both engines decide; if they ever disagree, that is reported loudly.
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { loadAllLazily, printDiagnostics } from "./common.ts";
import { parsePacketSpec, SpecError } from "../engine/packet-spec.ts";
import { WasmEngine } from "../engine/wasm.ts";
import { ReferenceEngine } from "../engine/reference.ts";
import { describeReason } from "../engine/reasons.ts";
import { ruleReference } from "../model/rule.ts";
import { formatAddress } from "../model/addr.ts";

export async function explainCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, { packet: { type: "string" } });
  if (!values.packet) throw new UsageError("--packet 'SPEC' is required");
  const l = await loadAllLazily(positionals, values);
  printDiagnostics(io, l.diagnostics);
  if (!l.ok || !l.program) return 1;
  const policy = l.config.policy!;
  let spec;
  try {
    spec = parsePacketSpec(values.packet, l.appliance);
  } catch (e) {
    if (e instanceof SpecError) throw new UsageError(`bad --packet: ${e.message}`);
    throw e;
  }
  const engine = await WasmEngine.create();
  engine.load(l.program);
  const [w] = engine.classifyHeaders([spec.header], [spec.meta]);
  const r = new ReferenceEngine(policy).classify(spec.header, spec.meta);
  if (r.verdict !== w.verdict || r.rule !== w.rule || r.reason !== w.reason) {
    io.err(`portcullis explain: INTERNAL ERROR: engines disagree (wasm: ${w.verdict} rule ${w.rule}; reference: ${r.verdict} rule ${r.rule}); please report this with the config and packet\n`);
    return 3;
  }
  const rule = ruleReference(policy, w.rule);
  const defaultName = (stage: string) => {
    const rsIndex = stage === "input" ? policy.input[spec.meta.ifIn] : policy.output[spec.meta.ifOut];
    const rs = rsIndex === null || rsIndex === undefined ? null : policy.rulesets[rsIndex];
    return rs ? `default of ${rs.name} (${rs.rules.length === 0 && w.verdict === "permit" ? "empty: permits all" : `${w.verdict}`})` : "no filter";
  };
  const reason = w.rule >= 0 ? describeReason(w.reason) : w.reason === 1 ? `default: ${defaultName(w.stage)}` : describeReason(w.reason);
  const monitor = ruleReference(policy, w.monitorRule);
  if (values.json) {
    io.out(JSON.stringify({
      verdict: w.verdict, rule, reason, stage: w.stage,
      input: { interface: spec.ifInName, rule: ruleReference(policy, w.inputRule) },
      output: { interface: spec.ifOutName, rule: ruleReference(policy, w.outputRule) },
      logged_by: monitor,
    }) + "\n");
    return 0;
  }
  const ports = (p: number | null) => (p === null ? "" : `:${p}`);
  io.out(`packet:  ${values.packet.trim()}\n`);
  io.out(`         ${formatAddress(spec.src)}${ports(spec.header.sport)} > ${formatAddress(spec.dst)}${ports(spec.header.dport)} in=${spec.ifInName} out=${spec.ifOutName}\n`);
  io.out(`verdict: ${w.verdict}\n`);
  if (rule) {
    io.out(`rule:    ${rule.label ?? `rule ${rule.index}`} of ${rule.ruleset} (${rule.file}:${rule.line})\n`);
    io.out(`         ${rule.text}\n`);
  }
  io.out(`reason:  ${reason}${w.stage !== "none" ? ` (${w.stage} stage)` : ""}\n`);
  if (monitor) io.out(`logged:  by ${monitor.label ?? `rule ${monitor.index}`} (${monitor.file}:${monitor.line})\n`);
  return 0;
}
