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
  it("reader problems keep their CE codes; a data problem names the rule and value, at the data's column", () => {
    const bad = load(key("D", { Flags: "dword:11", Mask: "dword:1", PrivateHost: "hex:02,0g" }));
    expect(bad.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([["CE004", 4, 15, 'rule "D", value "PrivateHost": bad hex byte "0g" (byte 2)']]);
    // RULE ends with a blank line, so an appended line is line 6; a value given again is also CE006.
    const codes = (text: string) => load(text).diagnostics.map((d) => [d.code, d.line, d.column]);
    expect(codes(RULE + '"Flags"=qword:1\r\n')).toEqual([["CE001", 6, 9], ["CE006", 6, 1]]);
    expect(codes(RULE + '"Flags"="11\r\n')).toEqual([["CE001", 6, 9], ["CE006", 6, 1]]);
    expect(codes(RULE + '"Flags"=dword:11 x\r\n')).toEqual([["CE001", 6, 9], ["CE006", 6, 1]]);
    expect(codes(RULE + "[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\X\r\n")).toEqual([["CE001", 6, 1]]);
    expect(codes(RULE + "REGEDIT4\r\n")).toEqual([["CE001", 6, 1]]);
    expect(codes(RULE + '"PrivateHost"=hex:02,\\')).toEqual([["CE001", 6, 15], ["CE006", 6, 1]]);
    // The unreadable Flags counts as given: no CE007 "missing", and the rule is not loaded.
    expect(load(RULE.replace("dword:11", "dword:xy")).policy).toBeNull();
    expect(load(RULE.replace("dword:11", "dword:xy")).diagnostics.map((d) => d.code)).toEqual(["CE004"]);
  });
  it("CE005: a hex(N) type other than plain hex", () => {
    const r = load(RULE.replace(HOST2, "hex(3):02,00,00,00,C0,A8,00,65"));
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.message])).toEqual([["CE005", 4, 15, 'rule "R", value "PrivateHost": value type hex(3) is not used by firewall rules (use dword:, hex: or "string")']]);
    expect(r.policy).toBeNull();
  });
  it("unreadable data is an error even in a key that is not a rule (regedit would refuse the line)", () => {
    const r = load("[HKEY_LOCAL_MACHINE\\COMM\\Firewall]\r\n\"TCPRuleTimeout\"=dword:xyz\r\n" + RULE);
    expect(r.diagnostics.map((d) => [d.code, d.line, d.severity])).toEqual([["CE003", 1, "warning"], ["CE004", 2, "error"]]);
  });
  it("a string ending in a backslash does not continue on the next line", () => {
    const r = load(RULE.replace('"Flags"', '"Description"="C:\\\\"\r\n"Flags"'));
    expect(r.diagnostics).toEqual([]);
    expect(r.rules[0].description).toBe("C:\\");
    expect(r.rules[0].action).toBe("block");
  });
  it("detection: rule keys are wince; other text is not", () => {
    expect(detectWince(RULE)).toBeGreaterThan(0.9);
    expect(detectWince("set filter x 1 permit\n")).toBe(0);
    expect(detectWince('[{"dwFlags": 18}]')).toBeGreaterThan(0.5);
  });
});
