// What a reload compares: a hash of the config files' bytes (a missing file
// hashes as missing). Read asynchronously, so a large file does not stall
// forwarding while it is read.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";

export async function fingerprintFiles(paths: string[]): Promise<string> {
  const h = createHash("sha256");
  for (const f of paths) {
    try {
      h.update(await readFile(f));
    } catch {
      h.update(`missing ${f}`);
    }
    h.update("\0");
  }
  return h.digest("hex");
}
