// winfw from regedit exports: the policy list, the local list, the Enabled
// and AllowUserPrefMerge settings that decide which lists count, profiles,
// and the diagnostics for what the exports hold.
import { describe, it, expect } from "vitest";
import { load, diags, decider } from "./winfw-helpers.ts";

const POL = "HKEY_LOCAL_MACHINE\\SOFTWARE\\Policies\\Microsoft\\WindowsFirewall";
const LOC = "HKEY_LOCAL_MACHINE\\SYSTEM\\CurrentControlSet\\Services\\SharedAccess\\Parameters\\FirewallPolicy";

function reg(...lines: string[]): string {
  return ["Windows Registry Editor Version 5.00", "", ...lines, ""].join("\r\n");
}
function settings(profile: string, enabled: number | null, merge: number | null): string[] {
  const out = [`[${POL}\\${profile}\\GloballyOpenPorts]`];
  if (enabled !== null) out.push(`"Enabled"=dword:0000000${enabled}`);
  if (merge !== null) out.push(`"AllowUserPrefMerge"=dword:0000000${merge}`);
  return out;
}
const policyList = (profile: string, ...defs: string[]) => [`[${POL}\\${profile}\\GloballyOpenPorts\\List]`, ...defs.map((d) => `"${d.split(":").slice(0, 2).join(":")}"="${d}"`)];
const localList = (profile: string, ...defs: string[]) => [`[${LOC}\\${profile}\\GloballyOpenPorts\\List]`, ...defs.map((d) => `"${d.split(":").slice(0, 2).join(":")}"="${d}"`)];

const POLICY_80 = "80:TCP:*:enabled:Web (policy)";
const LOCAL_22 = "22:TCP:*:enabled:SSH (local)";

async function opened(files: Record<string, string>, profile?: string): Promise<{ p80: string; p22: string; d: string[] }> {
  const r = load(files, { profile });
  const dec = await decider(r.policy!);
  return {
    p80: dec("tcp 198.51.100.1:1 > 192.168.0.10:80 in=wan out=lan"),
    p22: dec("tcp 198.51.100.1:1 > 192.168.0.10:22 in=wan out=lan"),
    d: diags(r),
  };
}

describe("policy and local lists", () => {
  it("Enabled=1 and AllowUserPrefMerge=1: both lists count", async () => {
    const o = await opened({ "a.reg": reg(...settings("StandardProfile", 1, 1), ...policyList("StandardProfile", POLICY_80), ...localList("StandardProfile", LOCAL_22)) });
    expect(o).toEqual({ p80: "permit", p22: "permit", d: [] });
  });
  it("Enabled=1 and AllowUserPrefMerge=0: the local list is ignored, and that is said", async () => {
    const o = await opened({ "a.reg": reg(...settings("StandardProfile", 1, 0), ...policyList("StandardProfile", POLICY_80), ...localList("StandardProfile", LOCAL_22)) });
    expect(o).toEqual({ p80: "permit", p22: "deny", d: ["a.reg:8:1 warning[WF025] the local list (1 entry) is ignored: AllowUserPrefMerge=0 at a.reg:5 (local port exceptions are not allowed)"] });
  });
  it("Enabled=1 without AllowUserPrefMerge: the local list is ignored", async () => {
    const o = await opened({ "a.reg": reg(...settings("StandardProfile", 1, null), ...policyList("StandardProfile", POLICY_80), ...localList("StandardProfile", LOCAL_22)) });
    expect(o).toEqual({ p80: "permit", p22: "deny", d: ["a.reg:7:1 warning[WF025] the local list (1 entry) is ignored: AllowUserPrefMerge is not set (local port exceptions are not allowed)"] });
  });
  it("Enabled=0: the policy list is dropped; the local list counts only with AllowUserPrefMerge=1", async () => {
    const files = (merge: number) => ({ "a.reg": reg(...settings("StandardProfile", 0, merge), ...policyList("StandardProfile", POLICY_80), ...localList("StandardProfile", LOCAL_22)) });
    expect(await opened(files(1))).toEqual({ p80: "deny", p22: "permit", d: ["a.reg:6:1 warning[WF023] the policy list (1 entry) is ignored: Enabled=0 at a.reg:4 (the policy setting is disabled)"] });
    const o = await opened(files(0));
    expect([o.p80, o.p22]).toEqual(["deny", "deny"]);
    expect(o.d.map((x) => x.split(" ")[1])).toEqual(["warning[WF023]", "warning[WF025]"]);
  });
  it("policy not configured: the local list alone counts", async () => {
    expect(await opened({ "l.reg": reg(...localList("StandardProfile", LOCAL_22)) })).toEqual({ p80: "deny", p22: "permit", d: [] });
    const o = await opened({ "a.reg": reg(...policyList("StandardProfile", POLICY_80), ...localList("StandardProfile", LOCAL_22)) });
    expect(o).toEqual({ p80: "deny", p22: "permit", d: ["a.reg:3:1 warning[WF024] the policy list (1 entry) is ignored: GloballyOpenPorts\\Enabled is not set (the policy is not configured)"] });
  });
  it("lists may come from separate files, and a policy disabled entry overrides a local enabled one", async () => {
    const r = load({
      "policy.reg": reg(...settings("StandardProfile", 1, 1), ...policyList("StandardProfile", "22:TCP:*:disabled:no ssh", POLICY_80)),
      "local.reg": reg(...localList("StandardProfile", LOCAL_22)),
    });
    expect(diags(r)).toEqual(["policy.reg:7:11 warning[WF010] 22/TCP: disabled at line 7 (policy list) overrides enabled at local.reg:4 (local list); the port is not opened"]);
    const d = await decider(r.policy!);
    expect(d("tcp 198.51.100.1:1 > 192.168.0.10:22 in=wan out=lan")).toBe("deny");
    expect(d("tcp 198.51.100.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
  });
  it("scopes of policy and local entries for one port are combined", async () => {
    const r = load({ "a.reg": reg(...settings("StandardProfile", 1, 1), ...policyList("StandardProfile", "80:TCP:10.0.0.1:enabled:a"), ...localList("StandardProfile", "80:TCP:10.0.0.2:enabled:b")) });
    expect(diags(r)).toEqual(["a.reg:9:11 warning[WF011] 80/TCP: the scopes of lines 7 (policy list) and 9 (local list) are combined; the port is open to 10.0.0.1,10.0.0.2"]);
    const d = await decider(r.policy!);
    expect(d("tcp 10.0.0.2:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp 10.0.0.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(d("tcp 10.0.0.3:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
  });
});

describe("profiles", () => {
  const both = { "a.reg": reg(...settings("StandardProfile", 1, 0), ...policyList("StandardProfile", POLICY_80), ...settings("DomainProfile", 1, 0), ...policyList("DomainProfile", LOCAL_22)) };
  it("standard is the default; --profile domain picks the domain keys", async () => {
    expect(await opened(both)).toEqual({ p80: "permit", p22: "deny", d: [] });
    expect(await opened(both, "domain")).toEqual({ p80: "deny", p22: "permit", d: [] });
    expect(await opened(both, "DOMAIN")).toEqual({ p80: "deny", p22: "permit", d: [] });
  });
  it("warns when the chosen profile has nothing but the other one has", () => {
    const r = load({ "d.reg": reg(...settings("DomainProfile", 1, 0), ...policyList("DomainProfile", POLICY_80)) });
    expect(diags(r)).toEqual(["d.reg:1:1 warning[WF026] no GloballyOpenPorts settings for the standard profile (d.reg:3 has the domain profile's: use --profile domain); nothing is opened"]);
  });
});

describe("what an export may hold", () => {
  it("points at the bad item inside a registry string, escapes included", () => {
    const r = load({ "a.reg": reg(`[${LOC}\\StandardProfile\\GloballyOpenPorts\\List]`, '"80:TCP"="80:TCP:10.0.0.1,bogus:enabled:Say \\"hi\\""') });
    expect(diags(r)).toEqual(['a.reg:4:27 warning[WF005] bad scope item "bogus" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *); this entry is invalid and opens nothing']);
    expect(r.policy!.rulesets[0].rules).toEqual([]);
  });
  it("a list value must be a string; the settings must be dword 0 or 1", () => {
    const r = load({ "a.reg": reg(`[${POL}\\StandardProfile\\GloballyOpenPorts]`, '"Enabled"=dword:00000002', '"AllowUserPrefMerge"="1"', `[${POL}\\StandardProfile\\GloballyOpenPorts\\List]`, '"80:TCP"=dword:00000050') });
    expect(diags(r)).toEqual([
      "a.reg:4:11 error[WF027] Enabled must be dword:00000000 or dword:00000001",
      "a.reg:5:22 error[WF027] AllowUserPrefMerge must be dword:00000000 or dword:00000001",
      'a.reg:7:10 error[WF021] list value "80:TCP" must be a string (a definition PORT:TRANSPORT:SCOPE:STATUS:NAME)',
    ]);
  });
  it("regedit syntax errors are errors with their place", () => {
    const r = load({ "a.reg": reg(`[${LOC}\\StandardProfile\\GloballyOpenPorts\\List]`, '"80:TCP"=qword:1') });
    expect(diags(r)).toEqual(['a.reg:4:10 error[WF107] unknown value type: "qword:1" (a "string", dword:, hex: or -)']);
  });
  it("other firewall settings are named as not applied, not dropped silently", () => {
    const r = load({ "a.reg": reg(`[${POL}\\StandardProfile]`, '"EnableFirewall"=dword:00000001', '"DoNotAllowExceptions"=dword:00000000', ...localList("StandardProfile", LOCAL_22)) });
    expect(diags(r)).toEqual([`a.reg:3:1 warning[WF028] key ${POL}\\StandardProfile is not a port exceptions list of the standard profile; its values "EnableFirewall", "DoNotAllowExceptions" are not applied`]);
  });
  it("keys and value names are case-insensitive, HKLM and ControlSet001 are accepted, later values win, deletions apply", async () => {
    const r = load({ "a.reg": [
      "REGEDIT4",
      `[HKLM\\SYSTEM\\ControlSet001\\Services\\SharedAccess\\Parameters\\FirewallPolicy\\standardprofile\\globallyopenports\\list]`,
      '"22:TCP"="22:TCP:10.0.0.9:enabled:old"',
      '"80:TCP"="80:TCP:*:enabled:web"',
      `[${LOC}\\StandardProfile\\GloballyOpenPorts\\List]`,
      '"22:tcp"="22:TCP:*:enabled:new"',
      '"80:TCP"=-',
    ].join("\n") });
    expect(diags(r)).toEqual([]);
    const d = await decider(r.policy!);
    expect(d("tcp 198.51.100.1:1 > 192.168.0.10:22 in=wan out=lan")).toBe("permit");
    expect(d("tcp 198.51.100.1:1 > 192.168.0.10:80 in=wan out=lan")).toBe("deny");
  });
});
