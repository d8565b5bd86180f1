// `portcullis diff`'s exit statuses beyond the goldens: 2 for usage and for
// configuration errors (nothing compared), and --old/--new adding files.
import { describe, it, expect } from "vitest";
import { mkdtempSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tmpdir } from "node:os";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";

async function run(args: string[]) {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

describe("portcullis diff exit statuses", () => {
  it("2 without two configurations", async () => {
    const r = await run(["diff", "test/golden/diff/lab-e.old.pm"]);
    expect(r.code).toBe(2);
    expect(r.err).toContain("expected OLD and NEW");
  });
  it("2 when a side has errors, with its diagnostics", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-diff-"));
    try {
      const bad = join(dir, "bad.pm");
      writeFileSync(bad, "add filter f\nset filter f 10 permit 300.0.0.0/8 0.0.0.0/0\n");
      const r = await run(["diff", "test/golden/diff/lab-e.old.pm", bad]);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/bad\.pm:2:\d+: error\[PM002\]/);
      expect(r.out).toBe("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it("--new adds a file to the new side: the removed rule put back makes them equivalent", async () => {
    const dir = mkdtempSync(join(tmpdir(), "portcullis-diff-"));
    try {
      const more = join(dir, "more.pm");
      writeFileSync(more, "set filter lan.in 20 permit 192.168.0.0/24 0.0.0.0/0 tcp dst eq 5002\n");
      const r = await run(["diff", "test/golden/diff/lab-e.old.pm", "test/golden/diff/lab-e.new.pm", "--new", more, "--verdict-only"]);
      expect(r.out).toContain("equivalent");
      expect(r.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
