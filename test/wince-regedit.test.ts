// The regedit text reader: headers, encodings, line ends, comments,
// continuations, deletions, case-insensitive names.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { load, key, HOST2 } from "./wince-helpers.ts";
import { decodeText } from "../host/config/load.ts";
import { detectWince } from "../host/dialects/wince/index.ts";

const RULE = key("R", { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 });

describe("regedit text", () => {
  for (const header of ["", "REGEDIT4\r\n\r\n", "Windows Registry Editor Version 5.00\r\n\r\n"]) {
    it(`reads a file ${header ? `with the ${header.trim()} header` : "without a header"}`, () => {
      const r = load(header + RULE);
      expect(r.diagnostics).toEqual([]);
      expect(r.rules).toHaveLength(1);
    });
  }
  it("reads LF, CR and CRLF line ends alike", () => {
    for (const eol of ["\n", "\r", "\r\n"]) {
      const r = load(RULE.replace(/\r\n/g, eol));
      expect(r.diagnostics).toEqual([]);
      expect(r.rules[0].privateHost?.words).toEqual([0xc0a80065]);
    }
  });
  it("decodes UTF-16LE with a BOM, as regedit writes by default", () => {
    const bytes = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from("Windows Registry Editor Version 5.00\r\n\r\n" + RULE, "utf16le")]);
    const r = load(decodeText(bytes));
    expect(r.diagnostics).toEqual([]);
    expect(r.rules.map((x) => x.name)).toEqual(["R"]);
    const golden = decodeText(readFileSync("test/golden/wince/office-utf16.reg"));
    expect(detectWince(golden)).toBeGreaterThan(0.5);
  });
  it("hex data continues after a trailing backslash; comments after values are dropped", () => {
    const r = load('[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\C] ; a rule\r\n  "Flags"=dword:11 ; block\r\n  "Mask"=dword:1\r\n  "PrivateHost"=hex:02,00,\\\r\n     00,00,c0,a8,\\\r\n     00,65 ; Host2\r\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.rules[0].privateHost?.words).toEqual([0xc0a80065]);
  });
  it("a ; inside a string is data, and \\\" escapes a quote", () => {
    const r = load(RULE.replace('"Flags"', '"Description"="a; \\"b\\" \\\\ c" ; comment\r\n"Flags"'));
    expect(r.rules[0].description).toBe('a; "b" \\ c');
  });
  it("value and key names are case-insensitive, as in the registry", () => {
    const r = load('[hkey_local_machine\\comm\\firewall\\rules\\Low]\r\n"flags"=DWORD:11\r\n"MASK"=dword:1\r\n"privatehost"=HEX:02,00,00,00,C0,A8,00,65\r\n');
    expect(r.diagnostics).toEqual([]);
    expect(r.rules[0]).toMatchObject({ name: "Low", action: "block" });
  });
  it("[-key] deletes a rule given earlier, and \"Name\"=- deletes a value", () => {
    const r = load(RULE + key("Gone", { Flags: "dword:11", Mask: "dword:0", PrivateHost: HOST2 }) + "[-HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\Gone]\r\n" +
      '[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\R]\r\n"Mask"=-\r\n"Mask"=dword:0\r\n"PrivateHost"=hex:02,00\r\n');
    expect(r.rules.map((x) => x.name)).toEqual(["R"]);
    expect(r.rules[0].privateHost).toBeNull();
    // The key given again, and PrivateHost given again; Mask was deleted first, so is no repeat.
    expect(r.diagnostics.map((d) => [d.code, /key given again|"PrivateHost" given again/.test(d.message)])).toEqual([["CE006", true], ["CE006", true]]);
  });
  it("detection: rule keys are wince; other text is not", () => {
    expect(detectWince(RULE)).toBeGreaterThan(0.9);
    expect(detectWince("set filter x 1 permit\n")).toBe(0);
    expect(detectWince('[{"dwFlags": 18}]')).toBeGreaterThan(0.5);
  });
});
