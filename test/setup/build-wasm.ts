// vitest globalSetup: compile the AssemblyScript when build/*.wasm is missing
// or older than any file in assembly/, so `npx vitest` never tests stale code.
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

function newest(dir: string): number {
  let t = 0;
  for (const f of readdirSync(dir)) {
    const p = join(dir, f);
    const s = statSync(p);
    t = Math.max(t, s.isDirectory() ? newest(p) : s.mtimeMs);
  }
  return t;
}

export default async function setup(): Promise<void> {
  const src = newest("assembly");
  for (const target of ["release", "debug"]) {
    const out = `build/${target}.wasm`;
    if (existsSync(out) && statSync(out).mtimeMs >= src) continue;
    const asc = (await import("assemblyscript/asc")).default;
    const { error, stderr } = await asc.main(["assembly/index.ts", "--target", target]);
    if (error) throw new Error(`AssemblyScript build (${target}) failed:\n${stderr.toString()}`);
  }
}
