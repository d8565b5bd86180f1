// The one JSON reader every JSON input uses (host/model/jsonpos.ts): it agrees
// with JSON.parse on valid text, places every value and key, reports
// duplicate keys with both places, and on hostile text (deep nesting, huge
// strings, prototype-named keys, random bytes) returns a located problem
// instead of throwing.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { parseJson, MAX_DEPTH, MAX_STRING, type JValue } from "../host/model/jsonpos.ts";

const SEED = Number(process.env.JSONPOS_SEED ?? 20261129);

/** The tree as a plain value, built with Maps so that "__proto__" stays a key. */
function plain(v: JValue): unknown {
  switch (v.type) {
    case "object": return new Map(v.entries.map((e) => [e.key, plain(e.value)]));
    case "array": return v.items.map(plain);
    case "null": return null;
    default: return v.value;
  }
}
/** JSON.parse's result in the same shape (its reviver sees every key, "__proto__" included). */
function viaJsonParse(text: string): unknown {
  const toMaps = (x: unknown): unknown => Array.isArray(x) ? x.map(toMaps) : x !== null && typeof x === "object" ? new Map(Object.entries(x).map(([k, y]) => [k, toMaps(y)])) : x;
  return toMaps(JSON.parse(text));
}

describe("the shared JSON reader", () => {
  it("agrees with JSON.parse on valid JSON (seeded property)", () => {
    console.log(`jsonpos: seed ${SEED} (JSONPOS_SEED to change)`);
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), fc.constantFrom(0, 2), (value, indent) => {
        const text = JSON.stringify(value, null, indent);
        const r = parseJson(text);
        expect(r.problems).toEqual([]);
        expect(plain(r.value!)).toEqual(viaJsonParse(text));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it("places values and keys by line and column", () => {
    const r = parseJson('{\n  "a": [1, "x"],\n\t"b": {"c": null}\n}');
    const root = r.value!;
    expect(root.type).toBe("object");
    if (root.type !== "object") return;
    expect(root.entries.map((e) => [e.key, e.keyPos])).toEqual([["a", { line: 2, column: 3 }], ["b", { line: 3, column: 2 }]]);
    expect(root.byKey.get("b")!.value.pos).toEqual({ line: 3, column: 7 });
  });

  it("keys named after Object.prototype members are plain keys", () => {
    const r = parseJson('{"__proto__": 1, "constructor": {"toString": 2}, "hasOwnProperty": [3]}');
    expect(r.problems).toEqual([]);
    const root = r.value!;
    if (root.type !== "object") throw new Error("not an object");
    expect([...root.byKey.keys()]).toEqual(["__proto__", "constructor", "hasOwnProperty"]);
    expect(root.byKey.get("__proto__")!.value).toMatchObject({ type: "number", value: 1 });
    expect(root.byKey.get("toString")).toBeUndefined();
  });

  it("reports every duplicate key with both places, and still builds the tree", () => {
    const r = parseJson('{"a": 1,\n "b": {"x": 1, "x": 2},\n "a": 3}');
    expect(r.value).not.toBeNull();
    expect(r.problems).toEqual([
      { kind: "duplicate", pos: { line: 2, column: 16 }, message: 'key "x" given twice in one object (first at line 2, column 8)' },
      { kind: "duplicate", pos: { line: 3, column: 2 }, message: 'key "a" given twice in one object (first at line 1, column 2)' },
    ]);
  });

  it("keeps the literal of a number, so callers can refuse what does not fit", () => {
    const r = parseJson("[99999999999999999999999, 1e2, -0]");
    expect(r.value!.type === "array" && r.value!.items.map((n) => n.type === "number" && [n.text, n.value])).toEqual([["99999999999999999999999", 1e23], ["1e2", 100], ["-0", -0]]);
  });

  it("nesting 4,000 deep is a located error, not a stack overflow (arrays and objects)", () => {
    for (const text of ["[".repeat(4000) + "]".repeat(4000), '{"a":'.repeat(4000) + "1" + "}".repeat(4000), "[".repeat(1_000_000)]) {
      const r = parseJson(text);
      expect(r.value).toBeNull();
      expect(r.problems).toHaveLength(1);
      expect(r.problems[0]).toMatchObject({ kind: "depth", pos: { line: 1 } });
    }
    // Exactly the limit is fine.
    expect(parseJson("[".repeat(MAX_DEPTH) + "]".repeat(MAX_DEPTH)).problems).toEqual([]);
  });

  it("a 10 MB string is a located error, fast, and never whole in the message", () => {
    const text = '{"name": "' + "a".repeat(10_000_000) + '"}';
    const t0 = performance.now();
    const r = parseJson(text);
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(r.problems).toEqual([{ kind: "too-long", pos: { line: 1, column: 10 }, message: `a string longer than ${MAX_STRING} characters` }]);
    // Escapes count too, and a string of exactly the limit is fine.
    expect(parseJson('"' + "\\n".repeat(MAX_STRING + 1) + '"').problems[0].kind).toBe("too-long");
    expect(parseJson('"' + "a".repeat(MAX_STRING) + '"').problems).toEqual([]);
  });

  it.each([
    ["[1,]", 1, 4, /expected a value/],
    ['{"a" 1}', 1, 6, /expected ":"/],
    ['{"a": 1,}', 1, 9, /expected a key/],
    ['"abc', 1, 1, /unterminated/],
    ['"a\\qb"', 1, 3, /bad escape/],
    ['"a\u0001"', 1, 3, /control character U\+0001/],
    ["[1] x", 1, 5, /after the JSON value/],
    ["\n\n  [tru]", 3, 4, /expected a value/],
    ["", 1, 1, /the end of the text/],
    ["-", 1, 1, /expected a value/],
  ])("syntax error in %j at %i:%i", (text, line, column, message) => {
    const r = parseJson(text);
    expect(r.value).toBeNull();
    expect(r.problems).toHaveLength(1);
    expect(r.problems[0]).toMatchObject({ kind: "syntax", pos: { line, column } });
    expect(r.problems[0].message).toMatch(message);
  });

  it("never throws, on any text (seeded property)", () => {
    const pieces = fc.constantFrom("{", "}", "[", "]", ",", ":", '"', "\\", "a", "1", "-", "e", ".", "true", "null", " ", "\n", "\u0000", "\u202e", '"__proto__"', "9".repeat(30));
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.array(pieces, { maxLength: 200 }).map((a) => a.join(""))), (text) => {
        const r = parseJson(text);
        if (r.value === null) expect(r.problems.length).toBeGreaterThan(0);
        for (const p of r.problems) {
          expect(p.pos.line).toBeGreaterThanOrEqual(1);
          expect(p.pos.column).toBeGreaterThanOrEqual(1);
        }
        // What JSON.parse accepts (without duplicate keys), this accepts too.
        let ok = true;
        try { JSON.parse(text); } catch { ok = false; }
        if (ok && !r.problems.some((p) => p.kind === "duplicate" || p.kind === "depth")) expect(r.value).not.toBeNull();
      }),
      { seed: SEED + 1, numRuns: 3000 },
    );
  });
});
