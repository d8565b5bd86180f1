// The configuration stage every consumer shares: read the appliance
// description, load the configuration files with their dialect's front end,
// check them and compile the rule program. The command line (cli/common.ts)
// and the live appliance (runtime/live.ts, its reload worker) both come here,
// with typed settings rather than the command line's option bag.
import { readAppliance, type Appliance } from "../model/appliance.ts";
import { loadConfig, loadConfigLazily, type LoadedConfig } from "./load.ts";
import { type Diagnostic, hasErrors, sortDiagnostics } from "../model/diagnostic.ts";
import { encodePolicy, EncodeError } from "../engine/encode.ts";
import type { LoadOptions } from "../dialects/dialect.ts";

/** How to load a configuration (the command line's --appliance, --dialect, --strict, --allow-empty, --profile/--set). */
export interface LoadSettings {
  /** The appliance description file; the built-in one when absent. */
  appliance?: string;
  /** Force a dialect by name instead of detecting it. */
  dialect?: string;
  /** Warnings count as errors. */
  strict?: boolean;
  /** An empty configuration is accepted (it denies everything) rather than refused (CFG005). */
  allowEmpty?: boolean;
  /** Dialect options (the Windows Firewall profile, --set KEY=VALUE). */
  options?: Record<string, string>;
}

export interface Loaded {
  appliance: Appliance;
  config: LoadedConfig;
  opts: LoadOptions;
  program: Uint8Array | null;
  diagnostics: Diagnostic[];
  ok: boolean; // no errors (and, with strict, no warnings)
}

/**
 * Load, check and compile, with every dialect's front end already imported
 * (dialects/all.ts importAllDialects): the live appliance, whose start is synchronous.
 */
export function loadAll(paths: string[], settings: LoadSettings): Loaded {
  const start = loadOptions(settings);
  if (!("applianceDiagnostics" in start)) return start;
  return compile(paths, start.opts, loadConfig(paths, start.opts, settings.dialect, Boolean(settings.allowEmpty)), start.applianceDiagnostics);
}

/** The same for a one-shot command or a reload's worker: imports only the configuration's own dialect. */
export async function loadAllLazily(paths: string[], settings: LoadSettings): Promise<Loaded> {
  const start = loadOptions(settings);
  if (!("applianceDiagnostics" in start)) return start;
  return compile(paths, start.opts, await loadConfigLazily(paths, start.opts, settings.dialect, Boolean(settings.allowEmpty)), start.applianceDiagnostics);
}

/**
 * The load options, or (when the appliance description has errors) the
 * failed load itself: the appliance file is checked like a config file, with
 * located diagnostics and exit 1 (not a usage error), and nothing loads.
 */
function loadOptions(settings: LoadSettings): { opts: LoadOptions; applianceDiagnostics: Diagnostic[] } | Loaded {
  const app = readAppliance(settings.appliance);
  const options = settings.options ?? Object.create(null);
  if (!app.appliance) {
    const builtin = readAppliance(undefined).appliance!; // a placeholder: nothing runs when ok is false
    const opts: LoadOptions = { appliance: builtin, strict: Boolean(settings.strict), options };
    const diagnostics = sortDiagnostics(app.diagnostics);
    return { appliance: builtin, config: { policy: null, diagnostics, vendor: null, dialect: null, files: [] }, opts, program: null, diagnostics, ok: false };
  }
  return { opts: { appliance: app.appliance, strict: Boolean(settings.strict), options }, applianceDiagnostics: app.diagnostics };
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
