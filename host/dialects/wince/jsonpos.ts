// A small JSON reader that keeps each value's line and column, so the
// FW_RULE JSON form gets diagnostics with file:line:col like regedit text.
export type JNode =
  | { t: "object"; line: number; col: number; entries: { key: string; line: number; col: number; value: JNode }[] }
  | { t: "array"; line: number; col: number; items: JNode[] }
  | { t: "string"; line: number; col: number; value: string }
  | { t: "number"; line: number; col: number; value: number }
  | { t: "bool"; line: number; col: number; value: boolean }
  | { t: "null"; line: number; col: number };

export class JsonError extends Error {
  constructor(message: string, readonly line: number, readonly col: number) {
    super(message);
  }
}

export function parseJsonWithPositions(text: string): JNode {
  let i = 0, line = 1, lineStart = 0;
  const fail = (msg: string): never => { throw new JsonError(msg, line, i - lineStart + 1); };
  const ws = () => {
    while (i < text.length && /[ \t\r\n]/.test(text[i])) {
      if (text[i] === "\n") { line++; lineStart = i + 1; }
      i++;
    }
  };
  const str = (): string => {
    const m = /^"((?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*)"/.exec(text.slice(i));
    if (!m) fail("bad string");
    i += m![0].length;
    return JSON.parse(m![0]) as string;
  };
  const value = (): JNode => {
    ws();
    const at = { line, col: i - lineStart + 1 };
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: { key: string; line: number; col: number; value: JNode }[] = [];
      ws();
      if (text[i] === "}") { i++; return { t: "object", ...at, entries }; }
      for (;;) {
        ws();
        if (text[i] !== '"') fail("expected a quoted key");
        const kAt = { line, col: i - lineStart + 1 };
        const key = str();
        ws();
        if (text[i] !== ":") fail('expected ":"');
        i++;
        entries.push({ key, ...kAt, value: value() });
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return { t: "object", ...at, entries }; }
        fail('expected "," or "}"');
      }
    }
    if (c === "[") {
      i++;
      const items: JNode[] = [];
      ws();
      if (text[i] === "]") { i++; return { t: "array", ...at, items }; }
      for (;;) {
        items.push(value());
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return { t: "array", ...at, items }; }
        fail('expected "," or "]"');
      }
    }
    if (c === '"') return { t: "string", ...at, value: str() };
    const num = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (num) { i += num[0].length; return { t: "number", ...at, value: Number(num[0]) }; }
    for (const [word, node] of [["true", { t: "bool", value: true }], ["false", { t: "bool", value: false }], ["null", { t: "null" }]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return { ...node, ...at } as JNode; }
    }
    return fail(c === undefined ? "unexpected end of text" : `unexpected "${c}"`);
  };
  const root = value();
  ws();
  if (i < text.length) fail("text after the JSON value");
  return root;
}
