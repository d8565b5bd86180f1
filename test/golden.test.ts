// Golden tests: every config fixture under test/golden/<dialect>/ has its
// expected `check` output (NAME.check.out) and, when it loads, its `show`
// output (NAME.show.out) beside it. An optional NAME.appliance.json is passed
// as --appliance, and NAME.args (one argument per line) adds options.
// UPDATE_GOLDEN=1 rewrites the .out files (review the diff before committing).
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, writeFileSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";

const ROOT = "test/golden";
const update = process.env.UPDATE_GOLDEN === "1";

function fixtures(): string[] {
  if (!existsSync(ROOT)) return [];
  const out: string[] = [];
  for (const dir of readdirSync(ROOT)) {
    const d = join(ROOT, dir);
    if (!statSync(d).isDirectory() || dir === "diff") continue; // diff goldens: test/diff-golden.test.ts
    for (const f of readdirSync(d)) {
      if (f.endsWith(".out") || f.endsWith(".appliance.json") || f.endsWith(".args") || f.startsWith(".")) continue;
      out.push(join(d, f));
    }
  }
  return out.sort();
}

function stem(path: string): string {
  return path.replace(/\.[^./]+$/, "");
}

async function run(args: string[]): Promise<{ code: number; text: string }> {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, text: `exit ${code}\n--- stdout\n${io.stdout}--- stderr\n${io.stderr}` };
}

function compare(file: string, actual: string): void {
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) throw new Error(`${file} did not exist; written now: review it and commit it`);
    return;
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("golden check/show outputs", () => {
  const list = fixtures();
  it("has fixtures", () => {
    expect(list.length).toBeGreaterThan(0);
  });
  for (const f of list) {
    it(f, async () => {
      const s = stem(f);
      const extra: string[] = [];
      if (existsSync(s + ".appliance.json")) extra.push("--appliance", s + ".appliance.json");
      if (existsSync(s + ".args")) extra.push(...readFileSync(s + ".args", "utf8").split("\n").filter(Boolean));
      const check = await run(["check", f, ...extra]);
      compare(s + ".check.out", check.text);
      const show = await run(["show", f, ...extra]);
      compare(s + ".show.out", show.text);
    });
  }
});
