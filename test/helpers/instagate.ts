// Shared by the InstaGate tests: write a table to a temporary file and run
// the real CLI commands on it (explain runs both engines and fails loudly if
// they disagree).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { main } from "../../host/cli/main.ts";
import { bufferIO } from "../../host/cli/io.ts";
import { tempDir } from "../support/tmp.ts";

const dir = tempDir("instagate-test-");
let n = 0;

export function writeTemp(text: string, ext = "txt"): string {
  const path = join(dir, `t${n++}.${ext}`);
  writeFileSync(path, text);
  return path;
}

export function applianceFile(json: unknown): string {
  return writeTemp(JSON.stringify(json), "json");
}

export async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

export interface Verdict {
  verdict: "permit" | "deny";
  line: number | null;
  label: string | null;
  reason: string;
}

/** The verdict for one packet (explain --json); throws if the config does not load or the engines disagree. */
export async function verdict(config: string, packet: string, extra: string[] = []): Promise<Verdict> {
  const r = await cli(["explain", config, "--packet", packet, "--json", ...extra]);
  if (r.code !== 0) throw new Error(`explain exited ${r.code}: ${r.err}`);
  const j = JSON.parse(r.out);
  return { verdict: j.verdict, line: j.rule?.line ?? null, label: j.rule?.label ?? null, reason: j.reason };
}

export async function check(config: string, extra: string[] = []): Promise<{ code: number; diagnostics: { line: number; column: number; severity: string; code: string; message: string }[] }> {
  const r = await cli(["check", config, "--json", ...extra]);
  const j = JSON.parse(r.out);
  return { code: r.code, diagnostics: j.diagnostics };
}

/** A rule block in the seed's wording. */
export function block(n: number, f: { action?: string; iface?: string; srcMatch?: string; src?: string; dstMatch?: string; dst?: string; services?: string }): string {
  return [
    `${n}) Rule ${n}`,
    `Action ${f.action ?? "Deny"}`,
    `Interface ${f.iface ?? "LAN"}`,
    `Source Match - ${f.srcMatch ?? "Include"}`,
    `Source Address or Network - ${f.src ?? "Object - ANY"}`,
    `Destination Match - ${f.dstMatch ?? "Include"}`,
    `Destination Address or Network - ${f.dst ?? "Object - ANY"}`,
    `Services - ${f.services ?? "Selected - SMTP"}`,
  ].join("\n") + "\n";
}
