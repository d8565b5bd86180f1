// `portcullis push CONFIG... [--appliance FILE] [--to SOCKET]`: send a
// configuration to a running appliance (the VM's control channel, or a host
// appliance started with `run --flash DIR`). The appliance checks it as
// `status --reload` would, applies it, and only then writes it to its flash
// (runtime/push.ts). Errors come back as FILE:LINE:COL diagnostics naming the
// files as given here; exit 1, and the appliance runs and keeps what it had.
import { readFileSync, statSync } from "node:fs";
import { basename } from "node:path";
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { defaultSocketPath } from "../runtime/control.ts";
import { ControlClient } from "../runtime/control-client.ts";
import { MAX_PUSH_BYTES, PUSH_CHUNK_BYTES, type PushFile } from "../runtime/push.ts";
import { APPLIANCE_SUFFIX } from "../runtime/flash.ts";

/** Checking and applying a large configuration under emulation takes a while. */
const COMMIT_TIMEOUT_MS = 300_000;
const NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,99}$/;

export async function pushCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, { to: { type: "string" } });
  if (positionals.length === 0) throw new UsageError("no configuration files given");
  for (const k of ["dialect", "profile", "set", "strict", "allow-empty", "json"]) {
    if (values[k] !== undefined && values[k] !== false) throw new UsageError(`--${k}: the appliance loads a pushed configuration with its own settings`);
  }
  const files: (PushFile & { path: string })[] = positionals.map((path) => {
    const name = basename(path);
    if (!NAME.test(name)) throw new UsageError(`${path}: the flash keeps files by name, and "${name}" is not one it takes (letters, digits, . _ + -, not starting with .)`);
    if (name.endsWith(APPLIANCE_SUFFIX)) throw new UsageError(`${path}: an appliance description goes with --appliance`);
    return { path, name, shown: path, bytes: 0, appliance: false };
  });
  if (values.appliance !== undefined) {
    const b = basename(values.appliance);
    files.push({ path: values.appliance, name: b.endsWith(APPLIANCE_SUFFIX) && NAME.test(b) ? b : `site${APPLIANCE_SUFFIX}`, shown: values.appliance, bytes: 0, appliance: true });
  }
  const seen = new Set<string>();
  for (const f of files) {
    if (seen.has(f.name)) throw new UsageError(`two files named ${f.name}: the flash keeps files by name`);
    seen.add(f.name);
  }
  let total = 0;
  for (const f of files) {
    try {
      f.bytes = statSync(f.path).size;
    } catch (e) {
      io.err(`${f.path}:1:1: error[CFG001]: cannot read file: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
    total += f.bytes;
  }
  if (total > MAX_PUSH_BYTES) {
    io.err(`portcullis push: error[CFG007]: the configuration is ${(total / 2 ** 20).toFixed(1)} MiB in all, larger than ${MAX_PUSH_BYTES / 2 ** 20} MiB; not a configuration an appliance loads; nothing sent\n`);
    return 1;
  }

  const to = values.to ?? defaultSocketPath();
  let client: ControlClient | null = null;
  try {
    client = await ControlClient.connect(to);
    const begin = await client.ask({ cmd: "push", op: "begin", files: files.map(({ name, shown, bytes, appliance }) => ({ name, shown, bytes, appliance })) });
    if (!begin.ok) return refused(io, String(begin.error));
    const id = begin.id;
    const chunk = Math.min(PUSH_CHUNK_BYTES, Number(begin.chunk) || PUSH_CHUNK_BYTES);
    for (let k = 0; k < files.length; k++) {
      const data = readFileSync(files[k].path);
      if (data.length !== files[k].bytes) return refused(io, `${files[k].path} changed while it was being sent; push again`);
      for (let at = 0; at < data.length; at += chunk) {
        const a = await client.ask({ cmd: "push", op: "data", id, file: k, data: data.subarray(at, at + chunk).toString("base64") });
        if (!a.ok) return refused(io, String(a.error));
      }
    }
    const done = await client.ask({ cmd: "push", op: "commit", id }, COMMIT_TIMEOUT_MS);
    if (!done.ok) return refused(io, String(done.error));
    for (const d of (done.diagnostics ?? []) as string[]) io.err(`${d}\n`);
    if (!done.applied) {
      io.err(`portcullis push: ${done.message}\n`);
      return 1;
    }
    io.out(`${done.message}\n`);
    return 0;
  } catch (e) {
    return refused(io, (e as Error).message);
  } finally {
    client?.close();
  }
}

function refused(io: IO, message: string): number {
  io.err(`portcullis push: ${message}\n`);
  return 1;
}
