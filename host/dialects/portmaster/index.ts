// The PortMaster (ComOS) IP filter dialect: detection, loading, printing.
import type { Dialect, LoadOptions, LoadResult, SourceFile } from "../dialect.ts";
import { hasErrors } from "../../model/diagnostic.ts";
import { policyModels } from "../models.ts";
import { parseFiles } from "./parse.ts";
import { checkConfig, describeOrder } from "./checks.ts";
import { lowerConfig } from "./lower.ts";
import { showConfig } from "./show.ts";
import type { PmConfig } from "./model.ts";
import { detectPortmaster } from "./detect.ts";

/** show() is handed the LoadResult; it prints from the PortMaster model, kept here. */
const models = policyModels<PmConfig>();

export { detectPortmaster };

export function loadPortmaster(files: SourceFile[], opts: LoadOptions): LoadResult & { model: PmConfig } {
  const { config, sinks } = parseFiles(files, opts.appliance);
  const diagnostics = [...sinks.flatMap((s) => s.list), ...checkConfig(config)];
  const policy = hasErrors(diagnostics) ? null : lowerConfig(config, opts.appliance);
  if (policy) models.remember(policy, config);
  return { policy, diagnostics, model: config };
}

export const portmaster: Dialect = {
  name: "portmaster",
  detect: detectPortmaster,
  load: loadPortmaster,
  show: models.show((model, opts) => showConfig(model, opts.appliance), () => {
    throw new Error("portmaster show: not a configuration this dialect loaded");
  }),
  describeOrder: (result, findings, existing) => {
    const cfg = models.of(result.policy);
    return cfg && result.policy ? describeOrder(cfg, result.policy, findings, existing) : [];
  },
};
