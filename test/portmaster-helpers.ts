// Shared by the PortMaster tests: load config text in-process, and run the
// CLI on config files written to a temporary directory.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadPortmaster } from "../host/dialects/portmaster/index.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON, type Appliance } from "../host/model/appliance.ts";
import { formatDiagnostic, type Diagnostic } from "../host/model/diagnostic.ts";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { tempDir } from "./support/tmp.ts";

export const builtin: Appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");

export const pmAppliance: Appliance = parseAppliance({
  interfaces: [
    { name: "ether0", role: "private", addresses: ["192.168.1.1/24"] },
    { name: "ether1", role: "public", addresses: ["203.0.113.1/24"] },
    { name: "s0", role: "public", addresses: ["198.51.100.1/30"] },
  ],
}, "test");

export function load(text: string | string[], appliance: Appliance = builtin) {
  const texts = Array.isArray(text) ? text : [text];
  const files = texts.map((t, i) => ({ path: texts.length === 1 ? "t.cfg" : `t${i + 1}.cfg`, text: t }));
  return loadPortmaster(files, { appliance, strict: false, options: {} });
}

export function codes(ds: Diagnostic[]): string[] {
  return ds.map((d) => d.code);
}

export function lines(ds: Diagnostic[]): string[] {
  return ds.map(formatDiagnostic);
}

/** Write files into a fresh temporary directory; returns their paths. */
export function writeTemp(files: Record<string, string>): Record<string, string> {
  const dir = tempDir("pm-test-");
  const out: Record<string, string> = {};
  for (const [name, text] of Object.entries(files)) {
    out[name] = join(dir, name);
    writeFileSync(out[name], text);
  }
  return out;
}

export async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}
