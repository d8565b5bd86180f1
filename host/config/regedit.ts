// The regedit export format (.reg): `[KEY]` headers, `"Name"=` values of
// types string, dword and hex (with `\` line continuations), `; comments`,
// the optional REGEDIT4 / "Windows Registry Editor Version 5.00" header, and
// the deletion forms `[-KEY]` and `"Name"=-`. Decoding (UTF-16 with a BOM) is
// host/config/load.ts's job; this reader sees text. It never throws: every
// problem comes back with its line, column and a stable number, and the
// dialect that uses the reader turns that number into its own code.

export type RegValue =
  | { type: "string"; data: string; columns: number[] } // columns[i]: 1-based column of data[i] in the line
  | { type: "dword"; data: number }
  | { type: "hex"; kind: number | null; bytes: number[] } // hex: (kind null) or hex(N):
  | { type: "delete" };

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

export interface RegProblem {
  line: number;
  column: number;
  /** Stable: 1 value outside a key, 2 bad key line, 3 bad value name, 4 bad string, 5 bad dword, 6 bad hex, 7 unknown value type, 8 trailing text, 9 continuation at end of file, 10 unknown line */
  id: number;
  message: string;
}

export interface RegFile {
  header: "REGEDIT4" | "Windows Registry Editor Version 5.00" | null;
  keys: RegKey[];
  problems: RegProblem[];
}

/** Parse a quoted regedit string starting at text[i] === '"'. Escapes: \\ and \". */
function readQuoted(text: string, i: number, col0: number): { data: string; columns: number[]; end: number } | null {
  let data = "";
  const columns: number[] = [];
  let j = i + 1;
  while (j < text.length) {
    const c = text[j];
    if (c === '"') return { data, columns, end: j + 1 };
    if (c === "\\" && j + 1 < text.length && (text[j + 1] === "\\" || text[j + 1] === '"')) {
      data += text[j + 1];
      columns.push(col0 + j);
      j += 2;
      continue;
    }
    data += c;
    columns.push(col0 + j);
    j++;
  }
  return null;
}

export function parseRegedit(text: string): RegFile {
  const lines = text.split(/\r\n|\n|\r/);
  const problems: RegProblem[] = [];
  const keys: RegKey[] = [];
  let header: RegFile["header"] = null;
  let current: RegKey | null = null;
  const problem = (line: number, column: number, id: number, message: string) => problems.push({ line, column, id, message });

  for (let n = 0; n < lines.length; n++) {
    const lineNo = n + 1;
    const raw = lines[n];
    const trimmed = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (trimmed === "" || trimmed.startsWith(";")) continue;
    if (header === null && keys.length === 0 && current === null && (trimmed === "REGEDIT4" || trimmed === "Windows Registry Editor Version 5.00")) {
      header = trimmed;
      continue;
    }
    if (trimmed.startsWith("[")) {
      const close = trimmed.lastIndexOf("]");
      const rest = close < 0 ? "" : trimmed.slice(close + 1).trim();
      if (close < 0 || (rest !== "" && !rest.startsWith(";"))) {
        problem(lineNo, indent + 1, 2, close < 0 ? "key line has no closing ]" : `unexpected text after the key: "${rest}"`);
        current = null;
        continue;
      }
      let path = trimmed.slice(1, close);
      const del = path.startsWith("-");
      if (del) path = path.slice(1);
      if (path.trim() === "") {
        problem(lineNo, indent + 1, 2, "empty key name");
        current = null;
        continue;
      }
      current = { path, delete: del, line: lineNo, column: indent + 1, values: [] };
      keys.push(current);
      continue;
    }
    if (!(trimmed.startsWith('"') || trimmed.startsWith("@"))) {
      problem(lineNo, indent + 1, 10, `not a key, a value or a comment: "${trimmed.length > 40 ? trimmed.slice(0, 40) + "..." : trimmed}"`);
      continue;
    }
    // Join hex continuation lines (a trailing backslash) before reading the value.
    let body = raw;
    let lastLine = n;
    let cut = false;
    while (/\\\s*$/.test(body) && /=\s*hex(\([0-9a-fA-F]+\))?:/i.test(body)) {
      if (lastLine + 1 >= lines.length) {
        problem(lineNo, body.search(/\\\s*$/) + 1, 9, "the value continues past the end of the file");
        cut = true;
        break;
      }
      lastLine++;
      body = body.replace(/\\\s*$/, "") + lines[lastLine].trim();
    }
    n = lastLine;
    if (cut) continue;
    if (!current) {
      problem(lineNo, indent + 1, 1, "a value before any [KEY] line");
      continue;
    }
    let name: string;
    let i: number;
    if (body[indent] === "@") {
      name = "";
      i = indent + 1;
    } else {
      const q = readQuoted(body, indent, 1);
      if (!q) {
        problem(lineNo, indent + 1, 3, "value name has no closing quote");
        continue;
      }
      name = q.data;
      i = q.end;
    }
    while (body[i] === " " || body[i] === "\t") i++;
    if (body[i] !== "=") {
      problem(lineNo, i + 1, 3, 'expected "=" after the value name');
      continue;
    }
    i++;
    while (body[i] === " " || body[i] === "\t") i++;
    const dataColumn = i + 1;
    const entry = (value: RegValue): RegValueEntry => ({ name, value, line: lineNo, column: indent + 1, dataColumn, text: body.trim() });
    const trailing = (end: number): boolean => {
      const rest = body.slice(end).trim();
      if (rest === "" || rest.startsWith(";")) return false;
      problem(lineNo, body.indexOf(rest, end) + 1, 8, `unexpected text after the value: "${rest}"`);
      return true;
    };
    const data = body.slice(i);
    if (data.startsWith('"')) {
      const q = readQuoted(body, i, 1);
      if (!q) {
        problem(lineNo, dataColumn, 4, "string has no closing quote");
        continue;
      }
      if (trailing(q.end)) continue;
      current.values.push(entry({ type: "string", data: q.data, columns: q.columns }));
    } else if (/^-\s*(;.*)?$/.test(data)) {
      current.values.push(entry({ type: "delete" }));
    } else if (/^dword:/i.test(data)) {
      const m = /^dword:([0-9a-fA-F]{1,8})(?![0-9a-fA-F])/i.exec(data);
      if (!m) {
        problem(lineNo, dataColumn + 6, 5, "dword wants 1 to 8 hex digits");
        continue;
      }
      if (trailing(i + m[0].length)) continue;
      current.values.push(entry({ type: "dword", data: parseInt(m[1], 16) >>> 0 }));
    } else if (/^hex(\([0-9a-fA-F]+\))?:/i.test(data)) {
      const m = /^hex(?:\(([0-9a-fA-F]+)\))?:/i.exec(data)!;
      const list = data.slice(m[0].length).replace(/;.*$/, "").trim();
      const parts = list === "" ? [] : list.split(",").map((s) => s.trim());
      const bad = parts.findIndex((p) => !/^[0-9a-fA-F]{1,2}$/.test(p));
      if (bad >= 0) {
        problem(lineNo, dataColumn + m[0].length, 6, `bad hex byte "${parts[bad]}" (byte ${bad + 1})`);
        continue;
      }
      current.values.push(entry({ type: "hex", kind: m[1] === undefined ? null : parseInt(m[1], 16), bytes: parts.map((p) => parseInt(p, 16)) }));
    } else {
      problem(lineNo, dataColumn, 7, `unknown value type: "${data.length > 20 ? data.slice(0, 20) + "..." : data}" (a "string", dword:, hex: or -)`);
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
 */
export function registryView(file: RegFile, normalize: (path: string) => string = (p) => p.toLowerCase()): Map<string, RegViewKey> {
  const view = new Map<string, RegViewKey>();
  for (const k of file.keys) {
    const lower = normalize(k.path);
    if (k.delete) {
      for (const p of [...view.keys()]) if (p === lower || p.startsWith(lower + "\\")) view.delete(p);
      continue;
    }
    let v = view.get(lower);
    if (!v) {
      v = { path: k.path, line: k.line, values: new Map() };
      view.set(lower, v);
    }
    for (const e of k.values) {
      if (e.value.type === "delete") v.values.delete(e.name.toLowerCase());
      else v.values.set(e.name.toLowerCase(), e);
    }
  }
  return view;
}
