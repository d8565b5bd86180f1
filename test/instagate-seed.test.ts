// Seed 003's two configurations, as the seed writes them (test/golden/instagate/),
// with the internal mail server at 192.168.0.25 and the appliance's LAN IP
// 192.168.0.1 (the built-in appliance: lan 192.168.0.1/24, wan 10.0.0.1/24).
import { describe, it, expect } from "vitest";
import { verdict, check } from "./helpers/instagate.ts";

const G = "test/golden/instagate";
const LITERAL = `${G}/internal-mail-server.txt`;
const PLACEHOLDER = `${G}/internal-mail-server-placeholder.txt`;
const SWAPPED = `${G}/internal-mail-server-swapped.txt`;
const INSTAGATE = `${G}/instagate-mail-server.txt`;

describe.each([
  ["address written in", LITERAL],
  ["placeholder resolved through an object", PLACEHOLDER],
])("internal mail server (%s)", (_, file) => {
  it("loads without diagnostics", async () => {
    const c = await check(file);
    expect(c.code).toBe(0);
    expect(c.diagnostics).toEqual([]);
  });
  it("accepts SMTP from the mail server to any WAN host, by the Accept rule", async () => {
    const v = await verdict(file, "tcp 192.168.0.25:40000 > 203.0.113.5:25");
    expect(v).toMatchObject({ verdict: "permit", label: 'LAN rule 1 "Accept Rule"' });
  });
  it("denies SMTP from another LAN client to a WAN host, by the Deny rule", async () => {
    const v = await verdict(file, "tcp 192.168.0.77:40000 > 198.51.100.9:25");
    expect(v).toMatchObject({ verdict: "deny", label: 'LAN rule 2 "Deny Rule"' });
  });
  it("leaves non-SMTP traffic to the LAN default (accepted)", async () => {
    for (const p of ["tcp 192.168.0.77:40000 > 198.51.100.9:80", "udp 192.168.0.77:40000 > 198.51.100.9:25", "tcp 192.168.0.25:40000 > 198.51.100.9:587", "icmp 192.168.0.77 > 198.51.100.9"]) {
      const v = await verdict(file, p);
      expect(v, p).toMatchObject({ verdict: "permit", line: null });
      expect(v.reason).toMatch(/default/);
    }
  });
});

describe("the two rules swapped (the seed's warning)", () => {
  it("check reports the shadowed Accept, naming both rules", async () => {
    const c = await check(SWAPPED);
    expect(c.code).toBe(0);
    expect(c.diagnostics).toHaveLength(1);
    const d = c.diagnostics[0];
    expect(d).toMatchObject({ severity: "warning", code: "IG050", line: 12 });
    expect(d.message).toContain('rule 2 (Accept "Accept Rule") is shadowed');
    expect(d.message).toContain('rule 1 (Deny "Deny Rule")');
  });
  it("--strict refuses it", async () => {
    expect((await check(SWAPPED, ["--strict"])).code).toBe(1);
  });
  it("denies the mail server's SMTP", async () => {
    const v = await verdict(SWAPPED, "tcp 192.168.0.25:40000 > 203.0.113.5:25");
    expect(v).toMatchObject({ verdict: "deny", label: 'LAN rule 1 "Deny Rule"' });
  });
});

describe("InstaGate mail server (Destination Match - Exclude, LANIP)", () => {
  it("loads without diagnostics (with the seed's 'Network or Address' wording)", async () => {
    expect((await check(INSTAGATE)).diagnostics).toEqual([]);
  });
  it("accepts SMTP from any LAN client to the appliance's LAN IP", async () => {
    for (const src of ["192.168.0.77", "192.168.0.25"]) {
      const v = await verdict(INSTAGATE, `tcp ${src}:40000 > 192.168.0.1:25`);
      expect(v, src).toMatchObject({ verdict: "permit", line: null });
    }
  });
  it("denies SMTP to any other destination: WAN hosts, other LAN hosts, IPv6", async () => {
    for (const p of [
      "tcp 192.168.0.77:40000 > 203.0.113.5:25",
      "tcp 192.168.0.25:40000 > 203.0.113.5:25",
      "tcp 192.168.0.77:40000 > 192.168.0.50:25 out=lan",
      "tcp 192.168.0.77:40000 > 10.0.0.1:25",
      "tcp [fd00::7]:40000 > [2001:db8::25]:25 in=lan", // no appliance subnet holds fd00::7: say where it came from
    ]) {
      const v = await verdict(INSTAGATE, p);
      expect(v, p).toMatchObject({ verdict: "deny", label: 'LAN rule 1 "Deny Rule"' });
    }
  });
  it("leaves non-SMTP traffic alone", async () => {
    const v = await verdict(INSTAGATE, "tcp 192.168.0.77:40000 > 203.0.113.5:443");
    expect(v).toMatchObject({ verdict: "permit", line: null });
  });
  it("LANIP follows the appliance description", async () => {
    const { applianceFile } = await import("./helpers/instagate.ts");
    const app = applianceFile({ interfaces: [
      { name: "in0", role: "private", addresses: ["172.16.5.254/24"] },
      { name: "out0", role: "public", addresses: ["203.0.113.1/24"] },
    ] });
    expect((await verdict(INSTAGATE, "tcp 172.16.5.9:40000 > 172.16.5.254:25", ["--appliance", app])).verdict).toBe("permit");
    expect((await verdict(INSTAGATE, "tcp 172.16.5.9:40000 > 192.168.0.1:25", ["--appliance", app])).verdict).toBe("deny");
  });
});

describe("explain names the default that decided", () => {
  it("an empty WAN ruleset drops by default and says so", async () => {
    const { cli } = await import("./helpers/instagate.ts");
    const r = await cli(["explain", LITERAL, "--packet", "tcp 1.2.3.4:4000 > 192.168.0.5:22 in=wan out=lan"]);
    expect(r.out).toContain("verdict: deny");
    expect(r.out).toContain("reason:  default: default of WAN wan (deny)");
  });
});
