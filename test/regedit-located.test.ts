// Found by the Windows Firewall fuzz (seed 8, case 12996): a hex value whose
// continuation runs past the end of the file was reported on the value's
// first line at a column of the joined text, past the end of that line. It
// is located at the dangling backslash, on the last line.
import { describe, it, expect } from "vitest";
import { parseRegedit, REG } from "../host/model/regedit.ts";

describe(".reg: a continuation past the end of the file", () => {
  it("is located at the backslash of the last line", () => {
    const text = ['[HKEY_LOCAL_MACHINE\\X]', '"a"=hex:01,02,\\', "  03,04,\\", "    05,\\"].join("\r\n");
    const r = parseRegedit(text);
    expect(r.problems).toEqual([{ line: 4, column: 8, id: REG.CONTINUATION_AT_END, message: "the value continues past the end of the file" }]);
    const lines = text.split("\r\n");
    expect(r.problems[0].column).toBeLessThanOrEqual(lines[3].length);
  });

  it("on a single line, at its backslash as before", () => {
    expect(parseRegedit('[K]\n"a"=hex:01,\\').problems).toMatchObject([{ line: 2, column: 12, id: REG.CONTINUATION_AT_END }]);
  });
});
