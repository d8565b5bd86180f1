// The Windows CE / Embedded Compact firewall dialect ("wince"): regedit text
// of ...\COMM\Firewall\Rules\NAME subkeys, or FW_RULE objects as JSON.
import type { Dialect, LoadOptions, LoadResult, SourceFile } from "../dialect.ts";
import { DiagnosticSink, hasErrors, type Diagnostic } from "../../model/diagnostic.ts";
import type { RawRule } from "./raw.ts";
import type { CeRule } from "./model.ts";
import { CE } from "./codes.ts";
import { readRegedit } from "./regedit.ts";
import { readFwRuleJson } from "./json.ts";
import { validateRule } from "./validate.ts";
import { lowerRules } from "./lower.ts";
import { exportReg } from "./export.ts";
import { isJsonForm, detectWince } from "./detect.ts";
import { describeOrderExact } from "./order-exact.ts";

export { isJsonForm, detectWince };

/** The vendor model: every rule read without error, disabled ones included. */
export type CeLoadResult = LoadResult<CeRule[]>;

/** Read, validate and lower; also usable without the CLI (tests, tools). */
export function loadWince(files: SourceFile[], opts: LoadOptions): CeLoadResult {
  const diagnostics: Diagnostic[] = [];
  const raws = new Map<string, { raw: RawRule; sink: DiagnosticSink }>();
  for (const f of files) {
    const sink = new DiagnosticSink(f.path);
    const read = isJsonForm(f.text) ? readFwRuleJson(f.path, f.text, sink) : readRegedit(f.path, f.text, sink);
    for (const raw of read) {
      const id = raw.name.toLowerCase();
      const prev = raws.get(id);
      if (prev && prev.raw.file !== raw.file) {
        // One registry: a key in a later file merges into the earlier one.
        sink.warning(raw.line, raw.column, CE.DUPLICATE, `rule "${raw.name}" is also in ${prev.raw.file}:${prev.raw.line}; values merged, this file's win`);
        const names = new Set(raw.values.map((v) => v.name.toLowerCase()));
        raw.values = [...prev.raw.values.filter((v) => !names.has(v.name.toLowerCase())), ...raw.values];
      }
      raws.set(id, { raw, sink });
    }
    for (const d of sink.list) diagnostics.push(d); // not push(...list): a huge list would overflow the call
  }
  const rules: CeRule[] = [];
  for (const { raw, sink } of raws.values()) {
    const local = new DiagnosticSink(sink.file);
    const r = validateRule(raw, local);
    for (const d of local.list) diagnostics.push(d);
    if (r) rules.push(r);
  }
  if (hasErrors(diagnostics)) return { policy: null, diagnostics, vendor: rules };

  const { policy, covered, neverActs } = lowerRules(rules, opts.appliance);
  const checks = new DiagnosticSink();
  for (const r of neverActs) {
    checks.warningAt(r.origin, CE.NEVER_ACTS,
      `rule "${r.name}" can never act: every packet it matches goes from the appliance (${opts.appliance.source}) to itself, and the device's traffic to itself always passes`);
  }
  for (const { block, allow } of covered) {
    checks.warningAt(block.origin, CE.ALLOW_COVERS_BLOCK,
      `rule "${block.name}": this BLOCK never blocks anything: ALLOW rule "${allow.name}" (${allow.origin.file}:${allow.origin.line}) allows every packet it matches, and an ALLOW always wins`);
  }
  for (const dir of ["inbound", "outbound"] as const) {
    const lacking = opts.appliance.interfaces.some((i) => i.role === "public") ? (opts.appliance.interfaces.some((i) => i.role === "private") ? null : "private") : "public";
    const first = rules.find((r) => r.direction === dir && !r.disabled);
    if (lacking && first) {
      checks.warningAt(first.origin, CE.NO_INTERFACE,
        `rule "${first.name}": the appliance (${opts.appliance.source}) has no ${lacking} interface, so no packet is ${dir} and ${dir} rules never apply`);
    }
  }
  for (const d of checks.list) diagnostics.push(d);
  return { policy, diagnostics, vendor: rules };
}

export function showWince(result: CeLoadResult): string {
  const rules = result.vendor;
  if (!rules || !result.policy) return "";
  const disabled = rules.filter((r) => r.disabled).length;
  return exportReg(rules, {
    provenance: true,
    eol: "\n",
    preamble: [
      `Windows CE firewall rules: ${rules.length} rule${rules.length === 1 ? "" : "s"}${disabled ? ` (${disabled} disabled)` : ""}, sorted by key (order never matters).`,
      "A matching ALLOW wins over any matching BLOCK; with neither, inbound (public to private) is",
      "blocked and outbound (private to public) allowed. Traffic to the appliance's own addresses",
      "follows the rules like any other; only the appliance's traffic to itself always passes;",
      "replies to allowed connections pass (connection tracking).",
    ],
  }) ;
}

export const wince: Dialect<CeRule[]> = {
  name: "wince",
  detect: detectWince,
  load: (files, opts) => loadWince(files, opts),
  show: (result) => showWince(result),
  describeOrder: (result, findings, existing) => {
    return result.vendor && result.policy ? describeOrderExact(result.policy, result.vendor, findings, existing) : [];
  },
};
