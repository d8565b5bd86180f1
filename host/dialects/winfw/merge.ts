// Windows' rules for several entries of one PORT:TRANSPORT (seed 001): the
// scopes of the enabled entries are combined, and any disabled entry cancels
// every enabled one. Windows applies these silently; here each merge and each
// override is reported, as a conflict warning (an error with --strict).
import { type Prefix, formatAddress, formatPrefix } from "../../model/addr.ts";
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { ListEntry } from "./sources.ts";
import type { ScopeItem } from "./definition.ts";
import { excerpt } from "../../model/excerpt.ts";

export interface Exception {
  port: number;
  transport: "TCP" | "UDP";
  proto: 6 | 17;
  open: boolean; // false when a disabled entry overrides
  enabled: ListEntry[];
  disabled: ListEntry[];
  any: boolean; // an enabled entry's scope is *
  prefixes: { prefix: Prefix; from: ListEntry }[]; // explicit addresses and subnets, first writer kept
  localsubnet: ListEntry | null; // the first enabled entry that names localsubnet
}

export function itemText(s: ScopeItem): string {
  if (s.kind === "any") return "*";
  if (s.kind === "localsubnet") return "localsubnet";
  return prefixText(s.prefix);
}

/** An IPv4 host is written as a bare address, as in the definition strings. */
export function prefixText(p: Prefix): string {
  return p.len === (p.family === 4 ? 32 : 128) ? formatAddress(p) : formatPrefix(p);
}

// Computed once per entry: a scope of thousands of items is sorted once,
// never once per comparison (issue 12: the merge must stay n log n).
const scopeKeys = new WeakMap<ListEntry, string>();
function scopeKey(e: ListEntry): string {
  let k = scopeKeys.get(e);
  if (k === undefined) scopeKeys.set(e, (k = [...new Set(e.def.scope.map(itemText))].sort().join(",")));
  return k;
}

function describeList(e: ListEntry): string {
  return e.list === "plain" ? "" : ` (${e.list} list)`;
}

/** Places named in one message, at most; the rest are counted. */
const MAX_PLACES = 20;

/** "line 7", "lines 2 and 5", "line 2 and local.reg:3": places relative to `file`. */
export function placesText(all: ListEntry[], file: string): string {
  const entries = all.length > MAX_PLACES ? all.slice(0, MAX_PLACES) : all;
  const more = all.length - entries.length;
  if (more > 0) return `${placesText(entries, file)} and ${more} more`;
  const here = entries.filter((e) => e.file === file);
  const parts: string[] = [];
  if (here.length === 1) parts.push(`line ${here[0].line}${describeList(here[0])}`);
  if (here.length > 1) {
    const ls = here.map((e) => `${e.line}${describeList(e)}`);
    parts.push(`lines ${ls.slice(0, -1).join(", ")} and ${ls[ls.length - 1]}`);
  }
  for (const e of entries) if (e.file !== file) parts.push(`${e.file}:${e.line}${describeList(e)}`);
  return parts.length <= 1 ? parts.join("") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

export function mergeEntries(entries: ListEntry[], strict: boolean): { exceptions: Exception[]; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const conflict = (at: ListEntry, code: string, message: string) =>
    diagnostics.push({ file: at.file, line: at.line, column: at.column, severity: strict ? "error" : "warning", code, message });
  const groups = new Map<string, ListEntry[]>();
  for (const e of entries) {
    const k = `${e.def.port}/${e.def.transport}`;
    if (!groups.has(k)) groups.set(k, []);
    groups.get(k)!.push(e);
  }
  const exceptions: Exception[] = [];
  for (const [key, group] of groups) {
    const enabled = group.filter((e) => e.def.status === "enabled");
    const disabled = group.filter((e) => e.def.status === "disabled");
    const seen = new Map<string, ListEntry>();
    for (const e of group) {
      const sig = `${e.def.status}|${scopeKey(e)}`;
      const first = seen.get(sig);
      if (first) conflict(e, "WF013", `${key}: repeats ${placesText([first], e.file)} (same status and scope)`);
      else seen.set(sig, e);
    }
    const first = group[0];
    const ex: Exception = {
      port: first.def.port, transport: first.def.transport, proto: first.def.transport === "TCP" ? 6 : 17,
      open: disabled.length === 0, enabled, disabled, any: false, prefixes: [], localsubnet: null,
    };
    if (!ex.open) {
      if (enabled.length) conflict(disabled[0], "WF010", `${key}: disabled at ${placesText(disabled, disabled[0].file)} overrides enabled at ${placesText(enabled, disabled[0].file)}; the port is not opened`);
    } else {
      const have = new Set<string>();
      for (const e of enabled) {
        for (const s of e.def.scope) {
          if (s.kind === "any") ex.any = true;
          else if (s.kind === "localsubnet") ex.localsubnet ??= e;
          else {
            const k = formatPrefix(s.prefix);
            if (!have.has(k)) { have.add(k); ex.prefixes.push({ prefix: s.prefix, from: e }); }
          }
        }
      }
      const keys = new Set(enabled.map(scopeKey));
      if (keys.size > 1) {
        const at = enabled.find((e) => scopeKey(e) !== scopeKey(enabled[0]))!;
        conflict(at, "WF011", `${key}: the scopes of ${placesText(enabled, at.file)} are combined; the port is open to ${excerpt(scopeSummary(ex), 200)}`);
      }
    }
    exceptions.push(ex);
  }
  exceptions.sort((a, b) => a.port - b.port || a.proto - b.proto);
  return { exceptions, diagnostics };
}

/** The merged scope as a definition string's SCOPE field. */
export function scopeSummary(ex: Exception): string {
  if (ex.any) return "*";
  const items = ex.prefixes.map((p) => prefixText(p.prefix));
  if (ex.localsubnet) items.push("localsubnet");
  return items.join(",");
}
