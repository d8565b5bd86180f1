// Command-line parsing shared by the commands: node's own parseArgs, with
// usage errors reported as UsageError (exit status 2).
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig["options"]>;

export const COMMON_OPTIONS: Options = {
  appliance: { type: "string" },
  dialect: { type: "string" },
  strict: { type: "boolean", default: false },
  "allow-empty": { type: "boolean", default: false }, // accept config files that hold no statement (CFG005)
  json: { type: "boolean", default: false },
  profile: { type: "string" },
  set: { type: "string", multiple: true },
  help: { type: "boolean", short: "h", default: false },
};

export function parse(argv: string[], options: Options): { values: Record<string, any>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...options }, allowPositionals: true, strict: true });
    return { values: values as Record<string, any>, positionals };
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

/** Dialect options: --profile X and --set key=value. */
export function dialectOptions(values: Record<string, any>): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keys are user text (--set __proto__=...)
  if (values.profile) out.profile = values.profile;
  for (const kv of (values.set ?? []) as string[]) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`--set wants key=value, got "${kv}"`);
    out[kv.slice(0, eq)] = kv.slice(eq + 1);
  }
  return out;
}
