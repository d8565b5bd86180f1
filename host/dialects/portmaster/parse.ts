// Runs the ComOS commands of one or more config files, in order, into the
// final PortMaster configuration (later files edit what earlier ones built):
//   add filter NAME                          create an empty filter
//   delete filter NAME                       remove a filter and its rules
//   set filter NAME N permit|deny ...        set rule N (rule-syntax.ts)
//   set filter NAME N                        remove rule N (ComOS's way)
//   set IFACE ifilter|ofilter [NAME]         attach (no NAME: detach)
//   set user|location UNAME ifilter|ofilter [NAME]
//   save ...                                 ignored (the file is the saved form)
import type { SourceFile } from "../dialect.ts";
import type { Appliance } from "../../model/appliance.ts";
import { DiagnosticSink } from "../../model/diagnostic.ts";
import { lexLines, type SourceLine, type Token } from "./lex.ts";
import { PM } from "./codes.ts";
import type { Loc, PmAttachment, PmConfig, AttachTarget } from "./model.ts";
import { targetText } from "./model.ts";
import { parseRuleBody } from "./rule-syntax.ts";
import { excerpt } from "../../model/excerpt.ts";

const NAME_RE = /^[A-Za-z0-9_.-]{1,15}$/;

export interface ParseResult {
  config: PmConfig;
  sinks: DiagnosticSink[];
}

function where(loc: Loc, file: string): string {
  return loc.file === file ? `line ${loc.line}` : `${loc.file}:${loc.line}`;
}

export function parseFiles(files: SourceFile[], appliance: Appliance): ParseResult {
  const config: PmConfig = { filters: new Map(), attachments: [], deleted: new Map() };
  const sinks: DiagnosticSink[] = [];
  const ifaceNames = appliance.interfaces.map((i) => i.name);
  const index = new Map<string, PmAttachment>();
  attachmentIndex.set(config, index);
  for (const f of files) {
    const d = new DiagnosticSink(f.path);
    sinks.push(d);
    for (const l of lexLines(f.text)) runCommand(l, f.path, d, config, ifaceNames);
  }
  // Map order is the order of first attachment, a replacement keeping its place.
  config.attachments = [...index.values()];
  return { config, sinks };
}

// The attachments while parsing, by target and direction: a file of 100,000
// `set user` lines costs 100,000 lookups, not 100,000 scans (issue 12).
const attachmentIndex = new WeakMap<PmConfig, Map<string, PmAttachment>>();

function runCommand(l: SourceLine, file: string, d: DiagnosticSink, cfg: PmConfig, ifaces: string[]): void {
  const t = l.tokens;
  const loc: Loc = { file, line: l.line, column: l.column, text: l.text };
  const endCol = l.column + l.text.length;
  const missing = (what: string) => d.error(l.line, endCol, PM.MISSING_VALUE, `${what} is missing`);
  const extra = (tok: Token, after: string) => d.error(l.line, tok.column, PM.UNKNOWN_KEYWORD, `unexpected "${excerpt(tok.text)}" after ${after}`);
  const checkName = (tok: Token | undefined): string | null => {
    if (!tok) { missing("the filter name"); return null; }
    if (!NAME_RE.test(tok.text)) {
      d.error(l.line, tok.column, PM.BAD_NAME, `bad filter name "${excerpt(tok.text)}": 1 to 15 letters, digits, _ . -`);
      return null;
    }
    return tok.text;
  };
  const verb = t[0].lower;

  if (verb === "save") return;

  if ((verb === "add" || verb === "delete") && t[1]?.lower === "filter") {
    const name = checkName(t[2]);
    if (name === null) return;
    if (t[3]) return extra(t[3], `${verb} filter ${name}`);
    if (verb === "add") {
      const old = cfg.filters.get(name);
      if (old) {
        d.error(l.line, t[2].column, PM.ADDED_TWICE, `filter "${name}" was already added at ${where(old.loc, file)}; to start it afresh, "delete filter ${name}" first`);
        return;
      }
      cfg.filters.set(name, { name, rules: new Map(), loc });
      cfg.deleted.delete(name);
    } else {
      if (!cfg.filters.delete(name)) {
        d.warning(l.line, t[2].column, PM.NO_SUCH_FILTER, `no filter "${name}" to delete`);
        return;
      }
      cfg.deleted.set(name, loc);
    }
    return;
  }

  if (verb === "set" && t[1]?.lower === "filter") return setFilter(l, loc, d, cfg, checkName(t[2]));

  if (verb === "set" && t.length >= 2) {
    let target: AttachTarget;
    let k: number;
    if ((t[1].lower === "user" || t[1].lower === "location") && t[2] && t[2].lower !== "ifilter" && t[2].lower !== "ofilter") {
      target = { kind: t[1].lower, name: t[2].text };
      k = 3;
    } else {
      target = { kind: "interface", name: t[1].text };
      k = 2;
    }
    const dirTok = t[k];
    if (!dirTok) return missing(`"ifilter NAME" or "ofilter NAME" after "set ${excerpt(targetText(target))}"`);
    if (dirTok.lower !== "ifilter" && dirTok.lower !== "ofilter") {
      d.error(l.line, dirTok.column, PM.UNKNOWN_KEYWORD, `unknown keyword "${excerpt(dirTok.text)}": only "set ${excerpt(targetText(target))} ifilter NAME" and "ofilter NAME" are read here`);
      return;
    }
    if (target.kind === "interface" && !ifaces.includes(target.name)) {
      d.error(l.line, t[1].column, PM.UNKNOWN_INTERFACE, `"${excerpt(target.name)}" is not an interface of this appliance (interfaces: ${ifaces.join(", ")}); describe the PortMaster's ports with --appliance`);
      return;
    }
    const dir = dirTok.lower as PmAttachment["dir"];
    let name: string | null = null;
    if (t[k + 1]) {
      name = checkName(t[k + 1]);
      if (name === null) return;
      if (t[k + 2]) return extra(t[k + 2], `${dir} ${name}`);
    }
    attach(cfg, d, { target, dir, filter: name ?? "", loc }, name === null);
    return;
  }

  d.error(l.line, t[0].column, PM.UNKNOWN_KEYWORD,
    `unknown command "${t.slice(0, 2).map((x) => excerpt(x.text)).join(" ")}" (expected add filter, delete filter, set filter, set IFACE ifilter|ofilter, set user|location NAME ifilter|ofilter)`);
}

function attach(cfg: PmConfig, d: DiagnosticSink, a: PmAttachment, detach: boolean): void {
  const index = attachmentIndex.get(cfg)!;
  const k = `${a.dir}\u0000${a.target.kind}\u0000${a.target.name}`;
  const old = index.get(k);
  if (detach) {
    index.delete(k);
    return;
  }
  if (old && old.filter !== a.filter) {
    d.warning(a.loc.line, a.loc.column, PM.ATTACHMENT_REPLACED, `${a.dir} of ${excerpt(targetText(a.target))} was "${old.filter}" (${where(old.loc, a.loc.file)}); now "${a.filter}"`);
  }
  index.set(k, a);
}

function setFilter(l: SourceLine, loc: Loc, d: DiagnosticSink, cfg: PmConfig, name: string | null): void {
  const t = l.tokens;
  if (name === null) return;
  const numTok = t[3];
  if (!numTok) {
    d.error(l.line, loc.column + loc.text.length, PM.MISSING_VALUE, `the rule number is missing: set filter ${name} N permit|deny ...`);
    return;
  }
  if (!/^\d+$/.test(numTok.text) || Number(numTok.text) < 1 || Number(numTok.text) > 65535) {
    d.error(l.line, numTok.column, PM.BAD_RULE_NUMBER, `bad rule number "${excerpt(numTok.text)}": a decimal number 1..65535`);
    return;
  }
  const n = Number(numTok.text);
  const filter = cfg.filters.get(name);
  if (!filter) {
    const del = cfg.deleted.get(name);
    d.error(l.line, t[2].column, PM.NOT_ADDED, del
      ? `filter "${name}" was deleted at ${where(del, loc.file)}; "add filter ${name}" again before setting its rules`
      : `filter "${name}" was never added; write "add filter ${name}" first`);
    return;
  }
  if (t.length === 4) {
    if (!filter.rules.delete(n)) d.warning(l.line, numTok.column, PM.NO_SUCH_RULE, `filter "${name}" has no rule ${n} to remove`);
    return;
  }
  const rule = parseRuleBody(t.slice(4), { filter: name, number: n, numberColumn: numTok.column, loc }, d);
  if (!rule) return;
  const old = filter.rules.get(n);
  if (old) {
    if (old.loc.file === loc.file) {
      d.error(l.line, numTok.column, PM.DUPLICATE_RULE, `rule ${n} of filter "${name}" is already set at line ${old.loc.line}; pick another number, or remove it first with "set filter ${name} ${n}"`);
      return;
    }
    d.warning(l.line, numTok.column, PM.RULE_REPLACED, `replaces rule ${n} of filter "${name}" set at ${old.loc.file}:${old.loc.line}`);
  }
  filter.rules.set(n, rule);
}
