// A small JSON reader that keeps the line and column of every value, so the
// JSON form of a rule table gets diagnostics with file:line:col like the text
// form. Strict RFC 8259; duplicate keys are reported by the caller.

export interface JPos {
  line: number;
  column: number;
}

export type JValue =
  | { type: "object"; entries: { key: string; keyPos: JPos; value: JValue }[]; pos: JPos }
  | { type: "array"; items: JValue[]; pos: JPos }
  | { type: "string"; value: string; pos: JPos }
  | { type: "number"; value: number; pos: JPos }
  | { type: "boolean"; value: boolean; pos: JPos }
  | { type: "null"; pos: JPos };

export class JsonSyntaxError extends Error {
  constructor(message: string, readonly pos: JPos) {
    super(message);
  }
}

export function parseJsonWithPositions(text: string): JValue {
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): JPos => ({ line, column: i - lineStart + 1 });
  const fail = (msg: string): never => { throw new JsonSyntaxError(msg, pos()); };
  const ws = () => {
    while (i < text.length) {
      const c = text[i];
      if (c === "\n") { line++; i++; lineStart = i; }
      else if (c === " " || c === "\t" || c === "\r") i++;
      else break;
    }
  };
  const str = (): string => {
    i++; // opening quote
    let out = "";
    while (true) {
      if (i >= text.length) fail("unterminated string");
      const c = text[i];
      if (c === "\"") { i++; return out; }
      if (c === "\n" || c.charCodeAt(0) < 0x20) fail("control character in string");
      if (c === "\\") {
        const e = text[i + 1];
        const simple: Record<string, string> = { "\"": "\"", "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t" };
        if (e in simple) { out += simple[e]; i += 2; continue; }
        if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16)); i += 6; continue; }
        fail("bad escape in string");
      }
      out += c;
      i++;
    }
  };
  const value = (): JValue => {
    ws();
    const p = pos();
    const c = text[i];
    if (c === "{") {
      i++;
      const entries: { key: string; keyPos: JPos; value: JValue }[] = [];
      ws();
      if (text[i] === "}") { i++; return { type: "object", entries, pos: p }; }
      while (true) {
        ws();
        if (text[i] !== "\"") fail("expected a key in double quotes");
        const keyPos = pos();
        const key = str();
        ws();
        if (text[i] !== ":") fail("expected \":\"");
        i++;
        entries.push({ key, keyPos, value: value() });
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "}") { i++; return { type: "object", entries, pos: p }; }
        fail("expected \",\" or \"}\"");
      }
    }
    if (c === "[") {
      i++;
      const items: JValue[] = [];
      ws();
      if (text[i] === "]") { i++; return { type: "array", items, pos: p }; }
      while (true) {
        items.push(value());
        ws();
        if (text[i] === ",") { i++; continue; }
        if (text[i] === "]") { i++; return { type: "array", items, pos: p }; }
        fail("expected \",\" or \"]\"");
      }
    }
    if (c === "\"") return { type: "string", value: str(), pos: p };
    const num = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (num) { i += num[0].length; return { type: "number", value: Number(num[0]), pos: p }; }
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return v === null ? { type: "null", pos: p } : { type: "boolean", value: v, pos: p };
      }
    }
    return fail(i >= text.length ? "unexpected end of input" : `unexpected character "${c}"`);
  };
  const v = value();
  ws();
  if (i < text.length) fail("unexpected text after the JSON value");
  return v;
}
