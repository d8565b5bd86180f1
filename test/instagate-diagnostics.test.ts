// Every InstaGate diagnostic: its code, severity and exact position, and that
// a table with an error is never loaded.
import { describe, it, expect } from "vitest";
import { writeTemp, check, cli, block } from "./helpers/instagate.ts";

const ok = block(1, { action: "Deny" });

type Case = [string, string, { code: string; line: number; column: number; severity?: string; message?: RegExp }];

const cases: Case[] = [
  ["unrecognised line", ok + "Allow everything\n", { code: "IG001", line: 9, column: 1 }],
  ["field before any rule header", "Action Accept\n" + ok, { code: "IG002", line: 1, column: 1 }],
  ["field twice in a block", ok.replace("Interface LAN\n", "Interface LAN\nInterface WAN\n"), { code: "IG003", line: 4, column: 1, message: /first on line 3/ }],
  ["missing field, reported at the header", ok.replace("Services - Selected - SMTP\n", ""), { code: "IG004", line: 1, column: 1, message: /"Services"/ }],
  ["field without a value", ok.replace("Action Deny", "Action"), { code: "IG005", line: 2, column: 1 }],
  ["bad action", ok.replace("Action Deny", "Action Allow"), { code: "IG006", line: 2, column: 8 }],
  ["bad interface", ok.replace("Interface LAN", "Interface OPT1"), { code: "IG007", line: 3, column: 11 }],
  ["bad match", ok.replace("Source Match - Include", "Source Match - Maybe"), { code: "IG008", line: 4, column: 16 }],
  ["bad address form", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Host - 1.2.3.4"), { code: "IG009", line: 5, column: 29 }],
  ["bad subnet word", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - 10.0.0.0 - Mask 255.0.0.0"), { code: "IG009", line: 5, column: 50 }],
  ["bad services", ok.replace("Services - Selected - SMTP", "Services - Some - SMTP"), { code: "IG010", line: 8, column: 12 }],
  ["empty service in list", ok.replace("Selected - SMTP", "Selected - SMTP, , HTTP"), { code: "IG010", line: 8, column: 29, message: /^empty service name in the list$/ }],
  ["rules out of order", block(2, {}) + block(1, {}), { code: "IG013", line: 9, column: 1 }],
  ["duplicate rule number", block(1, {}) + block(1, {}), { code: "IG013", line: 9, column: 1 }],
  ["bad object definition", "Object Mail - Host - 1.2.3.4\n" + ok, { code: "IG020", line: 1, column: 15 }],
  ["bad service definition", "Service WEB - SCTP - 80\n" + ok, { code: "IG021", line: 1, column: 15 }],
  ["bad service port", "Service WEB - TCP - 0-70000\n" + ok, { code: "IG021", line: 1, column: 21 }],
  ["bad ICMP type", "Service P - ICMP - 300\n" + ok, { code: "IG021", line: 1, column: 20 }],
  ["bad protocol number", "Service P - Protocol - 256\n" + ok, { code: "IG021", line: 1, column: 24 , message: /^protocol is a number 0\.\.255, not "256"$/ }],
  ["ICMP type message", "Service P - ICMP - 300\n" + ok, { code: "IG021", line: 1, column: 20, message: /^ICMP type is a number 0\.\.255, not "300"$/ }],
  ["empty member in an object list", "Object L - List - 10.0.0.1, , 10.0.0.2\n" + ok, { code: "IG020", line: 1, column: 29, message: /^empty member in the list$/ }],
  ["object definition too short", "Object Mail - Host\n" + ok, { code: "IG020", line: 1, column: 1 }],
  ["service definition without a kind", "Service X\n" + ok, { code: "IG021", line: 1, column: 1 }],
  ["unknown object", ok.replace("Destination Address or Network - Object - ANY", "Destination Address or Network - Object - MAILHOST"), { code: "IG030", line: 7, column: 43 }],
  ["placeholder without an object", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - Server IP Address - Subnet 255.255.255.255"), { code: "IG030", line: 5, column: 39, message: /Server IP Address/ }],
  ["unknown list member", "Object L - List - 10.0.0.1, NOPE\n" + ok, { code: "IG030", line: 1, column: 29 }],
  ["unknown service", ok.replace("Selected - SMTP", "Selected - SMTP, GOPHER"), { code: "IG031", line: 8, column: 29, message: /GOPHER/ }],
  ["object defined twice", "Object A - Address - 10.0.0.1\nObject a - Address - 10.0.0.2\n" + ok, { code: "IG032", line: 2, column: 8 }],
  ["object named LANIP", "Object LANIP - Address - 10.0.0.1\n" + ok, { code: "IG032", line: 1, column: 8 }],
  ["service defined twice", "Service X - TCP - 1\nService X - UDP - 1\n" + ok, { code: "IG033", line: 2, column: 9 }],
  ["service redefining a built-in", "Service SMTP - TCP - 587\n" + ok, { code: "IG033", line: 1, column: 9 }],
  ["object containing itself", "Object A - List - B\nObject B - List - 10.0.0.1, A\n" + ok, { code: "IG034", line: 1, column: 8 }],
  ["bad IP address", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - 192.168.0.256 - Subnet 255.255.255.255"), { code: "IG035", line: 5, column: 39 }],
  ["non-contiguous mask", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - 10.0.0.0 - Subnet 255.0.255.0"), { code: "IG035", line: 5, column: 39 }],
  ["mask given twice", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - 10.0.0.0/8 - Subnet 255.0.0.0"), { code: "IG035", line: 5, column: 39 }],
  ["bad address in an Address object", "Object A - Address - 10.0.0.0/8\n" + ok, { code: "IG035", line: 1, column: 8 }],
  ["placeholder object holding a network", "Object Server IP Address - Network - 10.0.0.0 - Subnet 255.0.0.0\n" + ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - Server IP Address - Subnet 255.255.255.255"), { code: "IG037", line: 6, column: 39 }],
  ["ANY in a list", "Object L - List - 10.0.0.1, ANY\n" + ok, { code: "IG038", line: 1, column: 29 }],
  ["JSON syntax", '{"instagate": {"rules": [}\n', { code: "IG060", line: 1, column: 26 }],
  ["JSON unknown key", '{"instagate": {\n  "rulez": []\n}}\n', { code: "IG061", line: 2, column: 3 }],
];

describe("errors: reported with file:line:col, and the table is not loaded", () => {
  for (const [name, text, want] of cases) {
    it(`${want.code} ${name}`, async () => {
      const f = writeTemp(text, text.startsWith("{") ? "json" : "txt");
      const c = await check(f, ["--dialect", "instagate"]);
      expect(c.code).toBe(1);
      const d = c.diagnostics.find((x) => x.code === want.code);
      expect(d, JSON.stringify(c.diagnostics)).toBeDefined();
      expect(d).toMatchObject({ line: want.line, column: want.column, severity: want.severity ?? "error" });
      if (want.message) expect(d!.message).toMatch(want.message);
      const e = await cli(["explain", f, "--dialect", "instagate", "--packet", "tcp 192.168.0.9:1 > 1.2.3.4:25"]);
      expect(e.code).toBe(1);
      expect(e.err).toContain(`${f}:${want.line}:${want.column}: error[${want.code}]`);
    });
  }
});

describe("warnings: reported, and the table still loads", () => {
  const warn: Case[] = [
    ["host bits under the mask", ok.replace("Source Address or Network - Object - ANY", "Source Address or Network - Network - 192.168.0.25 - Subnet 255.255.255.0"), { code: "IG036", line: 5, column: 39, severity: "warning", message: /192\.168\.0\.0\/24/ }],
    ["Gateway Anti-Virus mentioned", "Gateway Anti-Virus - Other SMTP Scanning - Enabled\n" + ok, { code: "IG040", line: 1, column: 1, severity: "warning", message: /no Gateway Anti-Virus SMTP proxy/ }],
    ["SMTP Scanning mentioned", ok + "Local (Relay/Server) SMTP Scanning - Enabled\n", { code: "IG040", line: 9, column: 1, severity: "warning" }],
    ["DMZ rule without a DMZ interface", block(1, { iface: "DMZ" }), { code: "IG041", line: 1, column: 1, severity: "warning", message: /no DMZ interface/ }],
    ["Exclude ANY matches nothing", ok.replace("Destination Match - Include", "Destination Match - Exclude"), { code: "IG042", line: 1, column: 1, severity: "warning" }],
    ["Deny below an Accept that covers it", block(1, { action: "Accept" }) + block(2, { src: "Network - 192.168.0.9 - Subnet 255.255.255.255" }), { code: "IG050", line: 9, column: 1, severity: "warning", message: /rule 2 \(Deny "Rule 2"\) is shadowed by rule 1 \(Accept "Rule 1"\)/ }],
    ["same rule twice", block(1, {}) + block(2, {}), { code: "IG051", line: 9, column: 1, severity: "warning", message: /rule 2 \(Deny "Rule 2"\) is redundant: rule 1 \(Deny "Rule 1"\) above it already denies/ }],
    ["covered by two rules together", block(1, { services: "Selected - SMTP" }) + block(2, { action: "Accept", services: "Selected - HTTP" }) + block(3, { services: "Selected - HTTP, SMTP" }),
      { code: "IG050", line: 17, column: 1, severity: "warning", message: /shadowed by rule 2 \(Accept "Rule 2"\) and rule 1 \(Deny "Rule 1"\)|shadowed by rule 1 \(Deny "Rule 1"\) and rule 2 \(Accept "Rule 2"\)/ }],
  ];
  for (const [name, text, want] of warn) {
    it(`${want.code} ${name}`, async () => {
      const f = writeTemp(text);
      const c = await check(f);
      expect(c.code).toBe(0);
      const d = c.diagnostics.find((x) => x.code === want.code);
      expect(d, JSON.stringify(c.diagnostics)).toBeDefined();
      expect(d).toMatchObject({ line: want.line, column: want.column, severity: "warning" });
      if (want.message) expect(d!.message).toMatch(want.message);
      expect((await check(f, ["--strict"])).code).toBe(1);
    });
  }

  it("no order warning when the later rule still decides some traffic", async () => {
    const f = writeTemp(block(1, { src: "Network - 192.168.0.9 - Subnet 255.255.255.255" }) + block(2, { action: "Accept" }));
    // Rule 2 still decides; that the LAN's permit default would judge its packets the same is IG052, another matter.
    expect((await check(f)).diagnostics.filter((d: { code: string }) => d.code !== "IG052")).toEqual([]);
  });

  it("the seed's prose heading is not a rule: an unknown line is an error, a comment is not", async () => {
    expect((await check(writeTemp("# Internal Mail Server\n" + ok))).code).toBe(0);
    expect((await check(writeTemp("Internal Mail Server\n" + ok), ["--dialect", "instagate"])).code).toBe(1);
  });
});
