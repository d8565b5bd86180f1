// Every invalid definition string: its diagnostic (line, column, code,
// message). As on Windows, an invalid string opens nothing and the rest of
// the list keeps working: a warning saying so, an error with --strict.
import { describe, it, expect } from "vitest";
import { load, list, diags, decider } from "./winfw-helpers.ts";

const OPENS_NOTHING = "; this entry is invalid and opens nothing";
const lax = (d: string) => d.replace(" error[", " warning[");
import { parseDefinition } from "../host/dialects/winfw/definition.ts";

describe("invalid definition strings", () => {
  it.each([
    ["80", "1:1 error[WF001] expected PORT:TRANSPORT:SCOPE:STATUS:NAME (5 fields), found 1"],
    ["80:TCP", "1:1 error[WF001] expected PORT:TRANSPORT:SCOPE:STATUS:NAME (5 fields), found 2"],
    ["80:TCP:*", "1:1 error[WF001] expected PORT:TRANSPORT:SCOPE:STATUS:NAME (5 fields), found 3"],
    ["80:TCP:*:enabled", "1:17 error[WF001] expected PORT:TRANSPORT:SCOPE:STATUS:NAME (5 fields), found 4: the NAME is missing"],
    ["80:TCP:*:maybe", "1:1 error[WF001] expected PORT:TRANSPORT:SCOPE:STATUS:NAME (5 fields), found 4"],
    ["0:TCP:*:enabled:x", "1:1 error[WF003] port 0 is out of range (1 to 65535)"],
    ["65536:TCP:*:enabled:x", "1:1 error[WF003] port 65536 is out of range (1 to 65535)"],
    ["99999999:UDP:*:enabled:x", "1:1 error[WF003] port 99999999 is out of range (1 to 65535)"],
    ["http:TCP:*:enabled:x", '1:1 error[WF002] port "http" is not a decimal number'],
    ["-1:TCP:*:enabled:x", '1:1 error[WF002] port "-1" is not a decimal number'],
    ["80-90:TCP:*:enabled:x", '1:1 error[WF002] port "80-90" is not a decimal number'],
    ["80:ICMP:*:enabled:x", '1:4 error[WF004] unknown transport "ICMP" (TCP or UDP)'],
    ["80::*:enabled:x", '1:4 error[WF004] unknown transport "" (TCP or UDP)'],
    ["80:TCP:*:on:x", '1:10 error[WF008] unknown status "on" (enabled or disabled)'],
    ["80:TCP::enabled:x", "1:8 error[WF007] empty scope (use * for all networks)"],
    ["80:TCP:*,10.0.0.1:enabled:x", "1:8 error[WF007] * stands for all networks and must be the whole scope"],
    ["80:TCP:10.0.0.1,,10.0.0.2:enabled:x", "1:17 error[WF005] empty scope item (a stray comma?)"],
    ["80:TCP:10.0.0.1,:enabled:x", "1:17 error[WF005] empty scope item (a stray comma?)"],
    ["80:TCP:10.0.0.256:enabled:x", '1:8 error[WF005] bad scope item "10.0.0.256" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *)'],
    ["80:TCP:10.0.0.1,fileserver:enabled:x", '1:17 error[WF005] bad scope item "fileserver" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *)'],
    ["80:TCP:10.0.0.0-10.0.0.9:enabled:x", '1:8 error[WF005] bad scope item "10.0.0.0-10.0.0.9" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *)'],
    ["80:TCP:10.0.0.0/33:enabled:x", '1:8 error[WF005] bad prefix length "33" in "10.0.0.0/33" (0 to 32, or a dotted mask)'],
    ["80:TCP:10.0.0.0/:enabled:x", '1:8 error[WF005] bad prefix length "" in "10.0.0.0/" (0 to 32, or a dotted mask)'],
    ["80:TCP:10.0.0.0/255.0.255.0:enabled:x", '1:8 error[WF005] bad subnet mask "255.0.255.0" in "10.0.0.0/255.0.255.0" (a dotted mask must be contiguous ones, like 255.255.255.0)'],
    ["80:TCP:10.0.0.0/255.255.0:enabled:x", '1:8 error[WF005] bad subnet mask "255.255.0" in "10.0.0.0/255.255.0" (a dotted mask must be contiguous ones, like 255.255.255.0)'],
    ["80:TCP:2001:db8::1:enabled:x", '1:8 error[WF006] IPv6 address "2001:db8::1" in the scope: Windows Firewall accepts IPv6 sources only as * or localsubnet'],
    ["80:TCP:10.0.0.1,2001:db8::/32:enabled:x", '1:17 error[WF006] IPv6 address "2001:db8::/32" in the scope: Windows Firewall accepts IPv6 sources only as * or localsubnet'],
    ["80:TCP:::1:disabled:x", '1:8 error[WF006] IPv6 address "::1" in the scope: Windows Firewall accepts IPv6 sources only as * or localsubnet'],
  ])("%j", (text, expected) => {
    const strict = load(list(text), { strict: true });
    expect(diags(strict)).toEqual([expected + OPENS_NOTHING]);
    expect(strict.policy).toBeNull();
    const r = load(list(text));
    expect(diags(r)).toEqual([lax(expected) + OPENS_NOTHING]);
    expect(r.policy).not.toBeNull();
    expect(r.policy!.rulesets.flatMap((rs) => rs.rules)).toEqual([]); // it opens nothing
  });

  it("reports every flaw of one string, at its column, on its line", () => {
    const r = load(list("# header", "80:TCP:*:enabled:ok", "   0:SCTP:10.0.0.300:on:bad"), { strict: true });
    expect(diags(r)).toEqual([
      '3:4 error[WF003] port 0 is out of range (1 to 65535)' + OPENS_NOTHING,
      '3:6 error[WF004] unknown transport "SCTP" (TCP or UDP)',
      '3:11 error[WF005] bad scope item "10.0.0.300" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *)',
      '3:22 error[WF008] unknown status "on" (enabled or disabled)',
    ]);
    expect(r.policy).toBeNull();
    expect(diags(load(list("# header", "80:TCP:*:enabled:ok", "   0:SCTP:10.0.0.300:on:bad")))[0]).toBe(
      '3:4 warning[WF003] port 0 is out of range (1 to 65535)' + OPENS_NOTHING);
  });

  it("a list with an invalid line still loads and gives the verdicts of its valid lines", async () => {
    const r = load(list("80:TCP:*:enabled:web", "443:TCP:10.0.0.1,nonsense:enabled:bad", "25:TCP:10.0.0.0/8:enabled:mail", "22:TCPX:*:enabled:typo"));
    expect(diags(r)).toEqual([
      '2:18 warning[WF005] bad scope item "nonsense" (an IPv4 address, ADDRESS/BITS, ADDRESS/MASK, localsubnet or *)' + OPENS_NOTHING,
      '4:4 warning[WF004] unknown transport "TCPX" (TCP or UDP)' + OPENS_NOTHING,
    ]);
    expect(r.policy).not.toBeNull();
    const v = await decider(r.policy!);
    expect(v("tcp 198.51.100.1:4000 > 192.168.0.10:80 in=wan out=lan")).toBe("permit");
    expect(v("tcp 10.1.2.3:4000 > 192.168.0.10:25 in=wan out=lan")).toBe("permit");
    expect(v("tcp 198.51.100.1:4000 > 192.168.0.10:25 in=wan out=lan")).toBe("deny");
    expect(v("tcp 10.0.0.1:4000 > 192.168.0.10:443 in=wan out=lan")).toBe("deny"); // the invalid entry opens nothing
    expect(v("tcp 198.51.100.1:4000 > 192.168.0.10:22 in=wan out=lan")).toBe("deny");
  });

  it("an invalid string opens nothing, even when the rest of the list is valid", () => {
    // Errors stop the load; the parse itself yields no definition for the bad string.
    expect(parseDefinition("80:TCP:10.0.0.1,nonsense:enabled:x").definition).toBeNull();
    expect(parseDefinition("80:TCP:10.0.0.1:enabled:x").definition).not.toBeNull();
  });

  it("accepts a NAME that contains colons, and spaces around fields", () => {
    const d = parseDefinition(" 8080 : tcp : 10.0.0.1 , localsubnet : Enabled :Proxy: port 8080");
    expect(d.problems).toEqual([]);
    expect(d.definition).toMatchObject({ port: 8080, transport: "TCP", status: "enabled", name: "Proxy: port 8080" });
    expect(d.definition!.scope.map((s) => s.kind)).toEqual(["prefix", "localsubnet"]);
  });
});
