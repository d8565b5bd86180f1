// Shared fixtures of the connection-tracking tests: a two-interface policy
// (lan private, wan public, as the built-in appliance), packet metadata for
// both directions, and a WasmEngine with the program loaded.
import * as L from "../../assembly/layout.ts";
import { parsePrefix } from "../../host/model/addr.ts";
import { type Policy, type Rule, anyRule } from "../../host/model/rule.ts";
import { encodePolicy } from "../../host/engine/encode.ts";
import { WasmEngine, type FrameInput } from "../../host/engine/wasm.ts";
import { type PacketMeta, DEFAULT_META } from "../../host/engine/header.ts";
import { conntrackOf } from "../../host/conntrack/wasm-conntrack.ts";

export const LAN = 0;
export const WAN = 1;
export const SEC = 1_000_000_000n;

let line = 0;
export function rule(action: "permit" | "deny", fields: Partial<Rule> & { srcText?: string; dstText?: string } = {}): Rule {
  const r = anyRule(action, { dialect: "test", file: "test.rules", line: ++line, column: 1, text: `${action} ${JSON.stringify(fields)}` });
  const { srcText, dstText, ...rest } = fields;
  Object.assign(r, rest);
  if (srcText) r.src = { prefix: parsePrefix(srcText)!, negate: false };
  if (dstText) r.dst = { prefix: parsePrefix(dstText)!, negate: false };
  return r;
}

/** One ruleset bound as the input ruleset of both interfaces; every default denies. */
export function policy(rules: Rule[], stateful = true): Policy {
  return {
    dialect: "test",
    interfaces: ["lan", "wan"],
    rulesets: [{ name: "fw", rules, defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful }],
    input: [0, 0],
    output: [null, null],
  };
}

/** Outbound (lan -> wan) and inbound (wan -> lan) packet metadata at time `t` (ns). */
export function out(t: bigint): PacketMeta {
  return { ...DEFAULT_META, ifIn: LAN, ifOut: WAN, dir: L.DIR_OUTBOUND, timeNs: t };
}
export function inb(t: bigint): PacketMeta {
  return { ...DEFAULT_META, ifIn: WAN, ifOut: LAN, dir: L.DIR_INBOUND, timeNs: t };
}

/** Direction by the built-in appliance's subnets, as `replay` assigns it (cli.md). */
export function metaFor(frameSrcIsLan: boolean, t: bigint): PacketMeta {
  return frameSrcIsLan ? out(t) : inb(t);
}

export async function engineWith(p: Policy, capacity?: number): Promise<WasmEngine> {
  const e = await WasmEngine.create();
  conntrackOf(e).flush();
  if (capacity !== undefined) conntrackOf(e).configure({ capacity });
  e.load(encodePolicy(p));
  return e;
}

/** Classify one frame. */
export function one(e: WasmEngine, data: Uint8Array, meta: PacketMeta) {
  const f: FrameInput = { data, meta };
  return e.classifyFrames([f])[0];
}
