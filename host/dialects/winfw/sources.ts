// Where port exception definitions come from: plain lists (one definition
// string per line) and regedit exports of the Group Policy list and the
// local (Control Panel) list, and which of those lists Windows would use:
// the policy's `Enabled` and `AllowUserPrefMerge` values decide (seed 001).
import type { SourceFile } from "../dialect.ts";
import type { Diagnostic, Severity } from "../../model/diagnostic.ts";
import { parseRegedit, registryView, type RegValueEntry, type RegViewKey } from "../../model/regedit.ts";
import { excerpt } from "../../model/excerpt.ts";
import { parseDefinition, type Definition, type DefinitionProblem } from "./definition.ts";

export type ListKind = "plain" | "policy" | "local";
export type Profile = "standard" | "domain";

export interface ListEntry {
  def: Definition;
  list: ListKind;
  file: string;
  line: number;
  column: number; // where the definition string starts
  text: string; // the definition string
}

/** How one list was treated, for `show`'s header. */
export interface ListUse {
  list: ListKind;
  file: string;
  line: number;
  entries: number;
  used: boolean;
  why: string;
}

export interface Sources {
  entries: ListEntry[]; // valid definitions of the lists in effect, in file order
  uses: ListUse[];
  diagnostics: Diagnostic[];
}

const POLICY_ROOT = "hkey_local_machine\\software\\policies\\microsoft\\windowsfirewall";
const LOCAL_ROOT = "hkey_local_machine\\system\\currentcontrolset\\services\\sharedaccess\\parameters\\firewallpolicy";

/** Key paths compared case-insensitively; HKLM and ControlSet00N are the usual aliases. */
export function normalizeKey(path: string): string {
  return path.trim().toLowerCase()
    .replace(/^hklm\\/, "hkey_local_machine\\")
    .replace(/\\controlset\d{3}\\/, "\\currentcontrolset\\");
}

export function looksLikeRegedit(text: string): boolean {
  return /^\s*(REGEDIT4|Windows Registry Editor Version)/.test(text) || /^\s*\[-?HK/im.test(text);
}

/** Value names for a message: each quoted and cut, at most ten, then a count. */
function namesText(names: string[]): string {
  const shown = names.slice(0, 10).map((n) => `"${excerpt(n)}"`).join(", ");
  return names.length > 10 ? `${shown} and ${names.length - 10} more` : shown;
}

function diag(file: string, line: number, column: number, severity: Severity, code: string, message: string): Diagnostic {
  return { file, line, column, severity, code, message };
}

/**
 * Windows stores a definition string unchecked, and an invalid one simply
 * opens nothing while the other entries keep working (issue 12): its flaws
 * are warnings (errors with --strict), the first saying that the entry opens
 * nothing, and the entry is left out.
 */
function addDefinition(
  out: Sources, bucket: ListEntry[], text: string, list: ListKind, file: string, line: number,
  columnOf: (offset: number) => number, strict: boolean,
): void {
  const { definition, problems } = parseDefinition(text);
  let said = false;
  for (const p of problems as DefinitionProblem[]) {
    const invalid = p.severity === "error";
    const message = invalid && !said ? `${p.message}; this entry is invalid and opens nothing` : p.message;
    said ||= invalid;
    out.diagnostics.push(diag(file, line, columnOf(p.offset), invalid && !strict ? "warning" : p.severity, p.code, message));
  }
  if (definition) bucket.push({ def: definition, list, file, line, column: columnOf(0), text });
}

function readPlain(out: Sources, f: SourceFile, strict: boolean): void {
  const entries: ListEntry[] = [];
  f.text.split(/\r\n|\n|\r/).forEach((raw, i) => {
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) return;
    const lead = raw.length - raw.trimStart().length;
    addDefinition(out, entries, text, "plain", f.path, i + 1, (o) => lead + o + 1, strict);
  });
  out.entries.push(...entries);
  out.uses.push({ list: "plain", file: f.path, line: 1, entries: entries.length, used: true, why: "a plain list is always in effect" });
}

interface Setting { value: number; file: string; line: number }
interface RegList { file: string; line: number; entries: ListEntry[] }

function readSetting(out: Sources, file: string, key: RegViewKey, name: string): Setting | null {
  const v = key.values.get(name.toLowerCase());
  if (!v) return null;
  if (v.value.type !== "dword" || (v.value.data !== 0 && v.value.data !== 1)) {
    out.diagnostics.push(diag(file, v.line, v.dataColumn, "error", "WF027", `${name} must be dword:00000000 or dword:00000001`));
    return null;
  }
  return { value: v.value.data, file, line: v.line };
}

function readList(out: Sources, file: string, key: RegViewKey, list: "policy" | "local", strict: boolean): RegList {
  const entries: ListEntry[] = [];
  for (const v of key.values.values() as IterableIterator<RegValueEntry>) {
    if (v.value.type !== "string") {
      out.diagnostics.push(diag(file, v.line, v.dataColumn, "error", "WF021", `list value "${excerpt(v.name)}" must be a string (a definition ${"PORT:TRANSPORT:SCOPE:STATUS:NAME"})`));
      continue;
    }
    const cols = v.value.columns;
    const end = cols.length ? cols[cols.length - 1] + 1 : v.dataColumn + 1;
    addDefinition(out, entries, v.value.data, list, file, v.line, (o) => (o < cols.length ? cols[o] : end), strict);
  }
  return { file, line: key.line, entries };
}

export function readSources(files: SourceFile[], profile: Profile, strict = false): Sources {
  const out: Sources = { entries: [], uses: [], diagnostics: [] };
  const other: Profile = profile === "standard" ? "domain" : "standard";
  const paths = (p: Profile) => ({
    policyBase: `${POLICY_ROOT}\\${p}profile\\globallyopenports`,
    policyList: `${POLICY_ROOT}\\${p}profile\\globallyopenports\\list`,
    localList: `${LOCAL_ROOT}\\${p}profile\\globallyopenports\\list`,
  });
  const mine = paths(profile);
  const theirs = paths(other);
  let enabled: Setting | null = null;
  let merge: Setting | null = null;
  const policyLists: RegList[] = [];
  const localLists: RegList[] = [];
  const regFiles: string[] = [];
  let otherProfileSeen: string | null = null;

  for (const f of files) {
    if (!looksLikeRegedit(f.text)) {
      readPlain(out, f, strict);
      continue;
    }
    regFiles.push(f.path);
    const reg = parseRegedit(f.text);
    for (const p of reg.problems) out.diagnostics.push(diag(f.path, p.line, p.column, "error", `WF${100 + p.id}`, p.message));
    for (const [k, key] of registryView(reg, normalizeKey)) {
      if (k === mine.policyBase) {
        enabled = readSetting(out, f.path, key, "Enabled") ?? enabled;
        merge = readSetting(out, f.path, key, "AllowUserPrefMerge") ?? merge;
        const rest = [...key.values.values()].filter((v) => !["enabled", "allowuserprefmerge"].includes(v.name.toLowerCase()));
        if (rest.length) out.diagnostics.push(diag(f.path, rest[0].line, rest[0].column, "warning", "WF028", `value${rest.length > 1 ? "s" : ""} ${namesText(rest.map((v) => v.name))} under GloballyOpenPorts not understood; ignored`));
      } else if (k === mine.policyList) {
        policyLists.push(readList(out, f.path, key, "policy", strict));
      } else if (k === mine.localList) {
        localLists.push(readList(out, f.path, key, "local", strict));
      } else if (k === theirs.policyBase || k === theirs.policyList || k === theirs.localList) {
        otherProfileSeen ??= `${f.path}:${key.line}`;
      } else if (key.values.size > 0) {
        // Other Windows Firewall settings (file sharing, ICMP, program
        // exceptions...) also open ports on Windows; this dialect applies only
        // the port exceptions lists, and says so rather than drop them quietly.
        const names = namesText([...key.values.values()].map((v) => v.name || "@"));
        out.diagnostics.push(diag(f.path, key.line, 1, "warning", "WF028", `key ${excerpt(key.path, 200)} is not a port exceptions list of the ${profile} profile; its values ${names} are not applied`));
      }
    }
  }
  if (regFiles.length === 0) return out;

  if (policyLists.length + localLists.length === 0 && enabled === null && merge === null) {
    const hint = otherProfileSeen ? ` (${otherProfileSeen} has the ${other} profile's: use --profile ${other})` : "";
    out.diagnostics.push(diag(regFiles[0], 1, 1, "warning", "WF026", `no GloballyOpenPorts settings for the ${profile} profile${hint}; nothing is opened`));
  }
  const where = (s: Setting) => `${s.file}:${s.line}`;
  // The policy setting decides the policy list; the local list counts only
  // when the policy is not configured, or when local exceptions are allowed.
  const policyUsed = enabled?.value === 1;
  const policyWhy = enabled === null ? "GloballyOpenPorts\\Enabled is not set (the policy is not configured)"
    : enabled.value === 1 ? `Enabled=1 at ${where(enabled)}` : `Enabled=0 at ${where(enabled)} (the policy setting is disabled)`;
  const localUsed = enabled === null || merge?.value === 1;
  const localWhy = enabled === null ? "the port exceptions policy is not configured"
    : merge?.value === 1 ? `AllowUserPrefMerge=1 at ${where(merge)}`
    : merge ? `AllowUserPrefMerge=0 at ${where(merge)} (local port exceptions are not allowed)`
    : "AllowUserPrefMerge is not set (local port exceptions are not allowed)";
  for (const l of policyLists) {
    out.uses.push({ list: "policy", file: l.file, line: l.line, entries: l.entries.length, used: policyUsed, why: policyWhy });
    if (policyUsed) out.entries.push(...l.entries);
    else if (l.entries.length) out.diagnostics.push(diag(l.file, l.line, 1, "warning", enabled === null ? "WF024" : "WF023", `the policy list (${l.entries.length} entr${l.entries.length === 1 ? "y" : "ies"}) is ignored: ${policyWhy}`));
  }
  for (const l of localLists) {
    out.uses.push({ list: "local", file: l.file, line: l.line, entries: l.entries.length, used: localUsed, why: localWhy });
    if (localUsed) out.entries.push(...l.entries);
    else if (l.entries.length) out.diagnostics.push(diag(l.file, l.line, 1, "warning", "WF025", `the local list (${l.entries.length} entr${l.entries.length === 1 ? "y" : "ies"}) is ignored: ${localWhy}`));
  }
  return out;
}
