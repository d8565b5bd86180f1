// `portcullis status [--socket PATH] [--json]`: ask a running appliance over
// its control socket; print its rules with provenance and counters, the
// connection table's figures and the ports' packet counts.
import type { IO } from "../cli/io.ts";
import { parse } from "../cli/args.ts";
import { defaultSocketPath, request } from "./control.ts";

type Status = Record<string, any>;

export function formatStatus(s: Status): string {
  const lines: string[] = [];
  const last = s.lastReload ? `; last reload ${new Date(s.lastReload.atMs).toISOString()} ${s.lastReload.ok ? "ok" : `REFUSED: ${s.lastReload.message}`}` : "";
  lines.push(`portcullis: running, pid ${s.pid}, up ${s.uptimeS} s; ${s.dialect} rules from ${s.configs.join(", ")}, generation ${s.generation}${last}`);
  lines.push("rules:");
  for (const r of s.rules) {
    lines.push(`  ${`${r.file}:${r.line}`.padEnd(28)} ${(r.label ?? `${r.ruleset} #${r.index}`).padEnd(30)} ${r.action.padEnd(6)} packets=${r.packets} bytes=${r.bytes}`);
    lines.push(`      ${r.text.trim().split("\n")[0]}`);
  }
  for (const d of s.defaults) lines.push(`  ${"(default)".padEnd(28)} ${d.ruleset.padEnd(30)} ${"".padEnd(6)} packets=${d.packets} bytes=${d.bytes}`);
  const c = s.connections;
  lines.push(c ? `connections: ${Object.entries(c).map(([k, v]) => `${k}=${v}`).join(" ")}` : "connections: not tracked by this engine");
  lines.push("ports:");
  for (const p of s.ports) {
    lines.push(`  ${p.name.padEnd(8)} ${p.listen} <-> ${p.peer}  rx=${p.rxPackets} (${p.rxBytes} bytes) tx=${p.txPackets} (${p.txBytes} bytes)${p.txErrors ? ` tx_errors=${p.txErrors}` : ""}${p.rxForeign ? ` foreign=${p.rxForeign}` : ""}`);
  }
  const b = s.bridge;
  lines.push(`bridge: frames=${b.rxFrames} permitted=${b.permitted} denied=${b.denied} arp/nd=${b.l2Passed} flooded=${b.flooded} same-port=${b.filteredLocal} other-ethertype=${b.droppedOther} runts=${b.droppedRunt} macs=${b.macs} mac-evictions=${b.macEvictions ?? 0}`);
  lines.push(`unreachables: sent=${s.unreachables.sent} suppressed=${s.unreachables.suppressed}`);
  if (s.syslog) lines.push(`syslog: sent=${s.syslog.sent} suppressed=${s.syslog.suppressed} errors=${s.syslog.errors}`);
  const mb = (n: number) => (n / 1048576).toFixed(1);
  lines.push(`memory: rss=${mb(s.memory.rss)} MB heap=${mb(s.memory.heapUsed)} MB wasm=${mb(s.memory.wasm)} MB`);
  return lines.join("\n") + "\n";
}

export async function statusCommand(argv: string[], io: IO): Promise<number> {
  const { values } = parse(argv, { socket: { type: "string" }, reload: { type: "boolean", default: false } });
  const path = values.socket ?? defaultSocketPath();
  let answer: Record<string, any>;
  try {
    answer = await request(path, { cmd: values.reload ? "reload" : "status" });
  } catch (e) {
    io.err(`portcullis status: ${(e as Error).message}\n`);
    return 1;
  }
  if (!answer.ok) {
    io.err(`portcullis status: ${answer.error}\n`);
    return 1;
  }
  if (values.reload) io.out(`${answer.message}\n`);
  else io.out(values.json ? JSON.stringify(answer) + "\n" : formatStatus(answer));
  return 0;
}
