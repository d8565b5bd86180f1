// The appliance's flash: where its configuration persists, and what
// `portcullis push` writes after the pushed configuration has been checked
// and applied (push.ts). On the host it is a directory (`run --flash DIR`);
// in the firmware image it is that directory plus a raw disk holding a tar of
// it (`--flash-device /dev/vda`), which the image's init unpacks at boot.
//
// The directory holds the configuration's files: `*.appliance.json` is the
// appliance description, every other file a rule file, loaded in name order;
// names starting with "." are the flash's own (`.pushed`: when the last push
// was written). A new configuration is written beside it (DIR.new), synced,
// and swapped in by two renames; a crash between them is repaired at the
// next start (DIR.new is complete before the first rename).
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { tarArchive } from "./tar.ts";

export const APPLIANCE_SUFFIX = ".appliance.json";
const PUSHED_FILE = ".pushed";

export interface FlashContents {
  configs: string[];
  appliance: string | undefined;
}

export class FlashError extends Error {}

export class Flash {
  constructor(readonly dir: string, readonly device: string | null = null) {}

  /** The directory a new configuration is staged in before it replaces the flash's. */
  get stagingDir(): string {
    return `${this.dir}.new`;
  }

  /** Finish a swap a crash interrupted, and remove what a refused or broken push left. */
  recover(): void {
    const old = `${this.dir}.old`;
    if (!existsSync(this.dir) && existsSync(this.stagingDir)) renameSync(this.stagingDir, this.dir);
    if (!existsSync(this.dir) && existsSync(old)) renameSync(old, this.dir);
    rmSync(this.stagingDir, { recursive: true, force: true });
    rmSync(old, { recursive: true, force: true });
  }

  /** The configuration the flash holds (paths inside `dir`). */
  contents(dir = this.dir): FlashContents {
    const names = readdirSync(dir).filter((n) => !n.startsWith(".")).sort();
    const appliances = names.filter((n) => n.endsWith(APPLIANCE_SUFFIX));
    if (appliances.length > 1) throw new FlashError(`${dir}: more than one ${APPLIANCE_SUFFIX} file (${appliances.join(", ")})`);
    return {
      configs: names.filter((n) => !n.endsWith(APPLIANCE_SUFFIX)).map((n) => join(dir, n)),
      appliance: appliances.length ? join(dir, appliances[0]) : undefined,
    };
  }

  /** Where the running configuration came from, as `status` says it. */
  origin(): string {
    try {
      return `flash, pushed at ${readFileSync(join(this.dir, PUSHED_FILE), "utf8").trim()}`;
    } catch {
      return "flash";
    }
  }

  /**
   * Make the staged configuration the flash's: sync its files, write the
   * disk (when there is one) and sync it, then swap the directories. Throws
   * (the old configuration kept on the disk and in DIR) if any step fails
   * before the swap.
   */
  commitStaged(pushedAtIso: string): void {
    const staged = this.stagingDir;
    writeSynced(join(staged, PUSHED_FILE), Buffer.from(pushedAtIso + "\n"));
    const names = readdirSync(staged).sort();
    for (const n of names) syncPath(join(staged, n));
    syncPath(staged);
    if (this.device) this.writeDevice(names.map((name) => ({ name, data: readFileSync(join(staged, name)) })));
    const old = `${this.dir}.old`;
    rmSync(old, { recursive: true, force: true });
    renameSync(this.dir, old);
    renameSync(staged, this.dir);
    syncPath(dirname(this.dir));
    rmSync(old, { recursive: true, force: true });
  }

  /** The tar of the configuration onto the flash disk, synced; refused before writing if it would not fit. */
  private writeDevice(entries: { name: string; data: Uint8Array }[]): void {
    const tar = tarArchive(entries);
    const size = deviceSize(this.device!);
    if (size !== null && tar.length > size) throw new FlashError(`${this.device}: the configuration (${tar.length} bytes as a tar) does not fit on the flash (${size} bytes)`);
    const fd = openSync(this.device!, "r+");
    try {
      let done = 0;
      while (done < tar.length) done += writeSync(fd, tar, done, tar.length - done, done);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** A block device's size from sysfs, a regular file's from stat; null when neither tells. */
function deviceSize(path: string): number | null {
  const st = statSync(path);
  if (st.isFile()) return st.size;
  try {
    return Number(readFileSync(`/sys/class/block/${basename(path)}/size`, "utf8").trim()) * 512;
  } catch {
    return null;
  }
}

export function writeSynced(path: string, data: Uint8Array): void {
  const fd = openSync(path, "w", 0o600);
  try {
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncPath(path: string): void {
  const fd = openSync(path, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Create the flash directory's staging area afresh (a new push). */
export function freshDir(path: string): void {
  rmSync(path, { recursive: true, force: true });
  mkdirSync(path, { mode: 0o700 });
}
