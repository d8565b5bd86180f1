// `portcullis status [--socket PATH] [--json]`: ask a running appliance over
// its control socket; print its rules with provenance and counters, the
// connection table's figures and the ports' packet counts. The rules come a
// page at a time and are printed as they come, so no list is ever one string
// of unbounded size, in the appliance or here.
import type { IO } from "./io.ts";
import { parse } from "./args.ts";
import { defaultSocketPath, request } from "../runtime/control.ts";

type Status = Record<string, any>;

/** Rules asked for per request (the appliance caps it too). */
const PAGE = 500;
/** A reload's check runs in a worker and may take long for a large file. */
const RELOAD_TIMEOUT_MS = 180_000;

export function formatHead(s: Status): string {
  const last = s.lastReload ? `; last reload ${new Date(s.lastReload.atMs).toISOString()} ${s.lastReload.ok ? "ok" : `REFUSED: ${s.lastReload.message}`}` : "";
  let head = `portcullis: running, pid ${s.pid}, up ${s.uptimeS} s; ${s.dialect} rules from ${s.configs.join(", ")}, generation ${s.generation}${last}\n`;
  const f = s.firmware;
  if (f) {
    const up = typeof f.systemUptimeS === "number" ? `, system up ${f.systemUptimeS} s` : "";
    head += `firmware: portcullis ${f.version}${f.commit ? ` (${f.commit})` : ""}, kernel ${f.kernel}${f.accelerator ? `, accelerator ${f.accelerator}` : ""}${up}${f.origin ? `, configuration from ${f.origin}` : ""}\n`;
  }
  const fc = s.failedClosed;
  if (fc) {
    head += `FAILING CLOSED since ${new Date(fc.sinceMs).toISOString()}: the configuration has ${fc.errors} error${fc.errors === 1 ? "" : "s"}; every IP packet is dropped until a reload brings a configuration that checks\n`;
    for (const d of fc.diagnostics) head += `  ${d}\n`;
  }
  return head + "rules:\n";
}

export function formatRules(rules: Status[]): string {
  let out = "";
  for (const r of rules) {
    out += `  ${`${r.file}:${r.line}`.padEnd(28)} ${(r.label ?? `${r.ruleset} #${r.index}`).padEnd(30)} ${r.action.padEnd(6)} packets=${r.packets} bytes=${r.bytes}\n`;
    out += `      ${r.text.trim().split("\n")[0]}\n`;
  }
  return out;
}

export function formatTail(s: Status): string {
  const lines: string[] = [];
  for (const d of s.defaults) lines.push(`  ${"(default)".padEnd(28)} ${d.ruleset.padEnd(30)} ${"".padEnd(6)} packets=${d.packets} bytes=${d.bytes}`);
  const c = s.connections;
  lines.push(c ? `connections: ${Object.entries(c).map(([k, v]) => `${k}=${v}`).join(" ")}` : "connections: not tracked by this engine");
  lines.push("ports:");
  for (const p of s.ports) {
    lines.push(`  ${p.name.padEnd(8)} ${p.listen} <-> ${p.peer}  rx=${p.rxPackets} (${p.rxBytes} bytes) tx=${p.txPackets} (${p.txBytes} bytes)${p.txErrors ? ` tx_errors=${p.txErrors}` : ""}${p.rxForeign ? ` foreign=${p.rxForeign}` : ""}`);
  }
  const b = s.bridge;
  lines.push(`bridge: frames=${b.rxFrames} permitted=${b.permitted} denied=${b.denied} arp/nd=${b.l2Passed} flooded=${b.flooded} same-port=${b.filteredLocal} other-ethertype=${b.droppedOther} runts=${b.droppedRunt} macs=${b.macs} mac-evictions=${b.macEvictions ?? 0}`);
  const f = s.faults;
  if (f && (f.batchesDropped || f.engineRestarts)) lines.push(`faults: batches-dropped=${f.batchesDropped} frames-dropped=${f.framesDropped} engine-restarts=${f.engineRestarts}`);
  lines.push(`unreachables: sent=${s.unreachables.sent} suppressed=${s.unreachables.suppressed}`);
  if (s.syslog) lines.push(`syslog: sent=${s.syslog.sent} suppressed=${s.syslog.suppressed} errors=${s.syslog.errors}`);
  const mb = (n: number) => (n / 1048576).toFixed(1);
  lines.push(`memory: rss=${mb(s.memory.rss)} MB heap=${mb(s.memory.heapUsed)} MB wasm=${mb(s.memory.wasm)} MB`);
  return lines.join("\n") + "\n";
}

/** One complete answer (all its rules in `rules`) as text. */
export function formatStatus(s: Status): string {
  return formatHead(s) + formatRules(s.rules) + formatTail(s);
}

export async function statusCommand(argv: string[], io: IO): Promise<number> {
  const { values } = parse(argv, { socket: { type: "string" }, reload: { type: "boolean", default: false } });
  const path = values.socket ?? defaultSocketPath();
  const fail = (message: string) => {
    io.err(`portcullis status: ${message}\n`);
    return 1;
  };
  try {
    if (values.reload) {
      const answer = await request(path, { cmd: "reload" }, RELOAD_TIMEOUT_MS);
      if (!answer.ok) return fail(String(answer.error));
      io.out(`${answer.message}\n`);
      return 0;
    }
    let offset = 0;
    let first: Status | null = null;
    for (;;) {
      const page = await request(path, { cmd: "status", offset, limit: PAGE });
      if (!page.ok) return fail(String(page.error));
      if (!Array.isArray(page.rules) || typeof page.generation !== "number") return fail("unexpected answer (is this an appliance's control socket?)");
      if (first && page.generation !== first.generation) return fail(`the appliance reloaded (generation ${first.generation} -> ${page.generation}) while its rules were listed; run status again`);
      const { rules, nextOffset, rulesOffset: _o, ok: _ok, ...rest } = page;
      if (values.json) {
        if (!first) io.out('{"ok":true,"rules":[');
        if (rules.length) io.out((first && offset > 0 ? "," : "") + rules.map((r: Status) => JSON.stringify(r)).join(","));
      } else {
        if (!first) io.out(formatHead(page));
        io.out(formatRules(rules));
      }
      first ??= page;
      if (typeof nextOffset !== "number" || nextOffset <= offset) {
        io.out(values.json ? `],${JSON.stringify(rest).slice(1)}\n` : formatTail(page));
        return 0;
      }
      offset = nextOffset;
    }
  } catch (e) {
    return fail((e as Error).message);
  }
}
