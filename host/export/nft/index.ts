// `portcullis export --to nft`: the policy as an nftables script, or the
// located errors for what nftables cannot express (see losses.ts).
import type { Policy } from "../../model/rule.ts";
import type { Appliance } from "../../model/appliance.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import { policyLosses, lossDiagnostic } from "./losses.ts";
import { writeNft, type WriteOptions } from "./write.ts";

export interface ExportResult {
  text: string | null; // null when a loss is an error
  diagnostics: Diagnostic[];
}

export function exportNft(policy: Policy, a: Appliance, opts: { lossy?: boolean } & Partial<WriteOptions> = {}): ExportResult {
  const losses = policyLosses(policy, a);
  const diagnostics = losses.map((l) => lossDiagnostic(l, Boolean(opts.lossy)));
  if (losses.length && !opts.lossy) return { text: null, diagnostics };
  const text = writeNft(policy, a, { map: opts.map ?? new Map(), losses, command: opts.command, minSetRun: opts.minSetRun, ftpHelper: opts.ftpHelper, bucketMinRules: opts.bucketMinRules });
  return { text, diagnostics };
}
