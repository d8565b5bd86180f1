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

/** Collects diagnostics for one file. */
export class DiagnosticSink {
  readonly list: Diagnostic[] = [];
  constructor(readonly file: string) {}
  error(line: number, column: number, code: string, message: string): void {
    this.list.push({ file: this.file, line, column, severity: "error", code, message });
  }
  warning(line: number, column: number, code: string, message: string): void {
    this.list.push({ file: this.file, line, column, severity: "warning", code, message });
  }
}
