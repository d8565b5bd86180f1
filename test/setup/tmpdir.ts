// vitest globalSetup: every test run gets a fresh temporary directory
// (TMPDIR, which os.tmpdir() and the child processes tests start read), and
// the run fails if anything is left in it at the end -- a test must remove
// what it made, also when it fails (issue 12 item 21). The directory itself
// is removed either way, so the caller's TMPDIR stays clean.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export default function setup(): () => void {
  const outer = tmpdir();
  const dir = mkdtempSync(join(outer, "portcullis-vitest-"));
  const previous = process.env.TMPDIR;
  process.env.TMPDIR = dir; // inherited by the test workers (forks), started after this
  return () => {
    // tsx-UID is the cache tsx's loader keeps in TMPDIR for the child
    // processes that run bin/portcullis.js: a tool's cache, not a test's leftover.
    const left = readdirSync(dir).filter((f) => !/^tsx-\d+$/.test(f));
    rmSync(dir, { recursive: true, force: true });
    if (previous === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = previous;
    if (left.length) {
      // vitest 4 reports an error thrown here ("error during close") but still
      // exits 0: set the exit code as well.
      process.exitCode = 1;
      throw new Error(`tests left ${left.length} entr${left.length === 1 ? "y" : "ies"} in their temporary directory: ${left.slice(0, 20).join(", ")}${left.length > 20 ? ", ..." : ""}`);
    }
  };
}
