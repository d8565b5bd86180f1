// Mini-dialect configuration files for the tests (the dialect is
// mini-dialect.ts; register it with registerMini first).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { loadAll } from "../../host/config/compile.ts";

/** Write `text` as the mini-dialect configuration `name` in `dir`; its path. */
export function writeMini(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, "#mini\n" + text);
  return path;
}

/** writeMini, then load it, which must give no diagnostic: its policy, program and appliance. */
export function loadMini(dir: string, name: string, text: string) {
  const l = loadAll([writeMini(dir, name, text)], {});
  expect(l.diagnostics).toEqual([]);
  return { policy: l.config.policy!, program: l.program!, appliance: l.appliance };
}
