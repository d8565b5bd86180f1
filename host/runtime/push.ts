// `portcullis push` on the appliance's side: a configuration arrives over the
// control socket, is checked by the reload's worker exactly as `status
// --reload` checks the files on disk, is applied, and only then is written to
// the flash (flash.ts). A configuration with errors is refused with its
// diagnostics, named as the user named the files; neither the running rules
// nor the flash change.
//
// A control request is one line of at most 64 KiB, and a configuration may be
// up to 32 MiB, so a push is a short conversation on one connection:
//   {"cmd":"push","op":"begin","files":[{"name","shown","bytes","appliance"}]} -> {"id"}
//   {"cmd":"push","op":"data","id","file":K,"data":BASE64}                     (repeated)
//   {"cmd":"push","op":"commit","id"[,"confirm":S]}                             -> {"applied","message","diagnostics"}
//   {"cmd":"push","op":"dry-run","id"[,"verdictOnly":true]}                     -> what status --reload --dry-run answers
// With "confirm", the pushed configuration runs on trial (commit-confirm,
// confirm.ts) and is written to the flash only when `portcullis status
// --confirm` keeps it; not confirmed in time, the running rules roll back and
// the flash never held it. A dry run applies nothing and writes nothing.
// The files go straight to the flash's staging directory as they arrive, so
// the appliance holds no more of them in memory than one chunk.
import { appendFileSync, copyFileSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { randomBytes } from "node:crypto";
import { MAX_CONFIG_BYTES } from "../config/load.ts";
import { excerpt } from "../log/sanitize.ts";
import { Flash, freshDir, APPLIANCE_SUFFIX } from "./flash.ts";
import type { LiveAppliance, ReloadResult } from "./live.ts";
import type { CheckAnswer } from "./check-in-worker.ts";
import { CONFIRM_MAX_S, type ConfirmHooks } from "./confirm.ts";
import type { LoadSettings } from "../config/compile.ts";

/** The most a push may carry in all (as one config file may: CFG007). */
export const MAX_PUSH_BYTES = MAX_CONFIG_BYTES;
export const MAX_PUSH_FILES = 64;
/** A push whose client went quiet this long is forgotten (the next one may begin). */
export const PUSH_IDLE_MS = 60_000;
/** Largest decoded chunk of one "data" request (its base64 stays under the request limit). */
export const PUSH_CHUNK_BYTES = 45_000;
/** Diagnostics sent back for one push (all of them: `portcullis check` locally). */
const MAX_DIAGNOSTICS_SHOWN = 50;

const NAME = /^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,99}$/;

export interface PushFile {
  name: string; // the name on the flash
  shown: string; // the name the user gave, for diagnostics
  bytes: number;
  appliance: boolean;
}

interface Session {
  id: string;
  files: (PushFile & { received: number })[];
  lastMs: number;
}

export class PushError extends Error {}

/** Validate a begin request's file list (names fit the flash's layout; sizes within bounds). */
export function checkPushFiles(raw: unknown): PushFile[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new PushError('"files" must be a non-empty list');
  if (raw.length > MAX_PUSH_FILES) throw new PushError(`at most ${MAX_PUSH_FILES} files in one push`);
  const files: PushFile[] = [];
  const names = new Set<string>();
  let total = 0;
  for (const f of raw as Record<string, unknown>[]) {
    const { name, shown, bytes, appliance } = f ?? {};
    if (typeof name !== "string" || !NAME.test(name)) throw new PushError(`bad file name ${excerpt(JSON.stringify(name) ?? "", 120)} (letters, digits, . _ + -, not starting with .)`);
    if (typeof shown !== "string" || shown.length > 1000) throw new PushError(`bad "shown" name for ${name}`);
    if (typeof bytes !== "number" || !Number.isInteger(bytes) || bytes < 0) throw new PushError(`bad size for ${name}`);
    if (typeof appliance !== "boolean" || appliance !== name.endsWith(APPLIANCE_SUFFIX)) throw new PushError(`${name}: the appliance description, and only it, is named *${APPLIANCE_SUFFIX}`);
    if (names.has(name)) throw new PushError(`${name} given twice`);
    names.add(name);
    total += bytes;
    files.push({ name, shown, bytes, appliance });
  }
  if (total > MAX_PUSH_BYTES) throw new PushError(`the configuration is larger than ${MAX_PUSH_BYTES / 2 ** 20} MiB in all; not a configuration this appliance loads`);
  if (files.filter((f) => f.appliance).length > 1) throw new PushError("more than one appliance description");
  if (!files.some((f) => !f.appliance)) throw new PushError("no rule file");
  return files;
}

/** Let `live` take pushes onto `flash` (the "push" control command). */
export function acceptPushes(live: LiveAppliance, flash: Flash): void {
  let session: Session | null = null;
  const current = (req: Record<string, unknown>): Session => {
    if (!session || req.id !== session.id) throw new PushError("no such push (it was never begun, or it timed out, or another push replaced it)");
    session.lastMs = Date.now();
    return session;
  };

  live.extraCommands.set("push", async (req) => {
    switch (req.op) {
      case "begin": {
        if (session && Date.now() - session.lastMs < PUSH_IDLE_MS) throw new PushError("another push is in progress; try again in a minute");
        // A pushed configuration on trial waits in the staging directory for its confirm.
        if (live.commit.isPending) throw new PushError(live.commit.refusal()!);
        const files = checkPushFiles(req.files);
        flash.recover();
        freshDir(flash.stagingDir);
        session = { id: randomBytes(12).toString("hex"), files: files.map((f) => ({ ...f, received: 0 })), lastMs: Date.now() };
        return { id: session.id, chunk: PUSH_CHUNK_BYTES };
      }
      case "data": {
        const s = current(req);
        const f = typeof req.file === "number" ? s.files[req.file] : undefined;
        if (!f) throw new PushError("no such file in this push");
        if (typeof req.data !== "string") throw new PushError('"data" must be base64 text');
        const chunk = Buffer.from(req.data, "base64");
        if (chunk.length > PUSH_CHUNK_BYTES || f.received + chunk.length > f.bytes) {
          session = null;
          throw new PushError(`${f.shown}: more data than announced; push abandoned`);
        }
        appendFileSync(join(flash.stagingDir, f.name), chunk);
        f.received += chunk.length;
        return {};
      }
      case "commit": {
        const s = current(req);
        session = null; // one commit per push, whatever its outcome
        const short = s.files.find((f) => f.received !== f.bytes);
        if (short) throw new PushError(`${short.shown}: ${short.received} of ${short.bytes} bytes arrived; push abandoned`);
        const confirm = req.confirm === undefined ? undefined : Number(req.confirm);
        if (confirm !== undefined && !(Number.isInteger(confirm) && confirm >= 1 && confirm <= CONFIRM_MAX_S)) throw new PushError(`"confirm" wants whole seconds from 1 to ${CONFIRM_MAX_S}`);
        // Refused or not, an answer (not an error): the diagnostics travel as a list, one line each.
        const r = await live.serialized(() => commit(live, flash, s.files, confirm));
        const ds = r.diagnostics ?? [];
        const shown = ds.slice(0, MAX_DIAGNOSTICS_SHOWN).map((d) => excerpt(d, 500));
        if (ds.length > shown.length) shown.push(`(${ds.length - shown.length} more; portcullis check shows them all)`);
        return { applied: r.ok, message: r.message, diagnostics: shown };
      }
      case "dry-run": {
        const s = current(req);
        session = null;
        const short = s.files.find((f) => f.received !== f.bytes);
        if (short) throw new PushError(`${short.shown}: ${short.received} of ${short.bytes} bytes arrived; push abandoned`);
        const { configs, load, shownOf } = stage(live, flash, s.files);
        try {
          const a = await live.dryRuns.run(live, req.verdictOnly === true, { configs, load, shown: configs.map((c) => shownOf.get(c) ?? c) });
          return a;
        } catch (e) {
          // Diagnostics name the staged files: name them as the user did.
          let message = (e as Error).message;
          for (const [path, shown] of shownOf) message = message.split(path).join(shown);
          throw new PushError(message);
        } finally {
          rmSync(flash.stagingDir, { recursive: true, force: true });
        }
      }
      default:
        throw new PushError('"op" is begin, data, commit or dry-run');
    }
  });
}

/** The staged files as a configuration to load: rule files, the appliance description (the running one if none came), the names the user gave. */
function stage(live: LiveAppliance, flash: Flash, files: PushFile[]): { configs: string[]; load: LoadSettings; shownOf: Map<string, string> } {
  const staged = flash.stagingDir;
  for (const f of files) if (f.bytes === 0) appendFileSync(join(staged, f.name), ""); // an empty file exists too
  const shownOf = new Map(files.map((f) => [join(staged, f.name), f.shown]));
  // A push without an appliance description keeps the running one.
  const appliance = files.find((f) => f.appliance);
  let appliancePath = appliance ? join(staged, appliance.name) : undefined;
  const running = live.opts.load.appliance;
  if (!appliance && running) {
    const name = basename(running);
    copyFileSync(running, join(staged, name));
    appliancePath = join(staged, name);
    shownOf.set(appliancePath, running);
  }
  const configs = files.filter((f) => !f.appliance).map((f) => join(staged, f.name));
  return { configs, load: { ...live.opts.load, appliance: appliancePath }, shownOf };
}

/** Check and apply the staged files; only if that worked (and, on trial, once confirmed), make them the flash's. */
async function commit(live: LiveAppliance, flash: Flash, files: PushFile[], confirmSeconds?: number): Promise<ReloadResult> {
  const staged = flash.stagingDir;
  const { configs, load, shownOf } = stage(live, flash, files);
  // Diagnostics name the files as the user gave them.
  const rewrite = (a: CheckAnswer) => {
    for (const d of a.diagnostics) d.file = shownOf.get(d.file) ?? d.file;
  };
  // The running rules name the flash's files, in the checker already, so a
  // rule's identity is the same as a reload of the flash would give it: an
  // unchanged rule keeps its counters.
  const rename = Object.fromEntries(configs.map((c) => [c, join(flash.dir, basename(c))]));
  let r: ReloadResult;
  try {
    const hooks: ConfirmHooks = {
      confirmed: () => {
        const w = writeFlash(live, flash, files);
        if (!w.ok) throw new Error(w.message);
        return `; ${w.message}`;
      },
      rolledBack: () => rmSync(staged, { recursive: true, force: true }),
      whereKept: "the flash never held it",
    };
    r = await live.reloadNow("push", { configs, load, rewrite, rename }, confirmSeconds, confirmSeconds ? hooks : undefined);
  } catch (e) {
    rmSync(staged, { recursive: true, force: true });
    throw e;
  }
  if (!r.ok) {
    rmSync(staged, { recursive: true, force: true });
    return { ...r, message: `push refused: ${r.message}; the running rules and the flash keep the configuration they had` };
  }
  if (confirmSeconds) return { ...r, message: `${r.message}; written to the flash only when confirmed` };
  const w = writeFlash(live, flash, files);
  return w.ok ? { ...r, message: `${r.message}; ${w.message}` } : w;
}

/** Make the staged (and applied) files the flash's, and the running configuration's files. */
function writeFlash(live: LiveAppliance, flash: Flash, files: PushFile[]): ReloadResult {
  const staged = flash.stagingDir;
  const at = new Date().toISOString();
  try {
    flash.commitStaged(at);
  } catch (e) {
    rmSync(staged, { recursive: true, force: true });
    const message = `push applied (generation ${live.generation}) but NOT written to the flash: ${excerpt((e as Error).message, 300)}; the flash keeps the old configuration, which a reload or a restart brings back`;
    live.log(3, message);
    return { ok: false, message };
  }
  const c = flash.contents();
  live.adoptConfigs(c.configs, c.appliance);
  live.configOrigin = flash.origin();
  const size = files.reduce((n, f) => n + f.bytes, 0);
  live.log(5, `push of ${files.map((f) => f.shown).join(", ")} (${size} bytes) written to the flash${flash.device ? ` (${flash.device})` : ""}`);
  return { ok: true, message: `written to the flash at ${at}` };
}

