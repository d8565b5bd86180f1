// Loading a configuration: read the files, decode them, pick the dialect
// (from the content, or --dialect), and run the dialect's front end.
import { readFileSync, statSync } from "node:fs";
import type { Dialect, LoadOptions, LoadResult, SourceFile } from "../dialects/dialect.ts";
import { type DialectEntry, detectDialect, dialectNamed, knownDialects, frontEnd } from "../dialects/registry.ts";
import { registerAllDialects } from "../dialects/all.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import { boundDiagnostic, boundProvenance } from "../model/excerpt.ts";
import { emptyFileErrors, holdsNoStatement, notDialectErrors } from "./empty.ts";

export interface LoadedConfig extends LoadResult {
  dialect: Dialect | null;
  files: SourceFile[];
}

/** Decode a config file: UTF-16LE or UTF-16BE with a BOM (regedit's default), else UTF-8. */
export function decodeText(buf: Uint8Array): string {
  if (buf.length >= 2 && buf[0] === 0xff && buf[1] === 0xfe) return new TextDecoder("utf-16le").decode(buf.subarray(2));
  if (buf.length >= 2 && buf[0] === 0xfe && buf[1] === 0xff) return new TextDecoder("utf-16be").decode(buf.subarray(2));
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) return new TextDecoder().decode(buf.subarray(3));
  return new TextDecoder().decode(buf);
}

/** The largest configuration file read (CFG007 above it). */
export const MAX_CONFIG_BYTES = 32 * 2 ** 20;

function fileError(path: string, code: string, message: string): Diagnostic {
  return { file: path, line: 1, column: 1, severity: "error", code, message };
}

/**
 * Read and decode the files and pick their dialect; imports no front end.
 * allowEmpty (--allow-empty): accept files that hold no statement (refused by default, CFG005).
 */
function readConfig(paths: string[], forced: string | undefined, allowEmpty: boolean): { files: SourceFile[]; diagnostics: Diagnostic[]; dialect: DialectEntry | null } {
  registerAllDialects();
  const files: SourceFile[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const path of paths) {
    try {
      // A configuration is kilobytes; a file past the limit is refused
      // before it is read, rather than exhaust the process's memory.
      if (statSync(path).size > MAX_CONFIG_BYTES) {
        diagnostics.push(fileError(path, "CFG007", `the file is larger than ${MAX_CONFIG_BYTES / 2 ** 20} MiB; not a configuration this appliance loads`));
        continue;
      }
      files.push({ path, text: decodeText(readFileSync(path)) });
    } catch (e) {
      diagnostics.push(fileError(path, "CFG001", `cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`));
    }
  }
  diagnostics.push(...emptyFileErrors(files, allowEmpty));
  if (diagnostics.length) return { diagnostics, dialect: null, files };
  let dialect: DialectEntry | undefined;
  if (forced) {
    dialect = dialectNamed(forced);
    if (!dialect) {
      return { diagnostics: [fileError(paths[0] ?? "-", "CFG002", `unknown dialect "${forced}" (known: ${knownDialects().join(", ")})`)], dialect: null, files };
    }
    diagnostics.push(...notDialectErrors(files, dialect));
    if (diagnostics.length) return { diagnostics, dialect: null, files };
  } else {
    for (const f of files) {
      if (holdsNoStatement(f.text) && files.some((g) => !holdsNoStatement(g.text))) continue; // allowed empty: no dialect to tell
      const d = detectDialect(f.text);
      if (!d) {
        diagnostics.push(fileError(f.path, "CFG003", `cannot tell the dialect of this file; use --dialect ${knownDialects().join("|")}`));
      } else if (dialect && d !== dialect) {
        diagnostics.push(fileError(f.path, "CFG004", `this file looks like ${d.name} but ${files[0].path} is ${dialect.name}; one configuration uses one dialect`));
      } else {
        dialect = d;
      }
    }
    if (diagnostics.length || !dialect) return { diagnostics, dialect: null, files };
  }
  return { diagnostics, dialect, files };
}

/**
 * Load a configuration whose dialect's front end is already imported: for the
 * live appliance, which imports them all once (importAllDialects) so that its
 * reloads stay synchronous.
 */
export function loadConfig(paths: string[], opts: LoadOptions, forced?: string, allowEmpty = false): LoadedConfig {
  const { files, diagnostics, dialect: entry } = readConfig(paths, forced, allowEmpty);
  if (!entry) return { policy: null, diagnostics, vendor: null, dialect: null, files };
  const dialect = entry.loaded;
  if (!dialect) throw new Error(`the ${entry.name} front end is not imported: call importAllDialects() first, or use loadConfigLazily`);
  return runFrontEnd(dialect, files, opts);
}

/** Load a configuration, importing only its own dialect's front end: for one-shot commands. */
export async function loadConfigLazily(paths: string[], opts: LoadOptions, forced?: string, allowEmpty = false): Promise<LoadedConfig> {
  const { files, diagnostics, dialect: entry } = readConfig(paths, forced, allowEmpty);
  if (!entry) return { policy: null, diagnostics, vendor: null, dialect: null, files };
  return runFrontEnd(await frontEnd(entry), files, opts);
}

function runFrontEnd(dialect: Dialect, files: SourceFile[], opts: LoadOptions): LoadedConfig {
  const res = dialect.load(files, opts);
  // Bounded echoes of user text, whatever the dialect (host/model/excerpt.ts).
  if (res.policy) boundProvenance(res.policy);
  return { ...res, diagnostics: res.diagnostics.map(boundDiagnostic), dialect, files };
}
