// InstaGate semantics (dialects.md section 5) through the real CLI: every
// field form, Include/Exclude on each side, objects, services, zones, LANIP
// and the defaults. `verdict` runs explain, which checks both engines agree.
import { describe, it, expect } from "vitest";
import { writeTemp, applianceFile, verdict, check, block } from "./helpers/instagate.ts";
import { loadInstagate } from "../host/dialects/instagate/index.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON } from "../host/model/appliance.ts";
import { complement } from "../host/dialects/instagate/lower.ts";
import { parsePrefix, formatPrefix, prefixContains, parseAddress } from "../host/model/addr.ts";

const MAIL = "Network - 192.168.0.25 - Subnet 255.255.255.255";

async function v(text: string, packet: string, extra: string[] = []): Promise<string> {
  return (await verdict(writeTemp(text), packet, extra)).verdict;
}

describe("field forms", () => {
  it.each([
    ["Action Deny"], ["Action - Deny"], ["Action: Deny"], ["action deny"], ["ACTION   DENY"],
  ])("%s", async (line) => {
    const t = block(1, {}).replace("Action Deny", line);
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.4:25")).toBe("deny");
  });

  it("both orders of 'Address or Network' on both sides", async () => {
    const t = block(1, {})
      .replace("Source Address or Network", "Source Network or Address")
      .replace("Destination Address or Network - Object - ANY", "Destination Network or Address - Network - 1.2.3.0 - Subnet 255.255.255.0");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.4:25")).toBe("deny");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.4.4:25")).toBe("permit");
  });

  it.each([
    ["Network - 192.168.0.25 - Subnet 255.255.255.255", "192.168.0.25", "192.168.0.26"],
    ["Network - 192.168.0.25", "192.168.0.25", "192.168.0.26"], // a bare address is one host
    ["Network - 192.168.0.16/28", "192.168.0.31", "192.168.0.32"],
    ["Network - 192.168.0.16 - Subnet 255.255.255.240", "192.168.0.16", "192.168.0.15"],
    ["Network - 10.0.0.0 - Subnet 0.0.0.0", "192.168.0.9", null],
  ])("source %s", async (src, inside, outside) => {
    const t = block(1, { src });
    expect(await v(t, `tcp ${inside}:1 > 1.2.3.4:25`)).toBe("deny");
    if (outside) expect(await v(t, `tcp ${outside}:1 > 1.2.3.4:25`)).toBe("permit");
  });

  it("IPv6 networks as ADDR/LEN", async () => {
    const t = block(1, { dst: "Network - 2001:db8::/32" });
    expect(await v(t, "tcp [fd00::1]:1 > [2001:db8::9]:25 in=lan")).toBe("deny");
    expect(await v(t, "tcp [fd00::1]:1 > [2001:db9::9]:25 in=lan")).toBe("permit");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.4:25")).toBe("permit");
  });

  it("blank lines and comments anywhere, CRLF line ends", async () => {
    const t = ("# head\n\n" + block(1, {}).replace("Interface LAN\n", "Interface LAN\n\n# note\n")).replace(/\n/g, "\r\n");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.4:25")).toBe("deny");
  });
});

describe("Include and Exclude", () => {
  it("Exclude on the source: deny SMTP from everyone except the mail server, in one rule", async () => {
    const t = block(1, { srcMatch: "Exclude", src: MAIL });
    expect(await v(t, "tcp 192.168.0.25:1 > 1.2.3.4:25")).toBe("permit");
    expect(await v(t, "tcp 192.168.0.26:1 > 1.2.3.4:25")).toBe("deny");
    expect(await v(t, "tcp [fd00::26]:1 > [2001:db8::1]:25")).toBe("deny"); // not the mail server either
  });
  it("Exclude on the destination", async () => {
    const t = block(1, { dstMatch: "Exclude", dst: "Network - 203.0.113.0 - Subnet 255.255.255.0" });
    expect(await v(t, "tcp 192.168.0.9:1 > 203.0.113.7:25")).toBe("permit");
    expect(await v(t, "tcp 192.168.0.9:1 > 198.51.100.7:25")).toBe("deny");
  });
  it("Exclude on both sides at once", async () => {
    const t = block(1, { srcMatch: "Exclude", src: MAIL, dstMatch: "Exclude", dst: "Object - LANIP" });
    expect(await v(t, "tcp 192.168.0.25:1 > 1.2.3.4:25")).toBe("permit");
    expect(await v(t, "tcp 192.168.0.9:1 > 192.168.0.1:25")).toBe("permit");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.4:25")).toBe("deny");
  });
  it("Exclude of a list: everything outside all its members", async () => {
    const t = "Object Relays - List - 192.168.0.25, 192.168.0.26, 10.9.0.0/16\n" + block(1, { srcMatch: "Exclude", src: "Object - Relays" });
    for (const a of ["192.168.0.25", "192.168.0.26", "10.9.200.1"]) expect(await v(t, `tcp ${a}:1 > 1.2.3.4:25 in=lan`), a).toBe("permit");
    for (const a of ["192.168.0.24", "192.168.0.27", "10.8.0.1", "10.10.0.1", "0.0.0.0", "255.255.255.255"]) expect(await v(t, `tcp ${a}:1 > 1.2.3.4:25 in=lan`), a).toBe("deny");
  });
  it("Include ANY matches IPv4 and IPv6", async () => {
    const t = block(1, {});
    expect(await v(t, "tcp [fd00::1]:1 > [2001:db8::1]:25")).toBe("deny");
  });
});

describe("objects", () => {
  const defs = [
    "Object Mail - Address - 192.168.0.25",
    "Object Office - Network - 10.1.0.0 - Subnet 255.255.0.0",
    "Object Lab - Network - 10.2.0.0/16",
    "Object Servers - List - Mail, Lab, 172.16.0.5",
    "Object All Servers - List - Servers, LANIP",
  ].join("\n") + "\n";
  it.each([
    ["Mail", ["192.168.0.25"], ["192.168.0.24"]],
    ["Office", ["10.1.2.3"], ["10.2.2.3"]],
    ["Lab", ["10.2.255.255"], ["10.3.0.0"]],
    ["Servers", ["192.168.0.25", "10.2.0.1", "172.16.0.5"], ["10.1.0.1", "172.16.0.6"]],
    ["All Servers", ["192.168.0.1", "172.16.0.5"], ["192.168.0.2"]],
    ["all servers", ["192.168.0.1"], ["192.168.0.2"]], // names are case-insensitive
  ])("Object - %s as the destination", async (name, inside, outside) => {
    const t = defs + block(1, { dst: `Object - ${name}` });
    for (const a of inside) expect(await v(t, `tcp 192.168.0.9:1 > ${a}:25`), a).toBe("deny");
    for (const a of outside) expect(await v(t, `tcp 192.168.0.9:1 > ${a}:25`), a).toBe("permit");
  });
  it("an object may be defined after the rule that uses it", async () => {
    expect(await v(block(1, { dst: "Object - Late" }) + "Object Late - Address - 9.9.9.9\n", "tcp 192.168.0.9:1 > 9.9.9.9:25")).toBe("deny");
  });
  it("the seed's placeholder takes the rule's subnet mask", async () => {
    const t = "Object Server IP Address - Address - 192.168.0.25\n" + block(1, { src: "Network - Server IP Address - Subnet 255.255.255.0" });
    expect(await v(t, "tcp 192.168.0.99:1 > 1.2.3.4:25")).toBe("deny");
    expect(await v(t, "tcp 192.168.1.99:1 > 1.2.3.4:25 in=lan")).toBe("permit");
  });
});

describe("services", () => {
  it.each([
    ["SMTP", "tcp", 25], ["POP3", "tcp", 110], ["IMAP", "tcp", 143], ["HTTP", "tcp", 80], ["HTTPS", "tcp", 443],
    ["DNS", "udp", 53], ["DNS", "tcp", 53], ["FTP", "tcp", 21], ["SSH", "tcp", 22], ["TELNET", "tcp", 23], ["NTP", "udp", 123],
    ["SNMP", "udp", 161], ["RDP", "tcp", 3389], ["IMAPS", "tcp", 993], ["POP3S", "tcp", 995], ["SUBMISSION", "tcp", 587], ["smtp", "tcp", 25],
  ])("catalogue %s = %s %i (destination port)", async (name, proto, port) => {
    const t = block(1, { services: `Selected - ${name}` });
    expect(await v(t, `${proto} 192.168.0.9:40000 > 1.2.3.4:${port}`)).toBe("deny");
    expect(await v(t, `${proto} 192.168.0.9:40000 > 1.2.3.4:${port + 1}`)).toBe("permit");
    expect(await v(t, `${proto} 192.168.0.9:${port} > 1.2.3.4:40000`)).toBe("permit"); // not the source port
    expect(await v(t, `${proto === "tcp" && name !== "DNS" ? "udp" : "tcp"} 192.168.0.9:40000 > 1.2.3.4:${port}`)).toBe(name === "DNS" ? "deny" : "permit");
  });
  it("PING is ICMP echo request only; ICMP is every ICMP message", async () => {
    expect(await v(block(1, { services: "Selected - PING" }), "icmp 192.168.0.9 > 1.2.3.4 type=8")).toBe("deny");
    expect(await v(block(1, { services: "Selected - PING" }), "icmp 192.168.0.9 > 1.2.3.4 type=0")).toBe("permit");
    expect(await v(block(1, { services: "Selected - ICMP" }), "icmp 192.168.0.9 > 1.2.3.4 type=3 code=1")).toBe("deny");
  });
  it("several services in one rule", async () => {
    const t = block(1, { services: "Selected - SMTP, POP3, IMAP" });
    for (const p of [25, 110, 143]) expect(await v(t, `tcp 192.168.0.9:1 > 1.2.3.4:${p}`)).toBe("deny");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.4:80")).toBe("permit");
  });
  it("Services - Any matches every protocol", async () => {
    const t = block(1, { services: "Any", dst: "Network - 1.2.3.4" });
    for (const p of ["tcp 192.168.0.9:1 > 1.2.3.4:80", "udp 192.168.0.9:1 > 1.2.3.4:5", "icmp 192.168.0.9 > 1.2.3.4", "47 192.168.0.9 > 1.2.3.4"]) expect(await v(t, p), p).toBe("deny");
    expect(await v(t, "tcp 192.168.0.9:1 > 1.2.3.5:80")).toBe("permit");
  });
  it("user-defined services: TCP, UDP range, TCP/UDP list, ICMP type, protocol number", async () => {
    const defs = [
      "Service MAILSUB - TCP - 587",
      "Service GAMES - UDP - 27000-27015",
      "Service ALT - TCP/UDP - 8080, 8443",
      "Service UNREACH - ICMP - 3",
      "Service GRE - Protocol - 47",
    ].join("\n") + "\n";
    const t = (s: string) => defs + block(1, { services: `Selected - ${s}` });
    expect(await v(t("MAILSUB"), "tcp 192.168.0.9:1 > 1.2.3.4:587")).toBe("deny");
    expect(await v(t("MAILSUB"), "udp 192.168.0.9:1 > 1.2.3.4:587")).toBe("permit");
    expect(await v(t("GAMES"), "udp 192.168.0.9:1 > 1.2.3.4:27000")).toBe("deny");
    expect(await v(t("GAMES"), "udp 192.168.0.9:1 > 1.2.3.4:27015")).toBe("deny");
    expect(await v(t("GAMES"), "udp 192.168.0.9:1 > 1.2.3.4:27016")).toBe("permit");
    expect(await v(t("ALT"), "udp 192.168.0.9:1 > 1.2.3.4:8443")).toBe("deny");
    expect(await v(t("ALT"), "tcp 192.168.0.9:1 > 1.2.3.4:8080")).toBe("deny");
    expect(await v(t("ALT"), "tcp 192.168.0.9:1 > 1.2.3.4:8081")).toBe("permit");
    expect(await v(t("UNREACH"), "icmp 192.168.0.9 > 1.2.3.4 type=3")).toBe("deny");
    expect(await v(t("UNREACH"), "icmp 192.168.0.9 > 1.2.3.4 type=8")).toBe("permit");
    expect(await v(t("GRE"), "47 192.168.0.9 > 1.2.3.4")).toBe("deny");
    expect(await v(t("GRE"), "50 192.168.0.9 > 1.2.3.4")).toBe("permit");
  });
});

describe("interfaces, zones and defaults", () => {
  const three = applianceFile({ interfaces: [
    { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
    { name: "wan", role: "public", addresses: ["203.0.113.1/24"] },
    { name: "web", role: "private", zone: "dmz", addresses: ["172.16.0.1/24"] },
  ] });
  const A = ["--appliance", three];
  const empty = "# no rules: only the defaults\n";

  it("defaults: from LAN accepted, new connections from WAN dropped", async () => {
    const f = writeTemp(empty);
    expect((await verdict(f, "tcp 192.168.0.9:1 > 1.2.3.4:25", ["--dialect", "instagate", "--allow-empty"])).verdict).toBe("permit");
    expect((await verdict(f, "tcp 1.2.3.4:1 > 192.168.0.9:22 in=wan out=lan", ["--dialect", "instagate", "--allow-empty"])).verdict).toBe("deny");
  });
  it("stateless for now: a reply from WAN is dropped like a new connection (the rulesets are marked stateful for connection tracking)", async () => {
    const f = writeTemp(block(1, { action: "Accept", services: "Selected - HTTP" }));
    expect((await verdict(f, "tcp 192.168.0.9:40000 > 1.2.3.4:80")).verdict).toBe("permit");
    expect((await verdict(f, "tcp 1.2.3.4:80 > 192.168.0.9:40000 in=wan out=lan flags=SA")).verdict).toBe("deny");
    const r = loadInstagate([{ path: "t.txt", text: block(1, { action: "Accept" }) + block(2, {}) }], { appliance: parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in"), strict: false, options: {} });
    expect(r.policy!.rulesets.every((rs) => rs.stateful)).toBe(true);
    expect(r.policy!.rulesets[0].rules.map((x) => [x.action, x.keepState])).toEqual([["permit", true], ["deny", false]]);
  });
  it("Interface WAN rules apply to packets arriving from WAN (a port forward to the mail server)", async () => {
    const f = writeTemp(block(1, { action: "Accept", iface: "WAN", dst: MAIL }));
    expect((await verdict(f, "tcp 1.2.3.4:1 > 192.168.0.25:25 in=wan out=lan")).verdict).toBe("permit");
    expect((await verdict(f, "tcp 1.2.3.4:1 > 192.168.0.26:25 in=wan out=lan")).verdict).toBe("deny");
    expect((await verdict(f, "tcp 192.168.0.9:1 > 192.168.0.25:25 out=lan")).verdict).toBe("permit"); // LAN is not WAN
  });
  it("a LAN rule does not apply to WAN traffic", async () => {
    const f = writeTemp(block(1, { action: "Accept", services: "Any" }));
    expect((await verdict(f, "tcp 1.2.3.4:1 > 192.168.0.25:25 in=wan out=lan")).verdict).toBe("deny");
  });
  it("DMZ: the interface with zone dmz; to WAN accepted, to LAN and from WAN dropped by default", async () => {
    const f = writeTemp(empty);
    const run = async (p: string) => (await verdict(f, p, [...A, "--dialect", "instagate", "--allow-empty"])).verdict;
    expect(await run("tcp 172.16.0.5:1 > 1.2.3.4:80 in=web out=wan")).toBe("permit");
    expect(await run("tcp 172.16.0.5:1 > 192.168.0.9:80 in=web out=lan")).toBe("deny");
    expect(await run("tcp 1.2.3.4:1 > 172.16.0.5:80 in=wan out=web")).toBe("deny");
    expect(await run("tcp 192.168.0.9:1 > 172.16.0.5:80 in=lan out=web")).toBe("permit");
  });
  it("Interface DMZ rules apply on the DMZ only, and LAN rules not there", async () => {
    const f = writeTemp(block(1, { iface: "DMZ" }) + block(2, { action: "Deny", services: "Selected - HTTP" }));
    const c = await check(f, A);
    expect(c.diagnostics).toEqual([]);
    expect((await verdict(f, "tcp 172.16.0.5:1 > 1.2.3.4:25 in=web out=wan", A)).verdict).toBe("deny");
    expect((await verdict(f, "tcp 172.16.0.5:1 > 1.2.3.4:80 in=web out=wan", A)).verdict).toBe("permit");
    expect((await verdict(f, "tcp 192.168.0.9:1 > 1.2.3.4:25 in=lan out=wan", A)).verdict).toBe("permit");
  });
  it("an interface named dmz is the DMZ without a zone key", async () => {
    const app = applianceFile({ interfaces: [
      { name: "lan", role: "private", addresses: ["192.168.0.1/24"] },
      { name: "wan", role: "public", addresses: ["203.0.113.1/24"] },
      { name: "dmz", role: "private", addresses: ["172.16.0.1/24"] },
    ] });
    const f = writeTemp(block(1, { iface: "DMZ" }));
    expect((await check(f, ["--appliance", app])).diagnostics).toEqual([]);
    expect((await verdict(f, "tcp 172.16.0.5:1 > 1.2.3.4:25 in=dmz out=wan", ["--appliance", app])).verdict).toBe("deny");
  });
  it("the appliance rejects an unknown zone", async () => {
    expect(() => parseAppliance({ interfaces: [{ name: "x", role: "private", zone: "guest", addresses: [] }] }, "t")).toThrow(/zone/);
  });
  it("LANIP with several LAN interfaces: the address of the interface the packet arrives on", async () => {
    const app = applianceFile({ interfaces: [
      { name: "lan1", role: "private", addresses: ["192.168.0.1/24"] },
      { name: "lan2", role: "private", addresses: ["192.168.1.1/24"] },
      { name: "wan", role: "public", addresses: ["203.0.113.1/24"] },
    ] });
    const f = writeTemp(block(1, { dstMatch: "Exclude", dst: "Object - LANIP" }));
    const run = async (p: string) => (await verdict(f, p, ["--appliance", app])).verdict;
    expect(await run("tcp 192.168.0.9:1 > 192.168.0.1:25 in=lan1 out=wan")).toBe("permit");
    expect(await run("tcp 192.168.1.9:1 > 192.168.1.1:25 in=lan2 out=wan")).toBe("permit");
    expect(await run("tcp 192.168.1.9:1 > 192.168.0.1:25 in=lan2 out=wan")).toBe("deny");
    expect(await run("tcp 192.168.0.9:1 > 192.168.1.1:25 in=lan1 out=wan")).toBe("deny");
  });
  it("LANIP in a WAN rule is the appliance's LAN addresses", async () => {
    const f = writeTemp(block(1, { action: "Accept", iface: "WAN", dst: "Object - LANIP" }));
    expect((await verdict(f, "tcp 1.2.3.4:1 > 192.168.0.1:25 in=wan out=lan")).verdict).toBe("permit");
    expect((await verdict(f, "tcp 1.2.3.4:1 > 192.168.0.2:25 in=wan out=lan")).verdict).toBe("deny");
  });
});

describe("complement of a set of prefixes", () => {
  it("covers exactly the addresses outside the set", () => {
    const ex = ["10.0.0.0/8", "10.1.0.0/16", "192.168.0.25/32", "0.0.0.0/32"].map((p) => parsePrefix(p)!);
    const c = complement(ex, 4);
    const inside = (a: string) => c.some((p) => prefixContains(p, parseAddress(a)!));
    for (const a of ["10.0.0.1", "10.1.2.3", "192.168.0.25", "0.0.0.0"]) expect(inside(a), a).toBe(false);
    for (const a of ["9.255.255.255", "11.0.0.0", "192.168.0.24", "192.168.0.26", "0.0.0.1", "255.255.255.255"]) expect(inside(a), a).toBe(true);
    // Disjoint pieces: no address is counted twice.
    const size = c.reduce((n, p) => n + 2 ** (32 - p.len), 0);
    expect(size).toBe(2 ** 32 - 2 ** 24 - 1 - 1);
    expect(c.map(formatPrefix)).not.toContain("0.0.0.0/0");
  });
  it("of nothing is everything; of everything is nothing", () => {
    expect(complement([], 6).map(formatPrefix)).toEqual(["::/0"]);
    expect(complement([parsePrefix("0.0.0.0/0")!], 4)).toEqual([]);
  });
});

describe("several files", () => {
  it("share definitions; rules follow file order, each file numbered from 1", async () => {
    const defs = writeTemp("Object Server IP Address - Address - 192.168.0.25\n");
    const accept = writeTemp(block(1, { action: "Accept", src: "Network - Server IP Address - Subnet 255.255.255.255" }));
    const deny = writeTemp(block(1, {}));
    const { cli } = await import("./helpers/instagate.ts");
    // Detected from the content, the file of definitions included.
    const run = async (p: string, files: string[]) => JSON.parse((await cli(["explain", ...files, "--packet", p, "--json"])).out).verdict;
    expect(await run("tcp 192.168.0.25:1 > 1.2.3.4:25", [defs, accept, deny])).toBe("permit");
    expect(await run("tcp 192.168.0.26:1 > 1.2.3.4:25", [defs, accept, deny])).toBe("deny");
    expect(await run("tcp 192.168.0.25:1 > 1.2.3.4:25", [defs, deny, accept])).toBe("deny");
  });
});
