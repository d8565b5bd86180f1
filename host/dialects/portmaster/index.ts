// The PortMaster (ComOS) IP filter dialect: detection, loading, printing.
import type { Dialect, LoadOptions, LoadResult, SourceFile } from "../dialect.ts";
import { hasErrors } from "../../model/diagnostic.ts";
import { parseFiles } from "./parse.ts";
import { checkConfig, describeOrder } from "./checks.ts";
import { lowerConfig } from "./lower.ts";
import { showConfig } from "./show.ts";
import type { PmConfig } from "./model.ts";
import { detectPortmaster } from "./detect.ts";

export { detectPortmaster };

export function loadPortmaster(files: SourceFile[], opts: LoadOptions): LoadResult<PmConfig> {
  const { config, sinks } = parseFiles(files, opts.appliance);
  const diagnostics = [...sinks.flatMap((s) => s.list), ...checkConfig(config)];
  const policy = hasErrors(diagnostics) ? null : lowerConfig(config, opts.appliance);
  return { policy, diagnostics, vendor: config };
}

export const portmaster: Dialect<PmConfig> = {
  name: "portmaster",
  detect: detectPortmaster,
  load: loadPortmaster,
  show: (result, opts) => {
    if (!result.vendor) throw new Error("portmaster show: not a configuration this dialect loaded");
    return showConfig(result.vendor, opts.appliance);
  },
  describeOrder: (result, findings, existing) =>
    result.vendor && result.policy ? describeOrder(result.vendor, result.policy, findings, existing) : [],
};
