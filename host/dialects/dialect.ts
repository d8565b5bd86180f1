// What every dialect front end provides. A dialect turns its config files
// into the vendor-neutral Policy (host/model/rule.ts), with diagnostics that
// carry file:line:col, and prints its canonical form back.
import type { Appliance } from "../model/appliance.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { Policy } from "../model/rule.ts";
import type { OrderReport } from "../model/lint.ts";

export type DialectName = "portmaster" | "wince" | "winfw" | "instagate" | "classbench";

export interface SourceFile {
  path: string; // as given on the command line; diagnostics use it
  text: string; // decoded text (UTF-8, or UTF-16LE when the file has that BOM)
}

export interface LoadOptions {
  appliance: Appliance;
  strict: boolean; // --strict: warnings the dialect marks as conflicts become errors
  /** Dialect options from the command line, e.g. {"profile": "domain"} for winfw. */
  options: Record<string, string>;
}

/**
 * What a front end gives: the neutral Policy (what decides packets) and,
 * beside it, the dialect's own model of the same files (as Batfish keeps its
 * vendor model beside the neutral one): `show`, the order lint's wording and
 * the dialect's exports print from the vendor model, never from the Policy.
 */
export interface LoadResult<V = unknown> {
  /** null when the files could not be understood at all; with errors it must not be loaded. */
  policy: Policy | null;
  diagnostics: Diagnostic[];
  /** The dialect's own model (PortMaster's filters, the Windows CE rules, InstaGate's table...); null when the files could not be read into one. */
  vendor: V | null;
}

/** A front end whose vendor model is V (method syntax: any Dialect<V> is a Dialect). */
export interface Dialect<V = unknown> {
  name: DialectName;
  /** How sure are we that this text is in this dialect? 0 = not at all, 1 = certain. */
  detect(text: string): number;
  load(files: SourceFile[], opts: LoadOptions): LoadResult<V>;
  /** The canonical form: the rules printed back in the dialect's syntax, each with its provenance. */
  show(result: LoadResult<V>, opts: LoadOptions): string;
  /**
   * `check`'s exact rule-order findings (rules the earlier rules together
   * cover, rules whose removal changes no verdict), as the dialect's own
   * diagnostics; `existing` holds what the dialect already reported, so a
   * rule is not reported twice.
   */
  describeOrder?(result: LoadResult<V>, findings: OrderReport[], existing: Diagnostic[]): Diagnostic[];
}
