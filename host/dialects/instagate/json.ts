// The JSON form of an InstaGate rule table, for tools: the same table as the
// text form, field for field (see docs/instagate.md). Parsed into the same
// Table, so both forms share resolution, lint and lowering.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import type { AddrField, NameRef, ObjectDef, Pos, RuleBlock, ServiceDef, Table, ZoneName } from "./ast.ts";
import { emptyTable } from "./ast.ts";
import { type JValue, type JPos, parseJson as readJson, integerIn } from "../../model/jsonpos.ts";
import { quoted } from "../../model/excerpt.ts";
import { parsePorts, parseServiceProto } from "./text.ts";
import { formatRuleLines } from "./format.ts";
import { MAX_RULE_NUMBER } from "./ast.ts";

export { looksLikeJson } from "./detect.ts";

class Reader {
  constructor(readonly file: string, readonly sink: DiagnosticSink) {}
  ok = true;
  pos(p: JPos): Pos {
    return { file: this.file, ...p };
  }
  err(p: JPos, msg: string, code = "IG061"): null {
    this.sink.error(p.line, p.column, code, msg);
    this.ok = false;
    return null;
  }
  /** The object's entries by key; unknown keys are errors (duplicate keys are reported by the reader). */
  fields(v: JValue, what: string, allowed: string[]): Map<string, JValue> | null {
    if (v.type !== "object") return this.err(v.pos, `${what} must be a JSON object`);
    const out = new Map<string, JValue>();
    for (const e of v.entries) {
      if (!allowed.includes(e.key)) this.err(e.keyPos, `${what}: unknown key ${quoted(e.key)} (known: ${allowed.join(", ")})`);
      else if (!out.has(e.key)) out.set(e.key, e.value);
    }
    return out;
  }
  string(v: JValue | undefined, what: string, at: JPos): { value: string; pos: JPos } | null {
    if (!v) return this.err(at, `${what} is missing`);
    if (v.type !== "string" || v.value.trim() === "") return this.err(v.pos, `${what} must be a non-empty string`);
    return { value: v.value.trim(), pos: v.pos };
  }
  array(v: JValue | undefined, what: string, at: JPos): JValue[] | null {
    if (!v) return [];
    if (v.type !== "array") return this.err(v.pos ?? at, `${what} must be an array`);
    return v.items;
  }
}

export function parseJson(file: string, text: string, sink: DiagnosticSink, table: Table = emptyTable()): Table {
  const parsed = readJson(text);
  for (const p of parsed.problems) {
    if (p.kind === "duplicate") sink.error(p.pos.line, p.pos.column, "IG061", p.message);
    else sink.error(p.pos.line, p.pos.column, "IG060", `JSON syntax: ${p.message}`);
  }
  const root = parsed.value;
  if (!root) return table;
  const r = new Reader(file, sink);
  if (parsed.problems.length) r.ok = false;
  const top = r.fields(root, "the file", ["instagate"]);
  const body = top?.get("instagate");
  if (!top || !body) {
    if (top) r.err(root.pos, "the file must be {\"instagate\": {...}}");
    return table;
  }
  const f = r.fields(body, "\"instagate\"", ["objects", "services", "rules", "antivirus"]);
  if (!f) return table;
  for (const o of r.array(f.get("objects"), "\"objects\"", body.pos) ?? []) {
    const d = readObject(r, o);
    if (d) table.objects.push(d);
  }
  for (const s of r.array(f.get("services"), "\"services\"", body.pos) ?? []) {
    const d = readService(r, s);
    if (d) table.services.push(d);
  }
  const av = f.get("antivirus");
  if (av) table.antivirus.push({ pos: r.pos(av.pos), text: `"antivirus": ${quoted(JSON.stringify(jsonToPlain(av)), 200)}` });
  let last = 0;
  (r.array(f.get("rules"), "\"rules\"", body.pos) ?? []).forEach((v, k) => {
    const rule = readRule(r, v, k + 1);
    if (!rule) return;
    if (rule.number <= last) r.sink.error(rule.pos.line, rule.pos.column, "IG013", `rule ${rule.number} comes after rule ${last}: number the rules in the order they are evaluated (top to bottom)`);
    last = Math.max(last, rule.number);
    table.rules.push(rule);
  });
  return table;
}

function jsonToPlain(v: JValue): unknown {
  switch (v.type) {
    // A Map, not a plain object: a key "__proto__" would set the prototype. (Depth is bounded by the reader.)
    case "object": return Object.fromEntries(new Map(v.entries.map((e) => [e.key, jsonToPlain(e.value)])));
    case "array": return v.items.map(jsonToPlain);
    case "null": return null;
    default: return v.value;
  }
}

function readObject(r: Reader, v: JValue): ObjectDef | null {
  const f = r.fields(v, "object", ["name", "address", "network", "subnet", "list"]);
  if (!f) return null;
  const name = r.string(f.get("name"), "object \"name\"", v.pos);
  if (!name) return null;
  const pos = r.pos(name.pos);
  const kinds = ["address", "network", "list"].filter((k) => f.has(k));
  if (kinds.length !== 1) return r.err(v.pos, `object ${quoted(name.value)} needs exactly one of "address", "network" (with "subnet") or "list"`);
  if (f.has("subnet") && kinds[0] !== "network") return r.err(v.pos, `object ${quoted(name.value)}: "subnet" goes with "network"`);
  if (kinds[0] === "address") {
    const a = r.string(f.get("address"), "\"address\"", v.pos);
    return a && { name: name.value, pos, value: { kind: "address", address: a.value } };
  }
  if (kinds[0] === "network") {
    const a = r.string(f.get("network"), "\"network\"", v.pos);
    const m = f.has("subnet") ? r.string(f.get("subnet"), "\"subnet\"", v.pos) : null;
    if (!a || (f.has("subnet") && !m)) return null;
    return { name: name.value, pos, value: { kind: "network", address: a.value, mask: m?.value ?? null } };
  }
  const items = r.array(f.get("list"), "\"list\"", v.pos);
  if (!items) return null;
  const members = items.map((it) => r.string(it, "list member", it.pos));
  if (members.some((m) => !m) || members.length === 0) return members.length === 0 ? r.err(v.pos, `object ${quoted(name.value)}: empty list`) : null;
  return { name: name.value, pos, value: { kind: "list", members: members.map((m) => ({ text: m!.value, pos: r.pos(m!.pos) })) } };
}

function readService(r: Reader, v: JValue): ServiceDef | null {
  const f = r.fields(v, "service", ["name", "protocol", "ports", "type"]);
  if (!f) return null;
  const name = r.string(f.get("name"), "service \"name\"", v.pos);
  if (!name) return null;
  const pos = r.pos(name.pos);
  const pv = f.get("protocol");
  if (!pv) return r.err(v.pos, `service ${quoted(name.value)}: "protocol" is missing`);
  if (pv.type === "number") {
    if (!integerIn(pv, 0, 255)) return r.err(pv.pos, "protocol number is 0..255");
    if (f.has("ports") || f.has("type")) return r.err(v.pos, `service ${quoted(name.value)}: a protocol number takes no "ports" or "type"`);
    return { name: name.value, pos, proto: pv.value, ports: null, icmpType: null };
  }
  const proto = pv.type === "string" ? parseServiceProto(pv.value) : null;
  if (proto === null) return r.err(pv.pos, `service ${quoted(name.value)}: "protocol" is "TCP", "UDP", "TCP/UDP", "ICMP" or a number`);
  if (proto === "icmp") {
    if (f.has("ports")) return r.err(v.pos, `service ${quoted(name.value)}: ICMP has no ports (use "type")`);
    const t = f.get("type");
    if (t && !integerIn(t, 0, 255)) return r.err(t.pos, "ICMP \"type\" is a number 0..255");
    return { name: name.value, pos, proto, ports: null, icmpType: t && t.type === "number" ? t.value : null };
  }
  if (f.has("type")) return r.err(v.pos, `service ${quoted(name.value)}: "type" is for ICMP`);
  const pp = f.get("ports");
  if (!pp) return r.err(v.pos, `service ${quoted(name.value)}: "ports" is missing`);
  const text = pp.type === "number" ? String(pp.value) : pp.type === "string" ? pp.value : null;
  const ports = text === null ? "\"ports\" is a string such as \"25, 587\" or \"27000-27015\", or a number" : parsePorts(text);
  if (typeof ports === "string") return r.err(pp.pos, ports);
  return { name: name.value, pos, proto, ports, icmpType: null };
}

function readAddr(r: Reader, v: JValue | undefined, what: string, at: JPos): AddrField | null {
  if (!v) return r.err(at, `${what} is missing`);
  const f = r.fields(v, what, ["match", "network", "subnet", "object"]);
  if (!f) return null;
  const m = r.string(f.get("match"), `${what} "match"`, v.pos);
  if (!m) return null;
  const match = /^include$/i.test(m.value) ? "include" : /^exclude$/i.test(m.value) ? "exclude" : null;
  if (!match) return r.err(m.pos, `${what} "match" is "Include" or "Exclude", not ${quoted(m.value)}`);
  if (f.has("object") === f.has("network")) return r.err(v.pos, `${what} needs exactly one of "object" or "network" (with "subnet")`);
  if (f.has("object")) {
    if (f.has("subnet")) return r.err(v.pos, `${what}: "subnet" goes with "network"`);
    const o = r.string(f.get("object"), `${what} "object"`, v.pos);
    return o && { match, ref: { kind: "object", name: o.value, pos: r.pos(o.pos) } };
  }
  const n = r.string(f.get("network"), `${what} "network"`, v.pos);
  const s = f.has("subnet") ? r.string(f.get("subnet"), `${what} "subnet"`, v.pos) : null;
  if (!n || (f.has("subnet") && !s)) return null;
  return { match, ref: { kind: "network", address: n.value, mask: s?.value ?? null, pos: r.pos(n.pos) } };
}

function readRule(r: Reader, v: JValue, position: number): RuleBlock | null {
  const f = r.fields(v, `rule ${position}`, ["number", "title", "action", "interface", "source", "destination", "services"]);
  if (!f) return null;
  const before = r.ok;
  r.ok = true;
  const what = `rule ${position}`;
  let number = position;
  const nv = f.get("number");
  if (nv) {
    if (nv.type !== "number") r.err(nv.pos, `${what}: "number" is a whole number 1..${MAX_RULE_NUMBER}, not ${quoted(JSON.stringify(jsonToPlain(nv)))}`);
    else if (!integerIn(nv, 1, MAX_RULE_NUMBER)) r.err(nv.pos, `${what}: rule number ${quoted(nv.text)} is not a whole number in 1..${MAX_RULE_NUMBER}`, "IG014");
    else number = nv.type === "number" ? nv.value : number;
  }
  const tv = f.get("title");
  const title = tv ? r.string(tv, `${what} "title"`, v.pos)?.value ?? "" : "";
  const a = r.string(f.get("action"), `${what} "action"`, v.pos);
  const action = a && (/^accept$/i.test(a.value) ? "accept" : /^deny$/i.test(a.value) ? "deny" : r.err(a.pos, `Action is "Accept" or "Deny", not ${quoted(a.value)}`));
  const z = r.string(f.get("interface"), `${what} "interface"`, v.pos);
  const zone = z && ((["LAN", "WAN", "DMZ"] as ZoneName[]).find((x) => x === z.value.toUpperCase()) ?? r.err(z.pos, `Interface is LAN, WAN or DMZ, not ${quoted(z.value)}`));
  const src = readAddr(r, f.get("source"), `${what} "source"`, v.pos);
  const dst = readAddr(r, f.get("destination"), `${what} "destination"`, v.pos);
  const sv = f.get("services");
  let services: NameRef[] | "any" | null = null;
  if (!sv) r.err(v.pos, `${what} "services" is missing`);
  else if (sv.type === "string" && /^any$/i.test(sv.value)) services = "any";
  else if (sv.type === "array" && sv.items.length > 0) {
    const names = sv.items.map((it) => r.string(it, "service name", it.pos));
    if (names.every((n) => n)) services = names.map((n) => ({ name: n!.value, pos: r.pos(n!.pos) }));
  } else r.err(sv.pos, `${what} "services" is "Any" or a non-empty array of service names`);
  const ok = r.ok;
  r.ok = before && ok;
  if (!ok || !action || !zone || !src || !dst || !services) return null;
  const rule: RuleBlock = { number, title, pos: r.pos(v.pos), lines: [], action, zone, src, dst, services };
  rule.lines = formatRuleLines(rule);
  return rule;
}
