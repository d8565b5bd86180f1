// Every diagnostic of the wince dialect: code, severity, file:line and the
// rule's key in the message; a config with an error is never loaded.
import { describe, it, expect } from "vitest";
import { load, key, HOST2, ANY4, appliance } from "./wince-helpers.ts";
import type { Diagnostic } from "../host/model/diagnostic.ts";

function only(text: string, app = undefined): Diagnostic {
  const r = load(text, app);
  expect(r.diagnostics).toHaveLength(1);
  const d = r.diagnostics[0];
  expect(d.file).toBe("rules.reg");
  if (d.severity === "error") expect(r.policy).toBeNull();
  else expect(r.policy).not.toBeNull();
  return d;
}

const base = { Flags: "dword:11", Mask: "dword:1", PrivateHost: HOST2 };
/** Line of `"Name"=` (1-based) in text. */
const lineOf = (text: string, needle: string) => text.split(/\r\n|\n/).findIndex((l) => l.includes(needle)) + 1;

describe("flags", () => {
  for (const [flags, what] of [["13", "BLOCK and ALLOW"], ["17", "all three"], ["10", "none"], ["16", "ALLOW and LOG"]]) {
    it(`CE010: ${what} of BLOCK/ALLOW/LOG`, () => {
      const text = key("Bad", { ...base, Flags: `dword:${flags}` });
      const d = only(text);
      expect(d).toMatchObject({ severity: "error", code: "CE010", line: lineOf(text, '"Flags"'), column: 1 });
      expect(d.message).toContain('rule "Bad"');
    });
  }
  for (const [flags, what] of [["19", "both directions"], ["01", "no direction"]]) {
    it(`CE011: ${what}`, () => {
      expect(only(key("Bad", { ...base, Flags: `dword:${flags}` }))).toMatchObject({ severity: "error", code: "CE011", line: 2 });
    });
  }
  it("CE012: flag bits the API does not define", () => {
    expect(only(key("Bad", { ...base, Flags: "dword:51" }))).toMatchObject({ severity: "error", code: "CE012" });
  });
  it("CE012: mask bits the API does not define", () => {
    expect(only(key("Bad", { ...base, Mask: "dword:2001" }))).toMatchObject({ severity: "error", code: "CE012" });
  });
  it("CE007: Flags, Mask or PrivateHost missing", () => {
    for (const drop of ["Flags", "Mask", "PrivateHost"]) {
      const v: Record<string, string> = { ...base, Mask: "dword:0", PrivateHost: ANY4 };
      delete v[drop];
      const d = only(key("Bad", v));
      expect(d).toMatchObject({ severity: "error", code: "CE007", line: 1 });
      expect(d.message).toContain(drop);
    }
  });
});

describe("mask bits and values", () => {
  const cases: [string, Record<string, string>][] = [
    ["FWM_PRIVATE_HOST with only a family", { Mask: "dword:1" }],
    ["FWM_PUBLIC_HOST", { Mask: "dword:2" }],
    ["FWM_PORT", { Mask: "dword:4" }],
    ["FWM_PORT with PortMin only", { Mask: "dword:4", PortMin: "dword:1" }],
    ["FWM_TYPE", { Mask: "dword:28", Protocol: "dword:1" }],
    ["FWM_CODE", { Mask: "dword:30", Protocol: "dword:1" }],
    ["FWM_PROTOCOL", { Mask: "dword:20" }],
    ["FWM_TIME_OF_DAY", { Mask: "dword:80", HourStart: "dword:1" }],
    ["FWM_DAY_OF_WEEK", { Mask: "dword:100" }],
    ["FWM_DAY", { Mask: "dword:200" }],
    ["FWM_MONTH", { Mask: "dword:400" }],
    ["FWM_PUBLIC_HOST_MASK", { Mask: "dword:802", PublicHost: "hex:02,00,00,00,01,02,03,04" }],
    ["FWM_PUBLIC_HOST_PREFIX", { Mask: "dword:1002", PublicHost: "hex:02,00,00,00,01,02,03,04" }],
  ];
  for (const [bit, values] of cases) {
    it(`CE020: ${bit} without its value`, () => {
      const text = key("NoValue", { Flags: "dword:11", PrivateHost: ANY4, ...values });
      const d = only(text);
      expect(d).toMatchObject({ severity: "error", code: "CE020" });
      expect(d.message).toContain('rule "NoValue"');
    });
  }
  it("CE020: FWM_ACTION without Action", () => {
    expect(only(key("L", { Flags: "dword:14", Mask: "dword:40", PrivateHost: ANY4 }))).toMatchObject({ code: "CE020" });
  });

  const ignored: [string, Record<string, string>][] = [
    ["Port", { Port: "dword:19" }],
    ["PublicHost", { PublicHost: "hex:02,00,00,00,01,02,03,04" }],
    ["Protocol", { Protocol: "dword:6" }],
    ["Type", { Type: "dword:8" }],
    ["HourStart", { HourStart: "dword:8" }],
    ["Month", { Month: "dword:1" }],
  ];
  for (const [name, values] of ignored) {
    it(`CE021: ${name} without its mask bit is ignored, with a warning`, () => {
      const text = key("Extra", { ...base, ...values });
      const r = load(text);
      expect(r.diagnostics).toHaveLength(1);
      expect(r.diagnostics[0]).toMatchObject({ severity: "warning", code: "CE021", line: lineOf(text, `"${name}"`) });
      expect(r.rules[0]).toMatchObject({ protocol: null, ports: null, publicHost: null, icmpType: null, hours: null, month: null });
    });
  }
  it("CE021: a PrivateHost address without FWM_PRIVATE_HOST: the rule covers every host of the family", () => {
    const r = load(key("Wide", { ...base, Mask: "dword:0" }));
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([["CE021", "warning"]]);
    expect(r.rules[0].privateHost).toBeNull();
  });

  it("CE023: PortMin > PortMax", () => {
    const text = key("Backwards", { ...base, Mask: "dword:5", PortMin: "dword:100", PortMax: "dword:50" });
    expect(only(text)).toMatchObject({ severity: "error", code: "CE023", line: lineOf(text, "PortMin") });
  });
});

describe("addresses", () => {
  for (const [bytes, why] of [
    ["hex:02", "one byte"], ["hex:05,00", "unknown family"], ["hex:02,00,00,00,c0,a8,00", "7 bytes"],
    ["hex:17,00,00,00,fd,00", "short IPv6"], ["hex:02,00,00,00,c0,a8,00,65,00,00,00,00,00,00,00,00,00,00,00,01", "non-zero tail"],
  ]) {
    it(`CE022: ${why}`, () => {
      const text = key("Addr", { ...base, PrivateHost: bytes });
      expect(only(text)).toMatchObject({ severity: "error", code: "CE022", line: lineOf(text, "PrivateHost") });
    });
  }
  it("CE022: a non-contiguous PublicHostMask", () => {
    expect(only(key("M", { ...base, Mask: "dword:803", PublicHost: "hex:02,00,00,00,01,02,03,04", PublicHostMask: "hex:ff,00,ff,00" }))).toMatchObject({ code: "CE022" });
  });
  it("CE025: PublicHost of the other family than PrivateHost", () => {
    expect(only(key("F", { ...base, Mask: "dword:3", PublicHost: "hex:17,00,00,00,20,01,0d,b8,00,00,00,00,00,00,00,00,00,00,00,01" }))).toMatchObject({ code: "CE025" });
  });
});

describe("conflicts and decisions", () => {
  const pub = "hex:02,00,00,00,01,02,03,04";
  it("CE025: FWM_PUBLIC_HOST_MASK and FWM_PUBLIC_HOST_PREFIX both set", () => {
    const d = only(key("Both", { ...base, Mask: "dword:1803", PublicHost: pub, PublicHostMask: "hex:ff,ff,ff,00", PublicHostPrefixLength: "dword:18" }));
    expect(d).toMatchObject({ severity: "error", code: "CE025" });
    expect(d.message).toContain("FWM_PUBLIC_HOST_PREFIX");
  });
  it("CE025: a subnet bit without FWM_PUBLIC_HOST", () => {
    expect(only(key("S", { ...base, Mask: "dword:1001", PublicHostPrefixLength: "dword:18" }))).toMatchObject({ code: "CE025" });
  });
  it("CE025: PublicHostMask on an IPv6 rule", () => {
    expect(only(key("S", { Flags: "dword:11", Mask: "dword:802", PrivateHost: "hex:17,00", PublicHost: "hex:17,00,00,00,20,01,0d,b8,00,00,00,00,00,00,00,00,00,00,00,01", PublicHostMask: "hex:ff,ff,ff,00" }))).toMatchObject({ code: "CE025" });
  });
  it("CE025: FWM_PORT with FWM_TYPE (they share storage in FW_RULE)", () => {
    const r = load(key("PT", { ...base, Mask: "dword:2d", Protocol: "dword:1", Port: "dword:1", Type: "dword:8" }));
    expect(r.diagnostics.filter((d) => d.severity === "error").map((d) => d.code)).toEqual(["CE025"]);
    expect(r.policy).toBeNull();
  });
  it("CE025: an ICMP type with protocol TCP", () => {
    expect(only(key("T", { ...base, Mask: "dword:29", Protocol: "dword:6", Type: "dword:8" }))).toMatchObject({ code: "CE025" });
  });
  it("CE025: Port together with PortMin/PortMax", () => {
    expect(only(key("P", { ...base, Mask: "dword:5", Port: "dword:1", PortMin: "dword:1", PortMax: "dword:2" }))).toMatchObject({ code: "CE025" });
  });
  it("CE025: FWM_ACTION on a rule that is not a logging rule", () => {
    expect(only(key("A", { ...base, Mask: "dword:41", Action: "dword:1" }))).toMatchObject({ code: "CE025" });
  });
  it("CE027: Action = FWA_ALLOW_RESPONSE is not supported", () => {
    expect(only(key("A", { Flags: "dword:14", Mask: "dword:40", PrivateHost: ANY4, Action: "dword:3" }))).toMatchObject({ severity: "error", code: "CE027" });
  });
  it("CE029: an ICMP type without FWM_PROTOCOL says it is taken as ICMP", () => {
    expect(only(key("T", { ...base, Mask: "dword:9", Type: "dword:8" }))).toMatchObject({ severity: "warning", code: "CE029" });
  });
  it("CE026: a port test with a protocol that has no ports never matches", () => {
    expect(only(key("P", { ...base, Mask: "dword:25", Protocol: "dword:1", Port: "dword:1" }))).toMatchObject({ severity: "warning", code: "CE026" });
  });
  it("CE026: 31 February never comes", () => {
    expect(only(key("D", { ...base, Mask: "dword:601", Day: "dword:1f", Month: "dword:2" }))).toMatchObject({ severity: "warning", code: "CE026" });
  });
  it("CE028: HourStart == HourEnd is the whole day (warning)", () => {
    expect(only(key("H", { ...base, Mask: "dword:81", HourStart: "dword:3", HourEnd: "dword:3" }))).toMatchObject({ severity: "warning", code: "CE028" });
  });
  it("CE030: a BLOCK that an ALLOW fully covers never blocks", () => {
    const text = key("B", { ...base, Mask: "dword:21", Protocol: "dword:6" }) + key("A", { ...base, Flags: "dword:12", Mask: "dword:0", PrivateHost: ANY4 });
    expect(only(text)).toMatchObject({ severity: "warning", code: "CE030", line: 1 });
  });
  it("CE031: no public interface: rules never apply", () => {
    const app = appliance({ interfaces: [{ name: "lan", role: "private", addresses: ["192.168.0.1/24"] }] });
    const r = load(key("B", base), app);
    expect(r.diagnostics.map((d) => d.code)).toContain("CE031");
  });
});

describe("values and syntax", () => {
  it("CE024: unknown value names are ignored with a warning", () => {
    const text = key("U", { ...base, Colour: '"blue"' });
    expect(only(text)).toMatchObject({ severity: "warning", code: "CE024", line: lineOf(text, "Colour") });
  });
  it("CE005: a string where a dword belongs", () => {
    expect(only(key("W", { ...base, Flags: '"17"' }))).toMatchObject({ severity: "error", code: "CE005" });
  });
  it("CE005: a dword where hex bytes belong", () => {
    expect(only(key("W", { ...base, PrivateHost: "dword:2" }))).toMatchObject({ severity: "error", code: "CE005" });
  });
  it("CE004: a bad dword, a bad hex byte, a number out of range", () => {
    expect(only(key("D", { ...base, Flags: "dword:123456789" }))).toMatchObject({ code: "CE004", line: 2, column: 9 });
    expect(only(key("D", { ...base, PrivateHost: "hex:02,0g" }))).toMatchObject({ code: "CE004" });
    expect(only(key("D", { ...base, Mask: "dword:21", Protocol: "dword:100" }))).toMatchObject({ code: "CE004" });
    expect(only(key("D", { ...base, Mask: "dword:81", HourStart: "dword:18", HourEnd: "dword:1" }))).toMatchObject({ code: "CE004" });
  });
  it("CE001: a line regedit would not read", () => {
    const d = only(key("S", base) + "Flags=dword:1\r\n");
    expect(d).toMatchObject({ severity: "error", code: "CE001", line: 6 });
  });
  it("CE002: a value before any key", () => {
    expect(only('"Flags"=dword:11\r\n' + key("S", base))).toMatchObject({ code: "CE002", line: 1 });
  });
  it("CE003: keys that are not rules are ignored with a warning", () => {
    const text = "[HKEY_LOCAL_MACHINE\\COMM\\Tcpip]\r\n\"X\"=dword:1\r\n" + key("S", base);
    expect(only(text)).toMatchObject({ severity: "warning", code: "CE003", line: 1 });
  });
  it("CE006: a value given twice: warning, the later wins", () => {
    const text = key("S", base).replace('"Flags"=dword:11', '"Flags"=dword:12\r\n"Flags"=dword:11');
    const r = load(text);
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([["CE006", 3]]);
    expect(r.rules[0].action).toBe("block");
  });
  it("CE040: the JSON form that is not JSON, with its line", () => {
    const d = only('[\n  {"dwFlags": 17,\n   "dwMask": }\n]');
    expect(d).toMatchObject({ code: "CE040", line: 3 });
  });
  it("JSON diagnostics carry the field's line", () => {
    const text = '[\n {"name": "J",\n  "dwFlags": "FWF_BLOCK | FWF_ALLOW | FWF_OUTBOUND",\n  "dwMask": 0,\n  "PrivateHost": {"Family": "AF_INET"}}\n]';
    expect(only(text)).toMatchObject({ code: "CE010", line: 3 });
    expect(only(text.replace('"AF_INET"', '"AF_IPX"').replace("FWF_BLOCK | ", ""))).toMatchObject({ code: "CE004", line: 5 });
  });
});
