// `portcullis show`: the rules in the dialect's canonical form, with provenance.
import type { IO } from "./io.ts";
import { parse } from "./args.ts";
import { loadAllLazily, printDiagnostics } from "./common.ts";

export async function showCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, { verbose: { type: "boolean", short: "v", default: false }, pcap: { type: "string" } });
  const l = await loadAllLazily(positionals, values);
  printDiagnostics(io, l.diagnostics);
  if (!l.ok || !l.program) return 1;
  io.out(l.config.dialect!.show(l.config, l.opts));
  if (values.verbose) {
    const { verboseReport, ReportError } = await import("./show-verbose.ts");
    try {
      io.out(await verboseReport(l, values.pcap));
    } catch (e) {
      if (!(e instanceof ReportError)) throw e;
      io.err(`portcullis show: ${e.message}\n`);
      return 1;
    }
  }
  return 0;
}
