// The one JSON reader for every JSON input (the Windows CE FW_RULE form, the
// InstaGate table form, the appliance description): strict RFC 8259 that
// keeps the line and column of every value and key, so JSON inputs get
// `FILE:LINE:COL` diagnostics like the text forms.
//
// It is written for hostile input:
// - iterative (an explicit stack), and nesting is limited (MAX_DEPTH) with a
//   located error, so neither this reader nor a recursive consumer of its
//   tree can be made to overflow the stack;
// - strings are scanned without regular expressions over the rest of the
//   text, and a string longer than MAX_STRING is a located error, so a 10 MB
//   value neither overflows a regex nor ends up whole in a message;
// - objects keep their entries in order and in a Map (never a plain object
//   keyed by user text: "__proto__" or "constructor" are keys like any other);
// - a key given twice in one object is reported with both places; the tree is
//   still built (first entry in `byKey`) so that callers can go on reporting.
// It never throws on any input: every problem comes back located.
import { quoted } from "./excerpt.ts";

export interface JPos {
  line: number; // 1-based
  column: number; // 1-based, in UTF-16 code units
}

export interface JEntry {
  key: string;
  keyPos: JPos;
  value: JValue;
}

export type JValue =
  | { type: "object"; entries: JEntry[]; byKey: Map<string, JEntry>; pos: JPos }
  | { type: "array"; items: JValue[]; pos: JPos }
  | { type: "string"; value: string; pos: JPos }
  // `text` is the literal as written, so callers can refuse what does not fit
  // instead of working with a rounded value.
  | { type: "number"; value: number; text: string; pos: JPos }
  | { type: "boolean"; value: boolean; pos: JPos }
  | { type: "null"; pos: JPos };

/** The kind of a value for messages: "an object", "a string"... */
export function kindOf(v: JValue): string {
  return v.type === "object" ? "an object" : v.type === "array" ? "an array" : v.type === "null" ? "null" : `a ${v.type}`;
}


/** Is the value a number that is an integer in min..max as written (no rounding, no truncation)? */
export function integerIn(v: JValue, min: number, max: number): boolean {
  return v.type === "number" && Number.isSafeInteger(v.value) && v.value >= min && v.value <= max;
}

/**
 * The tree of a value already in memory (a description built by code or a
 * test): positions are unknown, so every one is line 1, column 1. Recursive:
 * the input is built by trusted code, never read from a file.
 */
export function treeOf(value: unknown): JValue {
  const pos = { line: 1, column: 1 };
  const convert = (v: unknown): JValue => {
    if (v === null || v === undefined) return { type: "null", pos };
    if (typeof v === "string") return { type: "string", value: v, pos };
    if (typeof v === "number") return { type: "number", value: v, text: String(v), pos };
    if (typeof v === "boolean") return { type: "boolean", value: v, pos };
    if (Array.isArray(v)) return { type: "array", items: v.map(convert), pos };
    const entries: JEntry[] = Object.entries(v as object).filter(([, x]) => x !== undefined).map(([key, x]) => ({ key, keyPos: pos, value: convert(x) }));
    return { type: "object", entries, byKey: new Map(entries.map((e) => [e.key, e])), pos };
  };
  return convert(value);
}

export interface JsonProblem {
  kind: "syntax" | "duplicate" | "depth" | "too-long";
  pos: JPos;
  message: string;
}

export interface JsonParse {
  /** null when the text is not JSON (then `problems` holds the one syntax error). */
  value: JValue | null;
  /** Every problem: at most one syntax-class error (it ends the reading), and every duplicate key. */
  problems: JsonProblem[];
}

/** Deeper nesting than any configuration needs; a located error, never a stack overflow. */
export const MAX_DEPTH = 256;
/** Longer than any name, address or description needs (a description is at most a few hundred characters). */
export const MAX_STRING = 65_536;

class Stop extends Error {}

const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const ESCAPES = new Map<string, string>([['"', '"'], ["\\", "\\"], ["/", "/"], ["b", "\b"], ["f", "\f"], ["n", "\n"], ["r", "\r"], ["t", "\t"]]);

type Frame =
  | { type: "object"; node: Extract<JValue, { type: "object" }>; key: string | null; keyPos: JPos | null }
  | { type: "array"; node: Extract<JValue, { type: "array" }> };

export function parseJson(text: string, limits: { maxDepth?: number; maxString?: number } = {}): JsonParse {
  const maxDepth = limits.maxDepth ?? MAX_DEPTH;
  const maxString = limits.maxString ?? MAX_STRING;
  const problems: JsonProblem[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const pos = (): JPos => ({ line, column: i - lineStart + 1 });
  const fail = (kind: JsonProblem["kind"], message: string, at: JPos = pos()): never => {
    problems.push({ kind, pos: at, message });
    throw new Stop();
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x0a) { line++; i++; lineStart = i; }
      else if (c === 0x20 || c === 0x09 || c === 0x0d) i++;
      else break;
    }
  };
  const describe = (): string => {
    if (i >= text.length) return "the end of the text";
    const c = text.charCodeAt(i);
    return c < 0x20 || c === 0x7f ? `character U+${c.toString(16).padStart(4, "0").toUpperCase()}` : `"${String.fromCodePoint(text.codePointAt(i)!)}"`;
  };
  const str = (): string => {
    const start = pos();
    i++; // the opening quote
    const parts: string[] = [];
    let length = 0;
    let from = i;
    for (;;) {
      if (i >= text.length) fail("syntax", "unterminated string (no closing quote)", start);
      const c = text.charCodeAt(i);
      if (c === 0x22 || c === 0x5c) {
        length += i - from;
        if (length > maxString) fail("too-long", `a string longer than ${maxString} characters`, start);
        parts.push(text.slice(from, i));
        if (c === 0x22) { i++; return parts.join(""); }
        const e = text[i + 1];
        const simple = e === undefined ? undefined : ESCAPES.get(e);
        if (simple !== undefined) { parts.push(simple); i += 2; }
        else if (e === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) { parts.push(String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16))); i += 6; }
        else fail("syntax", "bad escape in a string (JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)");
        length++;
        from = i;
        continue;
      }
      if (c < 0x20) fail("syntax", `control character U+${c.toString(16).padStart(4, "0").toUpperCase()} in a string (write it as an escape)`);
      i++;
    }
  };
  // A scalar at i, or null when i starts a container.
  const scalar = (): JValue | null => {
    const p = pos();
    const c = text[i];
    if (c === "{" || c === "[") return null;
    if (c === '"') return { type: "string", value: str(), pos: p };
    NUMBER.lastIndex = i;
    const num = NUMBER.exec(text);
    if (num) {
      if (num[0].length > 400) fail("too-long", "a number literal longer than 400 characters", p);
      i += num[0].length;
      return { type: "number", value: Number(num[0]), text: num[0], pos: p };
    }
    if (text.startsWith("true", i)) { i += 4; return { type: "boolean", value: true, pos: p }; }
    if (text.startsWith("false", i)) { i += 5; return { type: "boolean", value: false, pos: p }; }
    if (text.startsWith("null", i)) { i += 4; return { type: "null", pos: p }; }
    return fail("syntax", `expected a value, found ${describe()}`);
  };

  const stack: Frame[] = [];
  let root: JValue | null = null;
  // Attach a finished value to the container being built (or make it the root).
  const attach = (v: JValue) => {
    const top = stack[stack.length - 1];
    if (!top) { root = v; return; }
    if (top.type === "array") { top.node.items.push(v); return; }
    const entry: JEntry = { key: top.key!, keyPos: top.keyPos!, value: v };
    top.node.entries.push(entry);
    const first = top.node.byKey.get(entry.key);
    if (first) problems.push({ kind: "duplicate", pos: entry.keyPos, message: `key ${quoted(entry.key)} given twice in one object (first at line ${first.keyPos.line}, column ${first.keyPos.column})` });
    else top.node.byKey.set(entry.key, entry);
  };
  // Read a key and its colon into the object frame on top.
  const key = (top: Extract<Frame, { type: "object" }>) => {
    ws();
    if (text[i] !== '"') fail("syntax", `expected a key in double quotes, found ${describe()}`);
    top.keyPos = pos();
    top.key = str();
    ws();
    if (text[i] !== ":") fail("syntax", `expected ":" after the key, found ${describe()}`);
    i++;
  };

  try {
    // Each turn reads one value (opening a container pushes a frame), then
    // closes every container that ends after it.
    for (;;) {
      ws();
      const v = scalar();
      if (v) attach(v);
      else {
        const p = pos();
        if (stack.length >= maxDepth) fail("depth", `nesting deeper than ${maxDepth} levels`, p);
        const open = text[i++];
        ws();
        if (open === "{") {
          const node: Extract<JValue, { type: "object" }> = { type: "object", entries: [], byKey: new Map(), pos: p };
          if (text[i] === "}") { i++; attach(node); }
          else { const f: Frame = { type: "object", node, key: null, keyPos: null }; stack.push(f); key(f); continue; }
        } else {
          const node: Extract<JValue, { type: "array" }> = { type: "array", items: [], pos: p };
          if (text[i] === "]") { i++; attach(node); }
          else { stack.push({ type: "array", node }); continue; }
        }
      }
      // After a value: a comma (next value), or the close of the container.
      for (;;) {
        const top = stack[stack.length - 1];
        if (!top) break;
        ws();
        const close = top.type === "object" ? "}" : "]";
        if (text[i] === ",") {
          i++;
          if (top.type === "object") key(top);
          break;
        }
        if (text[i] !== close) fail("syntax", `expected "," or "${close}", found ${describe()}`);
        i++;
        stack.pop();
        attach(top.node);
      }
      if (stack.length === 0) break;
    }
    ws();
    if (i < text.length) fail("syntax", `unexpected ${describe()} after the JSON value`);
  } catch (e) {
    if (!(e instanceof Stop)) throw e;
    return { value: null, problems };
  }
  return { value: root, problems };
}
