// The hostile-input corpus (issue 12): every file under
// test/corpus/hostile/<kind>/ is a bad input, named for what is wrong with
// it. Each must end in a located diagnostic (`FILE:LINE:COL: error[CODE]`)
// or a clean one-line refusal (`portcullis CMD: ...`), exit 1 or 2, with no
// stack trace, within a time bound proportional to its size.
//
//   config-portmaster|wince|winfw|instagate   portcullis check FILE --dialect D
//   appliance    portcullis check examples/portmaster/office.cfg --appliance FILE
//   capture      portcullis replay examples/portmaster/office.cfg --appliance examples/portmaster/office.appliance.json --pcap FILE
//
// The bulk runs in-process (main() with captured output: spawning node per
// file would take minutes); a few files of each kind also run as real
// processes, where a stack trace or an unhandled error would show.
import { describe, it, expect, afterAll } from "vitest";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";

const ROOT = join(import.meta.dirname, "..");
const CORPUS = join(ROOT, "test", "corpus", "hostile");
const OFFICE = join(ROOT, "examples", "portmaster", "office.cfg");
const OFFICE_APPLIANCE = join(ROOT, "examples", "portmaster", "office.appliance.json");

const KINDS: Record<string, (file: string) => string[]> = {
  "config-portmaster": (f) => ["check", f, "--dialect", "portmaster"],
  "config-wince": (f) => ["check", f, "--dialect", "wince"],
  "config-winfw": (f) => ["check", f, "--dialect", "winfw"],
  "config-instagate": (f) => ["check", f, "--dialect", "instagate"],
  appliance: (f) => ["check", OFFICE, "--appliance", f],
  capture: (f) => ["replay", OFFICE, "--appliance", OFFICE_APPLIANCE, "--pcap", f],
};

/** Seconds allowed: a fixed allowance (a loaded CI machine) plus two seconds per megabyte. */
const allowedMs = (bytes: number) => 5000 + 2000 * (bytes / 1e6);

const LOCATED = /:\d+:\d+: error\[[A-Z]+\d+\]/;
const STACK = /^\s+at |^\w*Error: |Error \[ERR_|node:internal|Unhandled|RangeError|TypeError/m;

/** What every hostile input must end in; `where` names the case in failures. */
function judge(where: string, code: number, stdout: string, stderr: string, ms: number, bytes: number): void {
  expect([1, 2], `${where}: exit ${code}\n${stderr.slice(0, 2000)}`).toContain(code);
  expect(stderr + stdout, `${where}: a stack trace`).not.toMatch(STACK);
  const errLines = stderr.split("\n").filter((l) => l.trim() !== "");
  // check prints its diagnostics on stdout (cli.md); the other commands on stderr.
  const located = LOCATED.test(stdout) || LOCATED.test(stderr);
  // A refusal is one line, the last one (replay may have reported packets before it).
  const refusal = errLines.length > 0 && /^portcullis [a-z]+: \S/.test(errLines[errLines.length - 1]);
  expect(located || refusal, `${where}: neither a located diagnostic nor a one-line refusal:\n${(stderr || stdout).slice(0, 2000)}`).toBe(true);
  expect(ms, `${where}: took ${ms.toFixed(0)} ms for ${bytes} bytes`).toBeLessThan(allowedMs(bytes));
}

function filesOf(kind: string): string[] {
  const dir = join(CORPUS, kind);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).filter((f) => !f.startsWith(".") && statSync(join(dir, f)).isFile()).sort();
}

describe("hostile corpus", () => {
  // (Other kinds, such as control messages, have their own runners.)
  it("has files for every kind", () => {
    for (const k of Object.keys(KINDS)) expect(filesOf(k).length, k).toBeGreaterThan(0);
  });

  for (const kind of Object.keys(KINDS)) {
    describe(kind, () => {
      for (const name of filesOf(kind)) {
        it(name, async () => {
          const file = join(CORPUS, kind, name);
          const io = bufferIO();
          const t0 = performance.now();
          let code: number;
          try {
            code = await main(KINDS[kind](file), io);
          } catch (e) {
            // In the real command this is a stack trace.
            throw new Error(`${kind}/${name}: main() threw: ${(e as Error).stack}`);
          }
          judge(`${kind}/${name}`, code, io.stdout, io.stderr, performance.now() - t0, statSync(file).size);
        });
      }
    });
  }

  describe("as real processes (the first two files of each kind)", () => {
    // The TypeScript loader keeps a cache in the temporary directory: give
    // the children one of their own, removed afterwards.
    const childTmp = mkdtempSync(join(tmpdir(), "pc-hostile-"));
    afterAll(() => rmSync(childTmp, { recursive: true, force: true }));
    for (const kind of Object.keys(KINDS)) {
      for (const name of filesOf(kind).slice(0, 2)) {
        it(`${kind}/${name}`, () => {
          const file = join(CORPUS, kind, name);
          const t0 = performance.now();
          const r = spawnSync(process.execPath, [join(ROOT, "bin", "portcullis.js"), ...KINDS[kind](file)], { encoding: "utf8", timeout: 60000, env: { ...process.env, TMPDIR: childTmp } });
          // A node start with the TypeScript loader costs a few seconds on a loaded machine.
          judge(`${kind}/${name}`, r.status ?? -1, r.stdout, r.stderr, Math.max(0, performance.now() - t0 - 10000), statSync(file).size);
        }, 70000);
      }
    }
  });
});
