// Commands load lazily: the compiled `portcullis` (bin/portcullis.js, which
// runs dist/) is run with a loader hook that lists every module the process
// loads, and each command must load only what it needs: `--help` no command
// at all, `explain` and `check` only their configuration's own dialect, and
// never the pcap reader/writer, the live runtime or the syslog sender.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const root = join(import.meta.dirname, "..");
const rootUrl = pathToFileURL(root).href + "/";
const demo = ["examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json"];
const FRONT_ENDS = ["portmaster", "wince", "winfw", "instagate"];

let dir = "";
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), "pc-lazy-")); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the compiled command; returns its exit code and the package files it loaded, relative to the root. */
function loadedBy(...args: string[]): { status: number | null; stderr: string; modules: string[] } {
  const trace = join(dir, `trace-${Math.random().toString(36).slice(2)}`);
  const r = spawnSync(process.execPath, ["--import", "./test/support/trace-imports.mjs", "bin/portcullis.js", ...args], {
    cwd: root, encoding: "utf8", env: { ...process.env, PORTCULLIS_IMPORT_TRACE: trace },
  });
  const urls = readFileSync(trace, "utf8").split("\n").filter(Boolean);
  const modules = urls.filter((u) => u.startsWith(rootUrl)).map((u) => u.slice(rootUrl.length));
  return { status: r.status, stderr: r.stderr, modules };
}

/** The dialect front ends (anything of a dialect's folder but its detector) among the modules. */
const frontEnds = (modules: string[]) =>
  FRONT_ENDS.filter((d) => modules.some((m) => m.startsWith(`dist/host/dialects/${d}/`) && !m.endsWith("/detect.js")));

describe("the compiled command loads lazily", () => {
  it("runs the compiled JavaScript in dist/, not the TypeScript sources", () => {
    const { status, modules } = loadedBy("--help");
    expect(status).toBe(0);
    expect(modules).toContain("dist/host/cli/main.js");
    expect(modules.filter((m) => m.endsWith(".ts"))).toEqual([]);
  });

  // The output sanitizer (host/log/sanitize.ts, with the excerpt it re-exports) goes
  // wherever output goes: every command's IO cleans what it prints.
  it("--help loads the command line's own three modules and the output sanitizer, nothing else", () => {
    const { modules } = loadedBy("--help");
    expect(modules.filter((m) => m.startsWith("dist/")).sort()).toEqual(["dist/host/cli/args.js", "dist/host/cli/io.js", "dist/host/cli/main.js", "dist/host/log/sanitize.js", "dist/host/model/excerpt.js"]);
  });

  it("explain on a PortMaster config loads the PortMaster front end only, and no capture, runtime or logging code", () => {
    const { status, stderr, modules } = loadedBy("explain", ...demo, "--packet", "tcp 192.168.1.10:40000 > 10.0.0.5:80");
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(frontEnds(modules)).toEqual(["portmaster"]);
    for (const heavy of ["dist/host/pcap/", "dist/host/runtime/", "dist/host/log/", "dist/host/cli/replay.js", "dist/host/classbench/"]) {
      expect(modules.filter((m) => m.startsWith(heavy) && m !== "dist/host/log/sanitize.js")).toEqual([]);
    }
    expect(modules).toContain("build/release.js"); // it did run the WebAssembly matcher
  });

  it("check on an InstaGate table loads the InstaGate front end only", () => {
    const { status, modules } = loadedBy("check", "examples/instagate/ftp-only.txt");
    expect(status).toBe(0);
    expect(frontEnds(modules)).toEqual(["instagate"]);
  });

  it("a forced --dialect loads that front end only, even for text another dialect would claim", () => {
    // Detection would pick PortMaster (its `set filter` line scores higher); forced, it is Windows Firewall.
    const mixed = join(dir, "mixed.txt");
    writeFileSync(mixed, "set filter f 10 permit\n80:TCP:*:enabled:web\n");
    const { modules } = loadedBy("check", "--dialect", "winfw", mixed);
    expect(frontEnds(modules)).toEqual(["winfw"]);
  });
});
