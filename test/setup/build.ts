// vitest globalSetup: build what the tests run, when it is missing or older
// than its sources, so `npx vitest` never tests stale code:
//  - the AssemblyScript (build/*.wasm) from assembly/;
//  - the compiled host (dist/, which bin/portcullis.js runs) from host/ and
//    the layout files it shares with assembly/ (incremental tsc, as `npm run
//    build:host` does).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, utimesSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

function newest(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let t = 0;
  for (const f of readdirSync(path)) t = Math.max(t, newest(join(path, f)));
  return t;
}

const stale = (out: string, sources: number) => !existsSync(out) || statSync(out).mtimeMs < sources;

export default async function setup(): Promise<void> {
  const asm = newest("assembly");
  for (const target of ["release", "debug", "release-nosimd"]) {
    if (!stale(`build/${target}.wasm`, Math.max(asm, newest("asconfig.json")))) continue;
    const asc = (await import("assemblyscript/asc")).default;
    const { error, stderr } = await asc.main(["assembly/index.ts", "--target", target]);
    if (error) throw new Error(`AssemblyScript build (${target}) failed:\n${stderr.toString()}`);
  }
  const host = Math.max(newest("host"), asm, newest("tsconfig.json"), newest("tsconfig.build.json"));
  if (stale("dist/.tsbuildinfo", host)) {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    try {
      execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { stdio: "pipe" });
    } catch (e) {
      const out = (e as { stdout?: Buffer }).stdout?.toString() ?? "";
      throw new Error(`host build (tsc -p tsconfig.build.json) failed:\n${out}`);
    }
    // tsc leaves its build info alone when nothing it emits changed (a touched file).
    const now = new Date();
    utimesSync("dist/.tsbuildinfo", now, now);
  }
}
