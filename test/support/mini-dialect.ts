// A deliberately tiny rule format for runtime tests, so they depend on no
// real dialect: one rule per line,
//   permit|deny [tcp|udp|icmp] [dport N] [src A.B.C.D/L] [log] [keep] [warn] [# comment]
// in one ruleset "main", bound as the input filter of every interface; the
// ruleset denies what no rule permits. `# comment` lines are skipped; the
// first line must be `#mini` (detection).
import type { Dialect, LoadResult } from "../../host/dialects/dialect.ts";
import { registerDialect } from "../../host/dialects/registry.ts";
import { anyRule, type Policy, type Rule } from "../../host/model/rule.ts";
import { parsePrefix } from "../../host/model/addr.ts";
import type { Diagnostic } from "../../host/model/diagnostic.ts";
import { registerWorkerImport } from "../../host/runtime/check-in-worker.ts";

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

export const mini: Dialect = {
  name: "mini" as Dialect["name"],
  detect: (text) => (text.startsWith("#mini") ? 1 : 0),
  load(files, opts): LoadResult {
    const diagnostics: Diagnostic[] = [];
    const rules: Rule[] = [];
    for (const f of files) {
      f.text.split("\n").forEach((raw, i) => {
        const text = raw.trim();
        if (!text || text.startsWith("#")) return;
        const words = text.split(/\s+/);
        const err = (w: string, message: string) => diagnostics.push({ file: f.path, line: i + 1, column: raw.indexOf(w) + 1, severity: "error", code: "MINI001", message });
        if (words[0] !== "permit" && words[0] !== "deny") { err(words[0], `expected permit or deny, got "${words[0]}"`); return; }
        const r = anyRule(words[0], { dialect: "mini", file: f.path, line: i + 1, column: 1, text });
        for (let k = 1; k < words.length; k++) {
          const w = words[k];
          if (w.startsWith("#")) break; // a trailing comment (kept in the rule's text)
          if (PROTOS[w]) r.proto = PROTOS[w];
          else if (w === "log") r.log = true;
          else if (w === "keep") r.keepState = true;
          else if (w === "warn") diagnostics.push({ file: f.path, line: i + 1, column: raw.indexOf(w) + 1, severity: "warning", code: "MINI002", message: `a warning for "${text}"` });
          else if (w === "dport" && /^\d+$/.test(words[k + 1] ?? "")) r.dport = { op: "eq", port: Number(words[++k]) };
          else if (w === "src" && parsePrefix(words[k + 1] ?? "")) r.src = { prefix: parsePrefix(words[++k])!, negate: false };
          else { err(w, `unknown word "${w}"`); return; }
        }
        rules.push(r);
      });
    }
    const names = opts.appliance.interfaces.map((x) => x.name);
    const policy: Policy = {
      dialect: "mini", interfaces: names,
      rulesets: [{ name: "main", rules, defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful: rules.some((r) => r.keepState) }],
      input: names.map(() => 0), output: names.map(() => null), unreachables: true,
    };
    return { policy, diagnostics, vendor: null };
  },
  show: () => "",
};

/** Register the dialect here and in the live appliance's reload worker. */
export function registerMini(): void {
  registerDialect(mini);
  registerWorkerImport(new URL("./register-mini.ts", import.meta.url).href);
}
