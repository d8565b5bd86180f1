// Steps several commands share: the command line's options turned into the
// configuration stage's typed settings (config/compile.ts), and diagnostics printed.
import type { IO } from "./io.ts";
import { UsageError, dialectOptions } from "./args.ts";
import { loadAll as loadWithSettings, loadAllLazily as loadLazilyWithSettings, type Loaded, type LoadSettings } from "../config/compile.ts";
import { formatDiagnostic, type Diagnostic } from "../model/diagnostic.ts";

export type { Loaded } from "../config/compile.ts";

/** The load settings the common options (--appliance, --dialect, --strict, --allow-empty, --profile, --set) ask for. */
export function loadSettings(values: Record<string, any>): LoadSettings {
  return {
    appliance: values.appliance,
    dialect: values.dialect,
    strict: Boolean(values.strict),
    allowEmpty: Boolean(values["allow-empty"]),
    options: dialectOptions(values),
  };
}

/** Load, check and compile the configuration named by the positionals (every dialect already imported). */
export function loadAll(paths: string[], values: Record<string, any>): Loaded {
  if (paths.length === 0) throw new UsageError("no configuration files given");
  return loadWithSettings(paths, loadSettings(values));
}

/** The same for a one-shot command: imports only the configuration's own dialect. */
export async function loadAllLazily(paths: string[], values: Record<string, any>): Promise<Loaded> {
  if (paths.length === 0) throw new UsageError("no configuration files given");
  return loadLazilyWithSettings(paths, loadSettings(values));
}

export function printDiagnostics(io: IO, ds: Diagnostic[]): void {
  for (const d of ds) io.err(formatDiagnostic(d) + "\n");
}
