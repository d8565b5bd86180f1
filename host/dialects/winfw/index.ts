// The winfw dialect: Windows Firewall's "Define inbound port exceptions"
// lists (seed 001, dialects.md section 3), from plain lists or regedit
// exports, lowered to the rule model.
import type { Dialect, LoadOptions, LoadResult, SourceFile } from "../dialect.ts";
import { DiagnosticSink, hasErrors } from "../../model/diagnostic.ts";
import { readSources, type Profile } from "./sources.ts";
import { mergeEntries } from "./merge.ts";
import { lowerExceptions } from "./lower.ts";
import { showWinfw, type WinfwAnalysis } from "./show.ts";
import { detectWinfw } from "./detect.ts";
import { describeOrderExact } from "./order-exact.ts";
import { excerpt } from "../../model/excerpt.ts";

export { detectWinfw };

export function loadWinfw(files: SourceFile[], opts: LoadOptions): LoadResult<WinfwAnalysis> {
  const profileText = (opts.options.profile ?? "standard").toLowerCase();
  if (profileText !== "standard" && profileText !== "domain") {
    return { policy: null, diagnostics: [{ file: files[0]?.path ?? "-", line: 1, column: 1, severity: "error", code: "WF020", message: `unknown profile "${excerpt(opts.options.profile ?? "")}" (--profile standard or domain)` }], vendor: null };
  }
  const profile = profileText as Profile;
  const src = readSources(files, profile, opts.strict);
  const merged = mergeEntries(src.entries, opts.strict);
  const diagnostics = [...src.diagnostics, ...merged.diagnostics];
  const wantsLocalsubnet = merged.exceptions.find((e) => e.open && e.localsubnet);
  if (wantsLocalsubnet && opts.appliance.interfaces.every((i) => i.addresses.length === 0)) {
    const e = wantsLocalsubnet.localsubnet!;
    const sink = new DiagnosticSink();
    sink.warningAt(e, "WF014", "localsubnet matches nothing: the appliance's interfaces have no addresses");
    diagnostics.push(...sink.list);
  }
  const vendor: WinfwAnalysis = { profile, uses: src.uses, exceptions: merged.exceptions };
  if (hasErrors(diagnostics)) return { policy: null, diagnostics, vendor };
  return { policy: lowerExceptions(merged.exceptions, opts.appliance, profile), diagnostics, vendor };
}

export const winfwDialect: Dialect<WinfwAnalysis> = {
  name: "winfw",
  detect: detectWinfw,
  load: loadWinfw,
  show: (result, opts) => (result.vendor && result.policy ? showWinfw(result.vendor, opts.appliance) : "# not loaded\n"),
  describeOrder: (result, findings) => (result.policy ? describeOrderExact(result.policy, findings) : []),
};
