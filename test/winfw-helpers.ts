// Shared by the winfw tests: load lists from strings, and decide packets with
// BOTH engines (they must agree) through the command line's packet syntax.
import { expect } from "vitest";
import { loadWinfw } from "../host/dialects/winfw/index.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON, type Appliance } from "../host/model/appliance.ts";
import type { LoadResult } from "../host/dialects/dialect.ts";
import type { Policy } from "../host/model/rule.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { parsePacketSpec } from "../host/engine/packet-spec.ts";

export const builtin: Appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");

export function load(files: Record<string, string>, o: { appliance?: Appliance; strict?: boolean; profile?: string } = {}): LoadResult {
  const options: Record<string, string> = o.profile ? { profile: o.profile } : {};
  return loadWinfw(Object.entries(files).map(([path, text]) => ({ path, text })), { appliance: o.appliance ?? builtin, strict: o.strict ?? false, options });
}

/** A plain list from lines (line N of the file is lines[N-1]). */
export function list(...lines: string[]): Record<string, string> {
  return { "l.txt": lines.join("\n") + "\n" };
}

/** Diagnostics as "LINE:COL severity[CODE] message" for compact assertions. */
export function diags(r: LoadResult): string[] {
  return r.diagnostics.map((d) => `${d.file === "l.txt" ? "" : d.file + ":"}${d.line}:${d.column} ${d.severity}[${d.code}] ${d.message}`);
}

let engine: WasmEngine | null = null;

export async function decider(policy: Policy, appliance: Appliance = builtin) {
  engine ??= await WasmEngine.create();
  const program = encodePolicy(policy);
  return (spec: string): "permit" | "deny" => {
    engine!.load(program);
    conntrackOf(engine!).flush(); // each packet is judged on its own: no flow left by an earlier one
    const p = parsePacketSpec(spec, appliance, Date.UTC(2026, 0, 1));
    const [w] = engine!.classifyHeaders([p.header], [p.meta]);
    const r = new ReferenceEngine(policy).classify(p.header, p.meta);
    expect({ verdict: w.verdict, rule: w.rule }, `engines disagree on ${spec}`).toEqual({ verdict: r.verdict, rule: r.rule });
    return w.verdict;
  };
}

/** Load a list that must load cleanly (no diagnostics at all) and return its decider. */
export async function clean(files: Record<string, string>, o: Parameters<typeof load>[1] = {}) {
  const r = load(files, o);
  expect(diags(r)).toEqual([]);
  expect(r.policy).not.toBeNull();
  return decider(r.policy!, o.appliance ?? builtin);
}
