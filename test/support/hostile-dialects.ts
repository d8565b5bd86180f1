// Two test dialects for the live appliance's hardening tests, registered in
// the main thread and in the reload worker:
//   `#wide RULES WIDTH`: RULES permit-all rules, each carrying one shared
//     WIDTH-character line as its text (what a Windows Firewall scope of
//     5,000 addresses does: ~10,000 rules each with the whole 55 KB line);
//   `#slow MS` then mini lines: the mini dialect after MS ms of busy parsing
//     (a large file's parse, without the file); it first writes FILE.parsing,
//     so a test knows the parse has begun.
import { writeFileSync } from "node:fs";
import type { Dialect, LoadResult } from "../../host/dialects/dialect.ts";
import { registerDialect } from "../../host/dialects/registry.ts";
import { anyRule, type Policy } from "../../host/model/rule.ts";
import { registerWorkerImport } from "../../host/runtime/check-in-worker.ts";
import { mini, registerMini } from "./mini-dialect.ts";

const wide: Dialect = {
  name: "wide" as Dialect["name"],
  detect: (text) => (text.startsWith("#wide") ? 1 : 0),
  load(files, opts): LoadResult {
    const [, n, width] = /^#wide (\d+) (\d+)/.exec(files[0].text) ?? ["", "1", "10"];
    const line = "scope=" + "10.1.2.3,".repeat(Math.ceil(Number(width) / 9)).slice(0, Number(width) - 6);
    const rules = Array.from({ length: Number(n) }, (_, i) => anyRule("permit", { dialect: "wide", file: files[0].path, line: 2, column: 1 + i, text: line }));
    const names = opts.appliance.interfaces.map((x) => x.name);
    const policy: Policy = {
      dialect: "wide", interfaces: names,
      rulesets: [{ name: "main", rules, defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful: false }],
      input: names.map(() => 0), output: names.map(() => null), unreachables: true,
    };
    return { policy, diagnostics: [], vendor: null };
  },
  show: () => "",
};

const slow: Dialect = {
  name: "slow" as Dialect["name"],
  detect: (text) => (text.startsWith("#slow") ? 1 : 0),
  load(files, opts): LoadResult {
    const ms = Number(/^#slow (\d+)/.exec(files[0].text)?.[1] ?? 1000);
    writeFileSync(`${files[0].path}.parsing`, "");
    const end = Date.now() + ms;
    while (Date.now() < end) { /* a parse that takes long */ }
    return mini.load(files, opts);
  },
  show: () => "",
};

export function registerHostile(): void {
  registerMini();
  registerDialect(wide);
  registerDialect(slow);
  registerWorkerImport(new URL("./register-hostile.ts", import.meta.url).href);
}
