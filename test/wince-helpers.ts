// Shared by the wince tests: load rule text, classify packets with both
// engines (which must agree), and name the deciding rule.
import { expect } from "vitest";
import type { CeRule } from "../host/dialects/wince/model.ts";
import { loadWince, type CeLoadResult } from "../host/dialects/wince/index.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON, type Appliance } from "../host/model/appliance.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { ReferenceEngine } from "../host/engine/reference.ts";
import { parsePacketSpec } from "../host/engine/packet-spec.ts";
import { ruleAt, type Policy } from "../host/model/rule.ts";
import * as L from "../assembly/layout.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

export const BUILTIN: Appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");

export function appliance(json: object): Appliance {
  return parseAppliance(json, "test-appliance.json");
}

/** The load result, with its vendor model (every rule read) also as `rules`. */
export function load(text: string, app: Appliance = BUILTIN, file = "rules.reg"): CeLoadResult & { rules: CeRule[] } {
  const r = loadWince([{ path: file, text }], { appliance: app, strict: false, options: {} });
  return { ...r, rules: r.vendor ?? [] };
}

export function loadOk(text: string, app: Appliance = BUILTIN, file = "rules.reg"): Policy {
  const r = load(text, app, file);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  expect(r.policy).not.toBeNull();
  return r.policy!;
}

let engine: WasmEngine | null = null;
export async function wasm(): Promise<WasmEngine> {
  engine ??= await WasmEngine.create();
  return engine;
}

export interface Outcome {
  verdict: "permit" | "deny";
  rule: string | null; // label of the deciding rule
  logged: boolean; // by a LOG rule: the monitor, or the deciding rule's log mark
}

/** Classify one `explain`-syntax packet with both engines; they must agree. */
export async function classify(policy: Policy, app: Appliance, spec: string): Promise<Outcome> {
  const s = parsePacketSpec(spec, app, Date.UTC(2026, 0, 7, 12, 0));
  const e = await wasm();
  e.load(encodePolicy(policy));
  conntrackOf(e).flush(); // each packet is judged on its own: no flow left by an earlier one
  const [w] = e.classifyHeaders([s.header], [s.meta]);
  const r = new ReferenceEngine(policy).classify(s.header, s.meta);
  expect({ verdict: w.verdict, rule: w.rule, monitor: w.monitorRule }).toEqual({ verdict: r.verdict, rule: r.rule, monitor: r.monitorRule });
  const deciding = ruleAt(policy, w.rule)?.rule ?? null;
  return {
    verdict: w.verdict,
    rule: deciding?.origin.label ?? null,
    logged: w.monitorRule >= 0 || (w.marks & L.MARK_LOG) !== 0,
  };
}

export async function verdict(policy: Policy, app: Appliance, spec: string): Promise<"permit" | "deny"> {
  return (await classify(policy, app, spec)).verdict;
}

/** A rule subkey in regedit syntax. */
export function key(name: string, values: Record<string, string>): string {
  return `[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\${name}]\r\n` + Object.entries(values).map(([k, v]) => `"${k}"=${v}`).join("\r\n") + "\r\n\r\n";
}

export const HOST2 = "hex:02,00,00,00,C0,A8,00,65"; // 192.168.0.101
export const ANY4 = "hex:02,00";
export const ANY6 = "hex:17,00";
