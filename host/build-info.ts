// The firmware's version and commit, for `status`, the console and portcullis_build_info.
// The version is package.json's; the commit comes from PORTCULLIS_COMMIT (set
// by an image build), else from the git checkout the code runs from, else
// "unknown". Read once, from files only (no child process).
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./package-root.ts";

export interface BuildInfo {
  version: string;
  commit: string;
}

let cached: BuildInfo | null = null;

export function buildInfo(): BuildInfo {
  if (cached) return cached;
  const root = packageRoot();
  let version = "unknown";
  try { version = String(JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version); } catch { /* keep unknown */ }
  cached = { version, commit: process.env.PORTCULLIS_COMMIT || gitCommit(root) || "unknown" };
  return cached;
}

function gitCommit(root: string): string | null {
  try {
    let gitDir = join(root, ".git");
    // A worktree's .git is a file pointing at its real git directory.
    if (!existsSync(join(gitDir, "HEAD"))) gitDir = readFileSync(gitDir, "utf8").replace(/^gitdir:\s*/, "").trim();
    const head = readFileSync(join(gitDir, "HEAD"), "utf8").trim();
    if (!head.startsWith("ref: ")) return head.slice(0, 12);
    const ref = head.slice(5);
    const common = existsSync(join(gitDir, "commondir")) ? join(gitDir, readFileSync(join(gitDir, "commondir"), "utf8").trim()) : gitDir;
    for (const d of [gitDir, common]) {
      const p = join(d, ref);
      if (existsSync(p)) return readFileSync(p, "utf8").trim().slice(0, 12);
    }
    const packed = readFileSync(join(common, "packed-refs"), "utf8").split("\n").find((l) => l.endsWith(` ${ref}`));
    return packed ? packed.slice(0, 12) : null;
  } catch {
    return null;
  }
}
