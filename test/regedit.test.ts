// The regedit (.reg) reader: keys, values of each type, continuations,
// comments, headers, deletions, and every problem it reports.
import { describe, it, expect } from "vitest";
import { parseRegedit, registryView } from "../host/config/regedit.ts";
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

  it("keeps going after a problem", () => {
    const f = parseRegedit('[K]\n"a"=bogus\n"b"="ok"');
    expect(f.problems).toHaveLength(1);
    expect(f.keys[0].values.map((v) => v.name)).toEqual(["b"]);
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
    const again = registryView(parseRegedit("[HKLM\\A\\Sub]\n\"z\"=dword:1\n[-HKLM\\A]"));
    expect(again.size).toBe(0);
  });
});
