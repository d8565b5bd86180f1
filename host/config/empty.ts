// Two refusals of the loading path that every dialect shares (issue 12):
// a configuration file that holds no statement at all, and a file that is
// not in the forced dialect at all. Both would otherwise load as "no rules",
// which for some dialects (PortMaster: no filter attached) opens everything.
import type { Dialect, SourceFile } from "../dialects/dialect.ts";
import type { Diagnostic } from "../model/diagnostic.ts";

// Lines that state nothing in any dialect: comments (`#`, `;`, `//`) and the
// regedit headers. A file of only these (or of nothing) is empty.
const NOT_A_STATEMENT = /^(#|;|\/\/|REGEDIT4$|Windows Registry Editor Version [0-9.]+$)/i;

/** Does the text hold no statement: only blanks, comments and regedit headers? */
export function holdsNoStatement(text: string): boolean {
  // Line by line with a sticky regex, without splitting the whole text: a
  // 10 MB file of statements is answered at its first one.
  const line = /([^\r\n]*)(\r\n|\r|\n|$)/y;
  const t = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  line.lastIndex = 0;
  while (line.lastIndex < t.length) {
    const m = line.exec(t)!;
    const body = m[1].trim();
    if (body !== "" && !NOT_A_STATEMENT.test(body)) return false;
  }
  return true;
}

function fileError(path: string, code: string, message: string): Diagnostic {
  return { file: path, line: 1, column: 1, severity: "error", code, message };
}

/** CFG005 for every file that holds no statement, unless --allow-empty. */
export function emptyFileErrors(files: SourceFile[], allowEmpty: boolean): Diagnostic[] {
  if (allowEmpty) return [];
  return files.filter((f) => holdsNoStatement(f.text)).map((f) => fileError(f.path, "CFG005",
    "the file holds no statement (it is empty, or only blanks and comments): the firewall would run without its rules; " +
    "give --allow-empty if that is meant"));
}

/** CFG006 for every file, under --dialect, in which that dialect recognises nothing at all. */
export function notDialectErrors(files: SourceFile[], dialect: Pick<Dialect, "name" | "detect">): Diagnostic[] {
  return files.filter((f) => !holdsNoStatement(f.text) && dialect.detect(f.text) === 0).map((f) => fileError(f.path, "CFG006",
    `this file is not ${dialect.name} at all: nothing in it looks like that dialect (check the file, or the --dialect)`));
}
