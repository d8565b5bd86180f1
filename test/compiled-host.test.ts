// The host compiled ahead of time runs on Node alone: a copy of what an
// image ships (package.json, bin/, dist/, build/; no node_modules, no
// TypeScript sources) runs every command, and finds its WebAssembly from the
// package root wherever that copy lives.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createSocket } from "node:dgram";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { findPackageRoot, packageRoot } from "../host/package-root.ts";
import { classBenchDir } from "../bench/data-dir.ts";
import { siblingModule } from "../host/sibling-module.ts";

const CB = classBenchDir() + "/";

const root = join(import.meta.dirname, "..");
let dir = "";
let image = "";

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "pc-image-"));
  image = join(dir, "opt", "portcullis");
  mkdirSync(image, { recursive: true });
  for (const part of ["package.json", "bin", "dist", "build", "examples"]) cpSync(join(root, part), join(image, part), { recursive: true });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function portcullis(...args: string[]) {
  return spawnSync(process.execPath, ["bin/portcullis.js", ...args], { cwd: image, encoding: "utf8", timeout: 60_000 });
}

const demo = ["examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json"];

describe("the package root", () => {
  it("is found by name from any folder below it, whatever its depth", () => {
    expect(packageRoot()).toBe(root);
    expect(findPackageRoot(join(root, "dist", "host", "engine"))).toBe(root);
    expect(findPackageRoot(join(root, "host"))).toBe(root);
  });
  it("is an error where no package.json named portcullis is above", () => {
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "something-else" }));
    expect(() => findPackageRoot(dir)).toThrow(/no package\.json named "portcullis"/);
  });
});

describe("a sibling module (a Worker's entry point)", () => {
  it("is the .ts file beside a source, the .js file beside a compiled module", () => {
    expect(siblingModule("file:///p/host/runtime/live.ts", "./reload-worker").href).toBe("file:///p/host/runtime/reload-worker.ts");
    expect(siblingModule("file:///p/dist/host/runtime/live.js", "./reload-worker").href).toBe("file:///p/dist/host/runtime/reload-worker.js");
    expect(siblingModule("file:///p/dist/host/runtime/live.js", "../engine/wasm").href).toBe("file:///p/dist/host/engine/wasm.js");
  });
});

describe("a copy without node_modules or sources (an image)", () => {
  it("declares no runtime dependency: Node alone runs it", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([]);
    expect(Object.keys(pkg.devDependencies)).toEqual(expect.arrayContaining(["tsx", "typescript"]));
  });

  it("runs check, show, explain, disasm and the demo replay", () => {
    expect(portcullis("--help").status).toBe(0);
    const check = portcullis("check", ...demo);
    expect(check.stdout + check.stderr).toMatch(/0 errors, 0 warnings \(portmaster, 14 rules/);
    expect(check.status).toBe(0);
    expect(portcullis("show", ...demo).stdout).toMatch(/^# PortMaster filters, canonical form/);
    const explain = portcullis("explain", ...demo, "--packet", "tcp 192.168.1.10:40000 > 10.0.0.5:80");
    expect(explain.stderr).toBe("");
    expect(explain.stdout).toMatch(/verdict: permit/);
    expect(portcullis("disasm", ...demo).stdout).toMatch(/^program v1: 14 rules/);
    const replay = portcullis("replay", ...demo, "--pcap", "examples/portmaster/office.pcap", "--pass", join(dir, "pass.pcap"));
    expect(replay.stderr).toBe("");
    expect(replay.status).toBe(0);
    expect(replay.stdout).toMatch(/\(default\)\s+inbound/);
  });

  it.skipIf(!existsSync(CB + "acl1_1k"))("runs classify on a ClassBench set, answers equal to the .expected file", () => {
    const r = portcullis("classify", "--classbench", CB + "acl1_1k", CB + "acl1_1k_trace");
    expect(r.stderr).toBe("");
    const answers = r.stdout.trim().split("\n").slice(0, -1);
    expect(answers).toEqual(readFileSync(CB + "acl1_1k_trace.expected", "utf8").trim().split("\n"));
  });

  it("says how to build, in one line and exit 1, when the compiled host is missing", () => {
    const bare = join(dir, "bare");
    mkdirSync(bare);
    for (const part of ["package.json", "bin"]) cpSync(join(image, part), join(bare, part), { recursive: true });
    const r = spawnSync(process.execPath, ["bin/portcullis.js", "--help"], { cwd: bare, encoding: "utf8" });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^portcullis: the compiled host is missing \(.*dist\/host\/cli\/main\.js\); run "npm run build" \(npm ci does it\)\n$/);
  });

  it("starts the live appliance (every dialect's front end imported) and stops on SIGTERM", async () => {
    const ports = await freeUdpPorts(4);
    const child = spawn(process.execPath, ["bin/portcullis.js", "run", ...demo, "--no-socket",
      "--port", `ether0=127.0.0.1:${ports[0]}/127.0.0.1:${ports[1]}`, "--port", `ether1=127.0.0.1:${ports[2]}/127.0.0.1:${ports[3]}`], { cwd: image });
    let err = "";
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start message: ${err}`)), 30_000);
        child.stderr.on("data", (b) => { err += b; if (/running: 14 rules \(portmaster\)/.test(err)) { clearTimeout(timer); resolve(); } });
        child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`exited ${code}: ${err}`)); });
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      await new Promise((r) => setTimeout(r, 500)); // run.ts installs its signal handlers just after the start message
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
    }
  });
});

/** n distinct UDP ports free on 127.0.0.1 just now. */
async function freeUdpPorts(n: number): Promise<number[]> {
  const sockets = await Promise.all(Array.from({ length: n }, () => new Promise<ReturnType<typeof createSocket>>((resolve) => {
    const s = createSocket("udp4");
    s.bind(0, "127.0.0.1", () => resolve(s));
  })));
  const ports = sockets.map((s) => s.address().port);
  await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  return ports;
}
