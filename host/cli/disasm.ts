// `portcullis disasm`: the compiled program, decoded back to text.
import type { IO } from "./io.ts";
import { parse } from "./args.ts";
import { loadAllLazily, printDiagnostics } from "./common.ts";
import { disassemble } from "../engine/disasm.ts";

export async function disasmCommand(argv: string[], io: IO): Promise<number> {
  const { values, positionals } = parse(argv, {});
  const l = await loadAllLazily(positionals, values);
  printDiagnostics(io, l.diagnostics);
  if (!l.ok || !l.program) return 1;
  io.out(disassemble(l.program, l.config.policy!.interfaces));
  return 0;
}
