// The regedit (.reg) reader: keys, values of each type, continuations,
// comments, headers, deletions, and every problem it reports.
import { describe, it, expect } from "vitest";
import { parseRegedit, registryView } from "../host/model/regedit.ts";
import { decodeText } from "../host/config/load.ts";

describe("parseRegedit", () => {
  it("reads keys and string, dword and hex values with continuations", () => {
    const f = parseRegedit([
      "Windows Registry Editor Version 5.00",
      "",
      "; a comment",
      "[HKEY_LOCAL_MACHINE\\SOFTWARE\\Test]",
      '"Str"="a \\"quoted\\" C:\\\\path"',
      '"Num"=dword:0000001f',
      '"Bin"=hex:02,00,\\',
      "  00,00,C0,a8",
      '@="default"',
      '"Multi"=hex(7):41,00,00,00',
    ].join("\r\n"));
    expect(f.problems).toEqual([]);
    expect(f.header).toBe("Windows Registry Editor Version 5.00");
    expect(f.keys).toHaveLength(1);
    const k = f.keys[0];
    expect(k.path).toBe("HKEY_LOCAL_MACHINE\\SOFTWARE\\Test");
    expect(k.line).toBe(4);
    const [s, d, h, def, multi] = k.values;
    expect(s).toMatchObject({ name: "Str", line: 5, column: 1, dataColumn: 7, value: { type: "string", data: 'a "quoted" C:\\path' } });
    // Columns point into the line even past escapes: the `C` is at column 21.
    if (s.value.type !== "string") throw new Error("not a string");
    expect(s.value.columns[s.value.data.indexOf("C")]).toBe(21);
    expect(d.value).toEqual({ type: "dword", data: 31 });
    expect(h).toMatchObject({ line: 7, value: { type: "hex", kind: null, bytes: [2, 0, 0, 0, 0xc0, 0xa8] } });
    expect(def).toMatchObject({ name: "", line: 9, value: { type: "string", data: "default" } });
    expect(multi.value).toEqual({ type: "hex", kind: 7, bytes: [0x41, 0, 0, 0] });
  });

  it("accepts REGEDIT4 and no header at all", () => {
    expect(parseRegedit('REGEDIT4\n[K]\n"a"="b"').header).toBe("REGEDIT4");
    const f = parseRegedit('[K]\n"a"="b"');
    expect(f.header).toBeNull();
    expect(f.problems).toEqual([]);
    expect(f.keys[0].values[0].value).toMatchObject({ type: "string", data: "b" });
  });

  it("reads UTF-16LE exports after load.ts decodes them", () => {
    const text = 'Windows Registry Editor Version 5.00\r\n\r\n[HKEY_LOCAL_MACHINE\\X]\r\n"80:TCP"="80:TCP:*:enabled:Web"\r\n';
    const bytes = new Uint8Array([0xff, 0xfe, ...Buffer.from(text, "utf16le")]);
    const f = parseRegedit(decodeText(bytes));
    expect(f.problems).toEqual([]);
    expect(f.keys[0].values[0].value).toMatchObject({ data: "80:TCP:*:enabled:Web" });
  });

  it.each([
    ['"a"="b"', 1, 1, 1, "a value before any [KEY] line"],
    ["[K\n", 1, 1, 2, "key line has no closing ]"],
    ["[K] x", 1, 1, 2, 'unexpected text after the key: "x"'],
    ["[]", 1, 1, 2, "empty key name"],
    ['[K]\n"a="b"', 2, 5, 3, 'expected "=" after the value name'],
    ['[K]\n"a', 2, 1, 3, "value name has no closing quote"],
    ['[K]\n"a"="b', 2, 5, 4, "string has no closing quote"],
    ['[K]\n"a"=dword:xyz', 2, 11, 5, "dword wants 1 to 8 hex digits"],
    ['[K]\n"a"=dword:123456789', 2, 11, 5, "dword wants 1 to 8 hex digits"],
    ['[K]\n"a"=hex:01,zz', 2, 9, 6, 'bad hex byte "zz" (byte 2)'],
    ['[K]\n"a"=qword:1', 2, 5, 7, 'unknown value type: "qword:1" (a "string", dword:, hex: or -)'],
    ['[K]\n"a"="b" c', 2, 9, 8, 'unexpected text after the value: "c"'],
    ['[K]\n"a"=hex:01,\\', 2, 12, 9, "the value continues past the end of the file"],
    ["[K]\nfoo", 2, 1, 10, 'not a key, a value or a comment: "foo"'],
  ])("reports %j at %i:%i (%i: %s)", (text, line, column, id, message) => {
    expect(parseRegedit(text).problems).toEqual([{ line, column, id, message }]);
  });

  it("keeps going after a problem, keeping the unreadable value as invalid with its problem", () => {
    const f = parseRegedit('[K]\n"a"=bogus\n"b"="ok"');
    expect(f.problems).toHaveLength(1);
    expect(f.keys[0].values.map((v) => [v.name, v.value.type])).toEqual([["a", "invalid"], ["b", "string"]]);
    const a = f.keys[0].values[0];
    if (a.value.type !== "invalid") throw new Error("not invalid");
    expect(a.value.problem).toBe(f.problems[0]);
    expect(f.keys[0].values[1].value).toMatchObject({ data: "ok" });
  });

  it("a header after the first line is a problem that says so", () => {
    expect(parseRegedit('[K]\nREGEDIT4\n"a"="b"').problems).toEqual([{ line: 2, column: 1, id: 10, message: 'the regedit header "REGEDIT4" may only be the first line' }]);
    expect(parseRegedit("REGEDIT4\nREGEDIT4").problems.map((p) => p.id)).toEqual([10]);
  });

  it("after an unreadable key line its values belong to no key and are not each reported", () => {
    const f = parseRegedit('[K\n"a"="b"\n"c"=dword:xyz\n[L]\n"d"="e"');
    expect(f.problems.map((p) => [p.line, p.id])).toEqual([[1, 2], [3, 5]]);
    expect(f.keys.map((k) => [k.path, k.values.map((v) => v.name)])).toEqual([["L", ["d"]]]);
  });

  it("a key name may hold ] and ;, and a comment after the key may hold ]", () => {
    const f = parseRegedit('[K\\a]b;c] ; see [x]\n"v"="1"');
    expect(f.problems).toEqual([]);
    expect(f.keys[0].path).toBe("K\\a]b;c");
  });

  it("a trailing comma ends a hex list; only hex data continues after a backslash", () => {
    const f = parseRegedit('[K]\n"h"=hex:01,02,\n"p"="C:\\\\"\n"q"="x"');
    expect(f.problems).toEqual([]);
    expect(f.keys[0].values.map((v) => v.value)).toMatchObject([{ type: "hex", bytes: [1, 2] }, { type: "string", data: "C:\\" }, { type: "string", data: "x" }]);
  });
});

describe("registryView", () => {
  it("is case-insensitive, lets later values win, and applies deletions", () => {
    const view = registryView(parseRegedit([
      "[HKLM\\A]", '"x"="1"', '"y"="2"',
      "[hklm\\a]", '"X"="3"', '"y"=-',
      "[HKLM\\A\\Sub]", '"z"=dword:1',
      "[HKLM\\B]", '"w"="4"',
      "[-HKLM\\B]",
    ].join("\n")));
    expect([...view.keys()]).toEqual(["hklm\\a", "hklm\\a\\sub"]);
    const a = view.get("hklm\\a")!;
    expect([...a.values.keys()]).toEqual(["x"]);
    expect(a.values.get("x")!.value).toMatchObject({ data: "3" });
    // An unreadable value leaves the earlier one in place, as a failed import line does.
    const kept = registryView(parseRegedit('[K]\n"x"="1"\n"x"=dword:zz'));
    expect(kept.get("k")!.values.get("x")!.value).toMatchObject({ type: "string", data: "1" });
    const again = registryView(parseRegedit("[HKLM\\A\\Sub]\n\"z\"=dword:1\n[-HKLM\\A]"));
    expect(again.size).toBe(0);
  });
});
