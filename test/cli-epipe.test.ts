// A reader that goes away (`portcullis show big.cfg | head -1`): the command
// ends quietly with status 0, like cat and nft, with no `Error: write EPIPE`
// and no unhandled 'error' event (issue 12 item 12). The fix is in the CLI's
// IO (host/cli/io.ts), so every command has it; show and disasm are tried.
import { describe, it, expect, afterAll } from "vitest";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "pc-epipe-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const big = join(dir, "big.cfg");
writeFileSync(big, "add filter inbound\n" + Array.from({ length: 3000 }, (_, i) => `set filter inbound ${i + 1} permit 0.0.0.0/0 192.168.1.0/24 tcp dst eq ${i + 1}\n`).join(""));

/** Run the CLI, read its first chunk of output, then close the pipe as `head -1` does. */
function firstLineOnly(args: string[]): Promise<{ code: number | null; signal: string | null; first: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(import.meta.dirname, "../bin/portcullis.js"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let first = "", stderr = "";
    child.stdout.once("data", (d) => {
      first = String(d).split("\n")[0];
      child.stdout.destroy();
    });
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 20000);
    child.on("exit", (code, signal) => { clearTimeout(timer); resolve({ code, signal, first, stderr }); });
  });
}

describe("a closed stdout", () => {
  it.each([["show"], ["disasm"]])("`portcullis %s big.cfg | head -1` ends with status 0 and no error", async (cmd) => {
    const r = await firstLineOnly([cmd, big]);
    expect(r.first).not.toBe("");
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.ts:\d+/);
    expect(r.signal).toBe(null);
    expect(r.code).toBe(0);
  }, 30000);
});
