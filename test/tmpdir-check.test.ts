// The globalSetup check of issue 12 item 21 (test/setup/tmpdir.ts): a run
// gets its own TMPDIR, and leaving anything in it fails the run.
import { describe, it, expect } from "vitest";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import setup from "./setup/tmpdir.ts";

describe("the temporary-directory check", () => {
  it("this run's TMPDIR is the check's own directory", () => {
    expect(tmpdir()).toMatch(/portcullis-vitest-[^/]+$/);
  });

  it("a clean run passes; a leftover fails it, and the directory is removed either way", () => {
    const outer = mkdtempSync(join(tmpdir(), "tmpdir-check-"));
    const saved = process.env.TMPDIR;
    const savedExit = process.exitCode;
    try {
      process.env.TMPDIR = outer;
      const clean = setup();
      const dir1 = tmpdir();
      expect(dir1.startsWith(outer)).toBe(true);
      expect(() => clean()).not.toThrow();
      expect(existsSync(dir1)).toBe(false);

      const dirty = setup();
      const dir2 = tmpdir();
      writeFileSync(join(dir2, "forgotten.pcap"), "x");
      expect(() => dirty()).toThrow(/left 1 entry in their temporary directory: forgotten\.pcap/);
      expect(process.exitCode).toBe(1);
      expect(existsSync(dir2)).toBe(false);
      expect(process.env.TMPDIR).toBe(outer);
    } finally {
      process.exitCode = savedExit;
      process.env.TMPDIR = saved;
      rmSync(outer, { recursive: true, force: true });
    }
  });
});
