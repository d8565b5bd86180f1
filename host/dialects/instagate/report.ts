// Diagnostics across the files of one table, each reported once: names are
// resolved once per interface, and a bad name must not be reported per interface.
import type { Diagnostic } from "../../model/diagnostic.ts";
import type { Pos } from "./ast.ts";

export class Reporter {
  readonly list: Diagnostic[] = [];
  private seen = new Set<string>();
  private add(severity: Diagnostic["severity"], p: Pos, code: string, message: string): void {
    const key = `${p.file}\0${p.line}\0${p.column}\0${code}\0${message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ file: p.file, line: p.line, column: p.column, severity, code, message });
  }
  error(p: Pos, code: string, message: string): void {
    this.add("error", p, code, message);
  }
  warning(p: Pos, code: string, message: string): void {
    this.add("warning", p, code, message);
  }
}
