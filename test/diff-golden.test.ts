// Golden outputs of `portcullis diff`: under test/golden/diff/, NAME.old.EXT
// and NAME.new.EXT are compared (with NAME.appliance.json and NAME.args when
// present); NAME.diff.out holds the text output and NAME.json.out the JSON
// (stats.ms zeroed), each with the exit status. UPDATE_GOLDEN=1 rewrites them.
import { describe, it, expect } from "vitest";
import { readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";

const DIR = "test/golden/diff";
const update = process.env.UPDATE_GOLDEN === "1";

function cases(): { name: string; old: string; new: string }[] {
  const files = readdirSync(DIR);
  return files.filter((f) => /\.old\.[^.]+$/.test(f)).sort().map((f) => {
    const name = f.replace(/\.old\.[^.]+$/, "");
    const nf = files.find((g) => g.startsWith(`${name}.new.`));
    if (!nf) throw new Error(`${DIR}/${f} has no ${name}.new.* beside it`);
    return { name, old: join(DIR, f), new: join(DIR, nf) };
  });
}

async function run(args: string[], json: boolean): Promise<string> {
  const io = bufferIO();
  const code = await main(args, io);
  const out = json ? io.stdout.replace(/"ms":\d+/, '"ms":0') : io.stdout;
  return `exit ${code}\n--- stdout\n${out}--- stderr\n${io.stderr}`;
}

function compare(file: string, actual: string): void {
  if (update || !existsSync(file)) {
    writeFileSync(file, actual);
    if (!update) throw new Error(`${file} did not exist; written now: review it and commit it`);
    return;
  }
  expect(actual).toBe(readFileSync(file, "utf8"));
}

describe("golden diff outputs", () => {
  const list = cases();
  it("has cases", () => expect(list.length).toBeGreaterThanOrEqual(4));
  for (const c of list) {
    it(c.name, async () => {
      const stem = join(DIR, c.name);
      const extra: string[] = [];
      if (existsSync(stem + ".appliance.json")) extra.push("--appliance", stem + ".appliance.json");
      if (existsSync(stem + ".args")) extra.push(...readFileSync(stem + ".args", "utf8").split("\n").filter(Boolean));
      compare(stem + ".diff.out", await run(["diff", c.old, c.new, ...extra], false));
      compare(stem + ".json.out", await run(["diff", c.old, c.new, ...extra, "--json"], true));
    }, 120_000);
  }
});
