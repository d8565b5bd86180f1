// The regedit export format (.reg): `[KEY]` headers, `"Name"=` values of
// types string, dword and hex (with `\` line continuations), `; comments`,
// the optional REGEDIT4 / "Windows Registry Editor Version 5.00" header, and
// the deletion forms `[-KEY]` and `"Name"=-`. Decoding (UTF-16 with a BOM) is
// host/config/load.ts's job; this reader sees text. It never throws: every
// problem comes back with its line, column and a stable number (REG), and
// the dialect that uses the reader turns that number into its own code.
// Every dialect that reads .reg files (winfw, wince) uses this one reader.
import { quoted } from "./excerpt.ts";

export type RegValue =
  | { type: "string"; data: string; columns: number[] } // columns[i]: 1-based column of data[i] in the line
  | { type: "dword"; data: number }
  | { type: "hex"; kind: number | null; bytes: number[] } // hex: (kind null) or hex(N):
  | { type: "delete" }
  // A value line whose name was read but whose data was not: regedit would
  // refuse the line. Kept so that a dialect can tell "given, but unreadable"
  // (already reported, as `problem`) from "absent".
  | { type: "invalid"; problem: RegProblem };

export interface RegValueEntry {
  name: string; // "" for the default value `@`
  value: RegValue;
  line: number; // 1-based
  column: number; // where the name starts
  dataColumn: number; // where the data (after `=`) starts
  text: string; // the source text of the value, continuation lines joined
}

export interface RegKey {
  path: string; // as written, without the brackets (and without `-` for a deletion)
  delete: boolean;
  line: number;
  column: number;
  values: RegValueEntry[];
}

/** The stable problem numbers (winfw reports WF100+n; wince maps them to its CE codes). */
export const REG = {
  VALUE_OUTSIDE_KEY: 1,
  BAD_KEY: 2,
  BAD_NAME: 3,
  BAD_STRING: 4,
  BAD_DWORD: 5,
  BAD_HEX: 6,
  UNKNOWN_TYPE: 7,
  TRAILING_TEXT: 8,
  CONTINUATION_AT_END: 9,
  UNKNOWN_LINE: 10,
} as const;

export interface RegProblem {
  line: number;
  column: number;
  /** One of REG: 1 value outside a key, 2 bad key line, 3 bad value name, 4 bad string, 5 bad dword, 6 bad hex, 7 unknown value type, 8 trailing text, 9 continuation at end of file, 10 unknown line */
  id: number;
  message: string;
}

export interface RegFile {
  header: "REGEDIT4" | "Windows Registry Editor Version 5.00" | null;
  keys: RegKey[];
  problems: RegProblem[];
}

const HEADERS = ["REGEDIT4", "Windows Registry Editor Version 5.00"] as const;


/** The registry's limit on a value name; data is bounded too (no firewall value needs more). */
export const MAX_NAME = 16_383;
export const MAX_STRING = 65_536;
export const MAX_HEX_BYTES = 65_536;

/**
 * Parse a quoted regedit string starting at text[i] === '"'. Escapes: \\ and \".
 * Past `max` characters the data is no longer collected (`tooLong`), but the
 * closing quote is still found, so the rest of the line reads as before.
 */
function readQuoted(text: string, i: number, col0: number, max: number): { data: string; columns: number[]; end: number; tooLong: boolean } | null {
  const parts: string[] = [];
  const columns: number[] = [];
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === '"') return { data: parts.join(""), columns, end: j + 1, tooLong: columns.length > max };
    const escaped = c === "\\" && j + 1 < text.length && (text[j + 1] === "\\" || text[j + 1] === '"');
    if (columns.length <= max) {
      parts.push(escaped ? text[j + 1] : c);
      columns.push(col0 + j);
    }
    j += escaped ? 2 : 1;
  }
  return null;
}

/**
 * The `]` that closes a key line: the first one followed only by blanks or a
 * comment (a key name may hold `]` or `;`). Each `]` looks only as far as the
 * next non-blank character, so a line of many `]` costs one pass, not one per `]`.
 */
function keyClose(trimmed: string): number {
  for (let i = trimmed.indexOf("]"); i >= 0; i = trimmed.indexOf("]", i + 1)) {
    let j = i + 1;
    while (j < trimmed.length && (trimmed[j] === " " || trimmed[j] === "\t")) j++;
    if (j >= trimmed.length || trimmed[j] === ";") return i;
  }
  return -1;
}

/** Index of the trailing continuation backslash of a line (only blanks after it), or -1. */
function continuationAt(line: string): number {
  let j = line.length - 1;
  while (j >= 0 && (line[j] === " " || line[j] === "\t")) j--;
  return j >= 0 && line[j] === "\\" ? j : -1;
}

export function parseRegedit(text: string): RegFile {
  const lines = text.split(/\r\n|\n|\r/);
  const problems: RegProblem[] = [];
  const keys: RegKey[] = [];
  let header: RegFile["header"] = null;
  let current: RegKey | null = null;
  const problem = (line: number, column: number, id: number, message: string): RegProblem => {
    const p = { line, column, id, message };
    problems.push(p);
    return p;
  };
  // After a key line that could not be read, its values belong to no key:
  // they are still read (and their own problems reported), then dropped,
  // rather than each reported as "before any [KEY]".
  const orphan = (line: number, column: number): RegKey => ({ path: "", delete: true, line, column, values: [] });

  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const raw = lines[n];
    const trimmed = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (trimmed === "" || trimmed.startsWith(";")) continue;
    if ((HEADERS as readonly string[]).includes(trimmed)) {
      if (header === null && keys.length === 0 && current === null) header = trimmed as RegFile["header"];
      else problem(lineNo, indent + 1, REG.UNKNOWN_LINE, `the regedit header "${trimmed}" may only be the first line`);
      continue;
    }
    if (trimmed.startsWith("[")) {
      const close = keyClose(trimmed);
      if (close < 0) {
        const last = trimmed.lastIndexOf("]");
        problem(lineNo, indent + 1, REG.BAD_KEY, last < 0 ? "key line has no closing ]" : `unexpected text after the key: ${quoted(trimmed.slice(last + 1).trim())}`);
        current = orphan(lineNo, indent + 1);
        continue;
      }
      let path = trimmed.slice(1, close);
      const del = path.startsWith("-");
      if (del) path = path.slice(1);
      if (path.trim() === "") {
        problem(lineNo, indent + 1, REG.BAD_KEY, "empty key name");
        current = orphan(lineNo, indent + 1);
        continue;
      }
      current = { path, delete: del, line: lineNo, column: indent + 1, values: [] };
      keys.push(current);
      continue;
    }
    if (!(trimmed.startsWith('"') || trimmed.startsWith("@"))) {
      problem(lineNo, indent + 1, REG.UNKNOWN_LINE, `not a key, a value or a comment: "${trimmed.length > 40 ? trimmed.slice(0, 40) + "..." : trimmed}"`);
      continue;
    }
    // Join hex continuation lines (a trailing backslash) before reading the
    // value; only hex data continues (a string may end in a backslash). The
    // pieces are collected and joined once: re-scanning the growing value on
    // each line made 50,000 continuation lines take 22 s.
    let body = raw;
    let lastLine = n;
    let cut: RegProblem | null = null;
    let at = continuationAt(raw);
    if (at >= 0 && /=\s*hex(\([0-9a-fA-F]+\))?:/i.test(raw)) {
      const pieces: string[] = [];
      let line = raw;
      while (at >= 0) {
        if (lastLine + 1 >= lines.length) {
          // Located at the dangling backslash itself, on the last line (not
          // at a column of the joined text on the value's first line).
          cut = problem(lastLine + 1, lines[lastLine].search(/\\\s*$/) + 1, REG.CONTINUATION_AT_END, "the value continues past the end of the file");
          pieces.push(line);
          break;
        }
        pieces.push(line.slice(0, at));
        lastLine++;
        line = lines[lastLine].trim();
        at = continuationAt(line);
        if (at < 0) pieces.push(line);
      }
      body = pieces.join("");
    }
    n = lastLine;
    if (!current) {
      if (!cut) problem(lineNo, indent + 1, REG.VALUE_OUTSIDE_KEY, "a value before any [KEY] line");
      continue;
    }
    const key = current;
    let name: string;
    let i: number;
    if (body[indent] === "@") {
      name = "";
      i = indent + 1;
    } else {
      const q = readQuoted(body, indent, 1, MAX_NAME);
      if (!q) {
        if (!cut) problem(lineNo, indent + 1, REG.BAD_NAME, "value name has no closing quote");
        continue;
      }
      if (q.tooLong) {
        if (!cut) problem(lineNo, indent + 1, REG.BAD_NAME, `a value name is at most ${MAX_NAME} characters`);
        continue;
      }
      name = q.data;
      i = q.end;
    }
    while (body[i] === " " || body[i] === "\t") i++;
    if (body[i] !== "=") {
      if (!cut) problem(lineNo, i + 1, REG.BAD_NAME, 'expected "=" after the value name');
      continue;
    }
    i++;
    while (body[i] === " " || body[i] === "\t") i++;
    const dataColumn = i + 1;
    const add = (value: RegValue) => key.values.push({ name, value, line: lineNo, column: indent + 1, dataColumn, text: body.trim() });
    const invalid = (column: number, id: number, message: string) => add({ type: "invalid", problem: problem(lineNo, column, id, message) });
    if (cut) {
      add({ type: "invalid", problem: cut });
      continue;
    }
    const trailing = (end: number): boolean => {
      const rest = body.slice(end).trim();
      if (rest === "" || rest.startsWith(";")) return false;
      invalid(body.indexOf(rest, end) + 1, REG.TRAILING_TEXT, `unexpected text after the value: ${quoted(rest)}`);
      return true;
    };
    const data = body.slice(i);
    if (data.startsWith('"')) {
      const q = readQuoted(body, i, 1, MAX_STRING);
      if (!q) invalid(dataColumn, REG.BAD_STRING, "string has no closing quote");
      else if (q.tooLong) invalid(dataColumn, REG.BAD_STRING, `a string value is at most ${MAX_STRING} characters here`);
      else if (!trailing(q.end)) add({ type: "string", data: q.data, columns: q.columns });
    } else if (/^-\s*(;.*)?$/.test(data)) {
      add({ type: "delete" });
    } else if (/^dword:/i.test(data)) {
      const m = /^dword:([0-9a-fA-F]{1,8})(?![0-9a-fA-F])/i.exec(data);
      if (!m) invalid(dataColumn + 6, REG.BAD_DWORD, "dword wants 1 to 8 hex digits");
      else if (!trailing(i + m[0].length)) add({ type: "dword", data: parseInt(m[1], 16) >>> 0 });
    } else if (/^hex(\([0-9a-fA-F]+\))?:/i.test(data)) {
      const m = /^hex(?:\(([0-9a-fA-F]+)\))?:/i.exec(data)!;
      const list = data.slice(m[0].length).replace(/;.*$/, "").trim();
      // A trailing comma (as left by a continuation with nothing after it) ends the list.
      const raw = list === "" ? [] : list.replace(/,\s*$/, "").split(",");
      const parts = raw.length > MAX_HEX_BYTES ? [] : raw.map((s) => s.trim());
      const bad = parts.findIndex((p) => !/^[0-9a-fA-F]{1,2}$/.test(p));
      if (raw.length > MAX_HEX_BYTES) invalid(dataColumn, REG.BAD_HEX, `hex data is at most ${MAX_HEX_BYTES} bytes here, not ${raw.length}`);
      else if (bad >= 0) invalid(dataColumn + m[0].length, REG.BAD_HEX, `bad hex byte ${quoted(parts[bad], 20)} (byte ${bad + 1})`);
      else add({ type: "hex", kind: m[1] === undefined ? null : parseInt(m[1], 16), bytes: parts.map((p) => parseInt(p, 16)) });
    } else {
      invalid(dataColumn, REG.UNKNOWN_TYPE, `unknown value type: "${data.length > 20 ? data.slice(0, 20) + "..." : data}" (a "string", dword:, hex: or -)`);
    }
  }
  return { header, keys, problems };
}

export interface RegViewKey {
  path: string; // as last written
  line: number;
  values: Map<string, RegValueEntry>; // by lower-case name
}

/**
 * The registry an import of this file into an empty registry would leave:
 * keys and value names are case-insensitive, later values replace earlier
 * ones, `[-KEY]` removes the key and its subkeys written before it, and
 * `"Name"=-` removes the value. `normalize` maps a key path to its identity
 * (lower case by default; a caller may also fold aliases such as HKLM).
 * Keys are kept in a tree by path component, so a deletion detaches its
 * subtree at once (scanning every key per deletion was quadratic); the view
 * lists the keys in the order they were first written.
 */
export function registryView(file: RegFile, normalize: (path: string) => string = (p) => p.toLowerCase()): Map<string, RegViewKey> {
  interface Node { children: Map<string, Node>; key: RegViewKey | null; id: string; seq: number }
  const root: Node = { children: new Map(), key: null, id: "", seq: 0 };
  let seq = 0;
  for (const k of file.keys) {
    const id = normalize(k.path);
    const parts = id.split("\\");
    let n: Node | undefined = root;
    let parent: Node = root;
    for (let i = 0; i < parts.length && n; i++) {
      parent = n;
      let c: Node | undefined = n.children.get(parts[i]);
      // A node's id is set when a key lands on it (it is that key's id): building
      // every prefix's id here made a key of N components cost N squared.
      if (!c && !k.delete) n.children.set(parts[i], (c = { children: new Map(), key: null, id: "", seq: 0 }));
      n = c;
    }
    if (k.delete) {
      if (n) parent.children.delete(parts[parts.length - 1]);
      continue;
    }
    const at = n!;
    if (!at.key) {
      at.key = { path: k.path, line: k.line, values: new Map() };
      at.id = id;
      at.seq = ++seq;
    }
    for (const e of k.values) {
      // regedit refuses an unreadable line and keeps what was there.
      if (e.value.type === "invalid") continue;
      if (e.value.type === "delete") at.key.values.delete(e.name.toLowerCase());
      else at.key.values.set(e.name.toLowerCase(), e);
    }
  }
  const found: Node[] = [];
  const stack: Node[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.key) found.push(n);
    for (const c of n.children.values()) stack.push(c);
  }
  found.sort((a, b) => a.seq - b.seq);
  return new Map(found.map((n) => [n.id, n.key!]));
}
