// Steps several commands share: the appliance, the configuration with its
// diagnostics, and the compiled program.
import type { IO } from "./io.ts";
import { UsageError, dialectOptions } from "./args.ts";
import { loadAppliance, readAppliance, type Appliance } from "../model/appliance.ts";
import { loadConfig, loadConfigLazily, type LoadedConfig } from "../config/load.ts";
import { type Diagnostic, formatDiagnostic, hasErrors, sortDiagnostics } from "../model/diagnostic.ts";
import { encodePolicy, EncodeError } from "../engine/encode.ts";
import type { LoadOptions } from "../dialects/dialect.ts";

export interface Loaded {
  appliance: Appliance;
  config: LoadedConfig;
  opts: LoadOptions;
  program: Uint8Array | null;
  diagnostics: Diagnostic[];
  ok: boolean; // no errors (and, with --strict, no warnings)
}

export function applianceFrom(values: Record<string, any>): Appliance {
  return loadAppliance(values.appliance); // throws ApplianceError, whose diagnostics loadAll reports
}

/**
 * Load, check and compile the configuration named by the positionals, with
 * every dialect's front end already imported (importAllDialects): the live
 * appliance, whose reloads are synchronous.
 */
export function loadAll(paths: string[], values: Record<string, any>): Loaded {
  const start = loadOptions(paths, values);
  if (!("applianceDiagnostics" in start)) return start;
  return compile(paths, start.opts, loadConfig(paths, start.opts, values.dialect, Boolean(values["allow-empty"])), start.applianceDiagnostics);
}

/** The same for a one-shot command: imports only the configuration's own dialect. */
export async function loadAllLazily(paths: string[], values: Record<string, any>): Promise<Loaded> {
  const start = loadOptions(paths, values);
  if (!("applianceDiagnostics" in start)) return start;
  return compile(paths, start.opts, await loadConfigLazily(paths, start.opts, values.dialect, Boolean(values["allow-empty"])), start.applianceDiagnostics);
}

/**
 * The load options, or (when the appliance description has errors) the
 * failed load itself: the appliance file is checked like a config file, with
 * located diagnostics and exit 1 (not a usage error), and nothing loads.
 */
function loadOptions(paths: string[], values: Record<string, any>): { opts: LoadOptions; applianceDiagnostics: Diagnostic[] } | Loaded {
  if (paths.length === 0) throw new UsageError("no configuration files given");
  const app = readAppliance(values.appliance);
  if (!app.appliance) {
    const builtin = readAppliance(undefined).appliance!; // a placeholder: nothing runs when ok is false
    const opts: LoadOptions = { appliance: builtin, strict: Boolean(values.strict), options: dialectOptions(values) };
    const diagnostics = sortDiagnostics(app.diagnostics);
    return { appliance: builtin, config: { policy: null, diagnostics, dialect: null, files: [] }, opts, program: null, diagnostics, ok: false };
  }
  return { opts: { appliance: app.appliance, strict: Boolean(values.strict), options: dialectOptions(values) }, applianceDiagnostics: app.diagnostics };
}

function compile(paths: string[], opts: LoadOptions, config: LoadedConfig, applianceDiagnostics: Diagnostic[]): Loaded {
  const appliance = opts.appliance;
  const diagnostics = [...applianceDiagnostics, ...config.diagnostics];
  let program: Uint8Array | null = null;
  if (config.policy && !hasErrors(diagnostics)) {
    try {
      program = encodePolicy(config.policy);
    } catch (e) {
      if (!(e instanceof EncodeError)) throw e;
      diagnostics.push({ file: paths[0], line: 1, column: 1, severity: "error", code: "ENC001", message: e.message });
    }
  }
  const sorted = sortDiagnostics(diagnostics);
  const ok = program !== null && !hasErrors(sorted) && !(opts.strict && sorted.length > 0);
  return { appliance, config, opts, program, diagnostics: sorted, ok };
}

export function printDiagnostics(io: IO, ds: Diagnostic[]): void {
  for (const d of ds) io.err(formatDiagnostic(d) + "\n");
}
