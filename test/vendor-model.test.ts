// The dialect contract: every front end's load result carries its vendor
// model beside the neutral Policy, and `show` prints from that model; a
// result without one is never printed as if it were loaded.
import { describe, it, expect } from "vitest";
import type { Policy } from "../host/model/rule.ts";
import type { LoadOptions } from "../host/dialects/dialect.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON } from "../host/model/appliance.ts";
import { portmaster } from "../host/dialects/portmaster/index.ts";
import { winfwDialect } from "../host/dialects/winfw/index.ts";
import { wince } from "../host/dialects/wince/index.ts";
import { instagateDialect } from "../host/dialects/instagate/index.ts";

const opts: LoadOptions = { appliance: parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in"), strict: false, options: {} };
const file = (path: string, text: string) => [{ path, text }];

describe("the vendor model beside the Policy", () => {
  it("PortMaster: the filters as written, and show prints from them", () => {
    const r = portmaster.load(file("a.cfg", "add filter f\nset filter f 1 deny tcp dst eq 23\nset filter f 2 permit\nset lan ifilter f\n"), opts);
    expect(r.policy).not.toBeNull();
    expect(r.vendor).not.toBeNull();
    expect(portmaster.show(r, opts)).toContain("set filter f 1 deny");
  });
  it("Windows CE: every rule read, disabled ones included", () => {
    const key = (name: string, flags: string) =>
      `[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\${name}]\r\n"Flags"=dword:${flags}\r\n"Mask"=dword:1\r\n"PrivateHost"=hex:02,00,00,00,c0,a8,00,65\r\n\r\n`;
    const text = "Windows Registry Editor Version 5.00\r\n\r\n" + key("Off", "31") + key("On", "11");
    const r = wince.load(file("r.reg", text), opts);
    expect(r.vendor?.map((x) => x.name).sort()).toEqual(["Off", "On"]);
    expect(wince.show(r, opts)).toContain("[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\On]");
  });
  it("Windows Firewall: the merged exceptions and the profile", () => {
    const r = winfwDialect.load(file("l.txt", "80:TCP:*:enabled:Web\n"), opts);
    expect(r.vendor?.profile).toBe("standard");
    expect(r.vendor?.exceptions.length).toBe(1);
    expect(winfwDialect.show(r, opts)).toContain("80:TCP");
  });
  it("InstaGate: the table as written and its lowering", () => {
    const r = instagateDialect.load(file("t.txt", "1) Accept Rule\nAction Accept\nInterface LAN\nSource Match - Include\nSource Address or Network - Object - ANY\nDestination Match - Include\nDestination Address or Network - Object - ANY\nServices - Any\n"), opts);
    expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    expect(r.vendor?.table.rules).toHaveLength(1);
    expect(r.vendor?.lowered).not.toBeNull();
  });
  it("a result without a vendor model: portmaster throws, winfw says so, wince prints nothing", () => {
    const foreign = { policy: {} as Policy, diagnostics: [], vendor: null };
    expect(() => portmaster.show(foreign, opts)).toThrow(/not a configuration this dialect loaded/);
    expect(winfwDialect.show(foreign, opts)).toBe("# not loaded\n");
    expect(wince.show(foreign, opts)).toBe("");
  });
  it("the dialect's rule number is in the provenance, not parsed back out of a label", () => {
    const pm = portmaster.load(file("a.cfg", "add filter f\nset filter f 7 deny tcp dst eq 23\nset lan ifilter f\n"), opts);
    expect(pm.policy!.rulesets[0].rules[0].origin.number).toBe(7);
    const ig = instagateDialect.load(file("t.txt", "4) Accept Rule\nAction Accept\nInterface LAN\nSource Match - Include\nSource Address or Network - Object - ANY\nDestination Match - Include\nDestination Address or Network - Object - ANY\nServices - Any\n"), opts);
    const origins = ig.policy!.rulesets.flatMap((rs) => rs.rules.map((r) => r.origin));
    expect(origins.length).toBeGreaterThan(0);
    expect(origins.every((o) => o.number === 4)).toBe(true);
  });
  it("a file that fails still gives the vendor model it could read, and no Policy", () => {
    const r = portmaster.load(file("b.cfg", "add filter f\nset filter f 1 frobnicate\n"), opts);
    expect(r.policy).toBeNull();
    expect(r.diagnostics.some((d) => d.severity === "error")).toBe(true);
  });
});
