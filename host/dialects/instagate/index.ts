// The InstaGate LAN firewall rule table (seed 003, dialects.md section 5):
// text and JSON forms, resolution of objects and services, lowering to the
// rule model, and the checks an administrator needs before applying it.
import type { Dialect, LoadOptions, LoadResult, SourceFile } from "../dialect.ts";
import { DiagnosticSink } from "../../model/diagnostic.ts";
import { type Table, emptyTable } from "./ast.ts";
import { parseText } from "./text.ts";
import { parseJson, looksLikeJson } from "./json.ts";
import { Names } from "./resolve.ts";

import { lowerTable, type Lowered } from "./lower.ts";
import { describeOrderExact } from "./order-exact.ts";
import { checkOrder } from "./order.ts";
import { zoneOf } from "./zones.ts";
import { showTable } from "./show.ts";
import type { InstagateModel, InstagateResult } from "./result.ts";

export type { InstagateModel, InstagateResult } from "./result.ts";
import { detectInstagate } from "./detect.ts";

/** Parse every file into one table: definitions are shared, rules follow file order. */
export function parseFiles(files: SourceFile[]): { table: Table; diagnostics: LoadResult["diagnostics"] } {
  const table = emptyTable();
  const diagnostics: LoadResult["diagnostics"] = [];
  for (const f of files) {
    const sink = new DiagnosticSink(f.path);
    if (looksLikeJson(f.text) || /^\s*[{[]/.test(f.text)) parseJson(f.path, f.text, sink, table);
    else parseText(f.path, f.text, sink, table);
    for (const d of sink.list) diagnostics.push(d); // not push(...list): a huge list would overflow the call
  }
  return { table, diagnostics };
}

export function loadInstagate(files: SourceFile[], opts: LoadOptions): InstagateResult {
  const { table, diagnostics } = parseFiles(files);
  const rep = new DiagnosticSink("-", { once: true });
  const a = opts.appliance;
  for (const m of table.antivirus) {
    rep.warningAt(m.pos, "IG040", "this appliance has no Gateway Anti-Virus SMTP proxy: nothing intercepts SMTP ahead of the firewall rules, so the rules alone decide SMTP traffic; this setting is ignored");
  }
  const names = new Names(table, rep);
  names.checkDefinitions();
  for (const b of table.rules) {
    // Resolve every rule once whatever the appliance, so bad names are reported even in unused zones.
    names.addr(b.src.ref, []);
    names.addr(b.dst.ref, []);
    if (b.services !== "any") for (const s of b.services) names.service(s.name, s.pos);
    if (!a.interfaces.some((i) => zoneOf(i) === b.zone)) {
      rep.warningAt(b.pos, "IG041", `rule ${b.number} is for Interface ${b.zone}, but the appliance (${a.source}) has no ${b.zone} interface, so it never applies${b.zone === "DMZ" ? " (mark one with \"zone\": \"dmz\")" : ""}`);
    }
  }
  const parseOk = !diagnostics.some((d) => d.severity === "error") && !rep.list.some((d) => d.severity === "error");
  const lowered = parseOk ? lowerTable(table, names, a, rep) : null;
  if (lowered) checkOrder(lowered, a, rep);
  const all = [...diagnostics, ...rep.list];
  const failed = all.some((d) => d.severity === "error");
  return { policy: failed || !lowered ? null : lowered.policy, diagnostics: all, vendor: { table, lowered } };
}

export const instagateDialect: Dialect<InstagateModel> = {
  name: "instagate",
  detect: detectInstagate,
  load: (files, opts) => loadInstagate(files, opts),
  show: (result, opts) => showTable(result, opts),
  describeOrder: (result, findings, existing) => {
    const lowered = result.vendor?.lowered;
    return lowered ? describeOrderExact(lowered, findings, existing) : [];
  },
};
