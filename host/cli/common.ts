// Steps several commands share: the appliance, the configuration with its
// diagnostics, and the compiled program.
import type { IO } from "./io.ts";
import { UsageError, dialectOptions } from "./args.ts";
import { loadAppliance, ApplianceError, type Appliance } from "../model/appliance.ts";
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
  try {
    return loadAppliance(values.appliance);
  } catch (e) {
    if (e instanceof ApplianceError) throw new UsageError(`bad appliance description: ${e.message}`);
    throw e;
  }
}

/**
 * Load, check and compile the configuration named by the positionals, with
 * every dialect's front end already imported (importAllDialects): the live
 * appliance, whose reloads are synchronous.
 */
export function loadAll(paths: string[], values: Record<string, any>): Loaded {
  const opts = loadOptions(paths, values);
  return compile(paths, opts, loadConfig(paths, opts, values.dialect));
}

/** The same for a one-shot command: imports only the configuration's own dialect. */
export async function loadAllLazily(paths: string[], values: Record<string, any>): Promise<Loaded> {
  const opts = loadOptions(paths, values);
  return compile(paths, opts, await loadConfigLazily(paths, opts, values.dialect));
}

function loadOptions(paths: string[], values: Record<string, any>): LoadOptions {
  if (paths.length === 0) throw new UsageError("no configuration files given");
  const appliance = applianceFrom(values);
  return { appliance, strict: Boolean(values.strict), options: dialectOptions(values) };
}

function compile(paths: string[], opts: LoadOptions, config: LoadedConfig): Loaded {
  const appliance = opts.appliance;
  const diagnostics = [...config.diagnostics];
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
