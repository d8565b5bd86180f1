// `portcullis export --to nft CONFIG... [--map NAME=IFNAME ...] [--lossy] [-o FILE]`
import { writeFileSync } from "node:fs";
import type { IO } from "./io.ts";
import { parse, UsageError } from "./args.ts";
import { loadAllLazily, printDiagnostics } from "./common.ts";
import { exportNft } from "../export/nft/index.ts";
import { isInterfaceName } from "../export/nft/syntax.ts";
import { formatDiagnostic, hasErrors, sortDiagnostics } from "../model/diagnostic.ts";

/** --map NAME=IFNAME: the appliance's interface NAME is IFNAME on the router. */
export function parseMap(list: string[] | undefined, names: string[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const kv of list ?? []) {
    const eq = kv.indexOf("=");
    if (eq <= 0) throw new UsageError(`--map wants NAME=IFNAME, got "${kv}"`);
    const name = kv.slice(0, eq), ifname = kv.slice(eq + 1);
    if (!names.includes(name)) throw new UsageError(`--map: no interface "${name}" (have ${names.join(", ")})`);
    if (!isInterfaceName(ifname)) throw new UsageError(`--map: "${ifname}" is not an interface name (1 to 15 letters, digits, _ . : @ -)`);
    map.set(name, ifname);
  }
  const seen = new Map<string, string>();
  for (const n of names) {
    const to = map.get(n) ?? n;
    if (seen.has(to)) throw new UsageError(`--map: interfaces "${seen.get(to)}" and "${n}" would both be "${to}"`);
    seen.set(to, n);
  }
  return map;
}

export async function exportCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {
    to: { type: "string" },
    map: { type: "string", multiple: true },
    lossy: { type: "boolean", default: false },
    output: { type: "string", short: "o" },
    "no-ftp-helper": { type: "boolean", default: false },
  });
  if (values.to !== "nft") throw new UsageError(values.to ? `--to ${values.to}: only nft is supported` : "--to nft is required");
  const l = await loadAllLazily(positionals, values);
  printDiagnostics(io, l.diagnostics);
  if (!l.ok || !l.config.policy) return 1;
  const policy = l.config.policy;
  const map = parseMap(values.map, policy.interfaces);
  const r = exportNft(policy, l.appliance, {
    lossy: values.lossy, map, ftpHelper: !values["no-ftp-helper"],
    command: ["portcullis", "export", ...argv].join(" "),
  });
  for (const d of sortDiagnostics(r.diagnostics)) io.err(formatDiagnostic(d) + "\n");
  if (r.text === null || hasErrors(r.diagnostics)) return 1;
  if (values.output) {
    try {
      writeFileSync(values.output, r.text);
    } catch (e) {
      io.err(`portcullis export: cannot write ${values.output}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
      return 1;
    }
  } else io.out(r.text);
  return 0;
}
