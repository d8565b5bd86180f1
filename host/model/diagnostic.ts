// Diagnostics: every problem a dialect parser or linter finds, with its
// location, a stable code and a plain message.
export type Severity = "error" | "warning";

export interface Diagnostic {
  file: string;
  line: number; // 1-based
  column: number; // 1-based
  severity: Severity;
  code: string; // stable, e.g. "PM001"
  message: string;
}

export function formatDiagnostic(d: Diagnostic): string {
  return `${d.file}:${d.line}:${d.column}: ${d.severity}[${d.code}]: ${d.message}`;
}

export function hasErrors(ds: Diagnostic[]): boolean {
  return ds.some((d) => d.severity === "error");
}

/** Sort by file, then position, so output is stable whatever order checks ran in. */
export function sortDiagnostics(ds: Diagnostic[]): Diagnostic[] {
  return [...ds].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.code.localeCompare(b.code));
}

/** A place in a config file. */
export interface Located {
  file: string;
  line: number;
  column: number;
}

/**
 * The one collector of diagnostics every dialect uses: `error`/`warning` for
 * a line and column of the sink's own file (a parser reading one file),
 * `errorAt`/`warningAt` for a place in any file (checks across the files of
 * one configuration). With `once`, a diagnostic identical in place, code and
 * message to one already collected is dropped (a name resolved once per
 * interface is reported once, not per interface).
 */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  private seen: Set<string> | null;
  constructor(readonly file = "-", opts: { once?: boolean } = {}) {
    this.seen = opts.once ? new Set() : null;
  }
  error(line: number, column: number, code: string, message: string): void {
    this.add({ file: this.file, line, column, severity: "error", code, message });
  }
  warning(line: number, column: number, code: string, message: string): void {
    this.add({ file: this.file, line, column, severity: "warning", code, message });
  }
  errorAt(at: Located, code: string, message: string): void {
    this.add({ file: at.file, line: at.line, column: at.column, severity: "error", code, message });
  }
  warningAt(at: Located, code: string, message: string): void {
    this.add({ file: at.file, line: at.line, column: at.column, severity: "warning", code, message });
  }
  hasErrors(): boolean {
    return hasErrors(this.list);
  }
  private add(d: Diagnostic): void {
    if (this.seen) {
      const key = `${d.file}\0${d.line}\0${d.column}\0${d.code}\0${d.message}`;
      if (this.seen.has(key)) return;
      this.seen.add(key);
    }
    this.list.push(d);
  }
}
