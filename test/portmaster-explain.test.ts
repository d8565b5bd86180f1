// PortMaster behaviour end to end through the command line, in-process:
// `explain --json` decides each packet with both engines (it fails loudly if
// the WebAssembly engine and the reference disagree).
import { describe, it, expect, beforeAll } from "vitest";
import { cli, writeTemp } from "./portmaster-helpers.ts";

const APPLIANCE = JSON.stringify({
  interfaces: [
    { name: "ether0", role: "private", addresses: ["192.168.1.1/24"] },
    { name: "ether1", role: "public", addresses: ["203.0.113.1/24"] },
  ],
});

// The scenarios, one filter each, attached as input filter of ether1
// (packets from the Internet) unless said otherwise.
const CONFIG = `
add filter empty
add filter order
set filter order 20 deny 0.0.0.0/0 192.168.1.10/32
set filter order 10 permit 0.0.0.0/0 192.168.1.0/24 tcp dst eq 80
set filter order 30 permit 0.0.0.0/0 192.168.1.0/24
add filter ports
set filter ports 10 permit 0.0.0.0/0 0.0.0.0/0 tcp dst lt 1024
set filter ports 20 permit 0.0.0.0/0 0.0.0.0/0 udp src gt 1023
add filter est
set filter est 10 permit 0.0.0.0/0 0.0.0.0/0 tcp established
add filter icmp
set filter icmp 10 permit 0.0.0.0/0 0.0.0.0/0 icmp type 0
add filter protos
set filter protos 10 permit 0.0.0.0/0 0.0.0.0/0 protocol 47
set filter protos 20 permit 0.0.0.0/0 0.0.0.0/0 esp
set filter protos 30 permit 0.0.0.0/0 0.0.0.0/0 ah
set filter protos 40 permit 0.0.0.0/0 0.0.0.0/0 ipip
add filter never
set filter never 10 permit 0.0.0.0/0 0.0.0.0/0 udp dst eq 53 established
set filter never 20 permit 0.0.0.0/0 0.0.0.0/0 tcp dst lt 0
set filter never 30 permit 0.0.0.0/0 0.0.0.0/0 tcp src gt 65535
add filter frag
set filter frag 10 deny 0.0.0.0/0 192.168.1.10/32 tcp dst eq 23
set filter frag 20 permit 0.0.0.0/0 192.168.1.10/32 tcp dst eq 80
set filter frag 30 deny 0.0.0.0/0 192.168.1.20/32 udp
set filter frag 40 permit 0.0.0.0/0 192.168.1.0/24 udp
add filter inbound
set filter inbound 10 permit 0.0.0.0/0 192.168.1.0/24 tcp
add filter outbound
set filter outbound 10 deny 0.0.0.0/0 192.168.1.99/32
set filter outbound 20 permit
`;

let files: Record<string, string>;

beforeAll(() => {
  files = writeTemp({ "appliance.json": APPLIANCE, "base.cfg": CONFIG });
});

/** Attach `filter` as the input filter of ether1 (plus `extra` lines) and explain `packet`. */
async function explain(attach: string, packet: string): Promise<any> {
  const f = writeTemp({ "attach.cfg": attach });
  const r = await cli(["explain", files["base.cfg"], f["attach.cfg"], "--appliance", files["appliance.json"], "--json", "--packet", packet]);
  expect(r.stderr.split("\n").filter((l) => l.includes("error"))).toEqual([]);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout);
}

const IN = "in=ether1 out=ether0";
const onWan = (filter: string) => `set ether1 ifilter ${filter}\n`;

async function decide(filter: string, packet: string): Promise<{ verdict: string; label: string | null; reason: string }> {
  const j = await explain(onWan(filter), `${packet} ${IN}`);
  return { verdict: j.verdict, label: j.rule?.label ?? null, reason: j.reason };
}

describe("defaults", () => {
  it("an interface with no filter passes everything", async () => {
    // ether1 in, ether0 out: neither has a filter in that direction.
    const j = await explain("set ether0 ifilter order\nset ether1 ofilter order\n", `tcp 198.51.100.1:1000 > 192.168.1.5:22 ${IN}`);
    expect(j).toMatchObject({ verdict: "permit", rule: null, reason: "no filter" });
  });
  it("an empty filter permits everything", async () => {
    for (const p of ["tcp 198.51.100.1:1000 > 192.168.1.5:22", "udp 1.2.3.4:5 > 6.7.8.9:10", "icmp 1.2.3.4 > 5.6.7.8 type=8"]) {
      const d = await decide("empty", p);
      expect(d.verdict, p).toBe("permit");
      expect(d.label).toBeNull();
      expect(d.reason).toMatch(/^default: default of empty \(empty: permits all\)/);
    }
  });
  it("a non-empty filter denies what no rule permits", async () => {
    const d = await decide("icmp", "udp 198.51.100.1:53 > 192.168.1.5:1000");
    expect(d).toMatchObject({ verdict: "deny", label: null });
    expect(d.reason).toMatch(/^default: default of icmp/);
  });
  it("IPv6 packets match no PortMaster rule: a non-empty filter denies them, an empty one permits", async () => {
    expect((await decide("order", "tcp [2001:db8::1]:1000 > [2001:db8::2]:80")).verdict).toBe("deny");
    expect((await decide("empty", "tcp [2001:db8::1]:1000 > [2001:db8::2]:80")).verdict).toBe("permit");
  });
});

describe("first match by ascending rule number", () => {
  it("rule 10 (written after rule 20) decides first", async () => {
    expect(await decide("order", "tcp 198.51.100.1:1000 > 192.168.1.10:80")).toMatchObject({ verdict: "permit", label: "filter order rule 10" });
  });
  it("then rule 20, before the broader rule 30", async () => {
    expect(await decide("order", "tcp 198.51.100.1:1000 > 192.168.1.10:81")).toMatchObject({ verdict: "deny", label: "filter order rule 20" });
    expect(await decide("order", "tcp 198.51.100.1:1000 > 192.168.1.11:81")).toMatchObject({ verdict: "permit", label: "filter order rule 30" });
  });
  it("addresses outside every rule meet the implicit deny", async () => {
    expect(await decide("order", "tcp 198.51.100.1:1000 > 10.0.0.1:80")).toMatchObject({ verdict: "deny", label: null });
  });
  it("the rule in the JSON names its file, line and text", async () => {
    const j = await explain(onWan("order"), `tcp 198.51.100.1:1000 > 192.168.1.10:80 ${IN}`);
    expect(j.rule).toMatchObject({ file: files["base.cfg"], line: 5, text: "set filter order 10 permit 0.0.0.0/0 192.168.1.0/24 tcp dst eq 80", ruleset: "order" });
  });
});

describe("port operators are strict", () => {
  it("dst lt 1024: 1023 matches, 1024 does not", async () => {
    expect((await decide("ports", "tcp 198.51.100.1:5000 > 192.168.1.5:1023")).label).toBe("filter ports rule 10");
    expect((await decide("ports", "tcp 198.51.100.1:5000 > 192.168.1.5:1024")).verdict).toBe("deny");
  });
  it("src gt 1023: 1024 matches, 1023 does not", async () => {
    expect((await decide("ports", "udp 198.51.100.1:1024 > 192.168.1.5:53")).label).toBe("filter ports rule 20");
    expect((await decide("ports", "udp 198.51.100.1:1023 > 192.168.1.5:53")).verdict).toBe("deny");
  });
  it("a port test needs the protocol: tcp port 80 does not match a udp packet", async () => {
    expect((await decide("ports", "udp 198.51.100.1:1000 > 192.168.1.5:80")).verdict).toBe("deny");
  });
});

describe("established", () => {
  const pkt = (flags: string) => `tcp 198.51.100.1:443 > 192.168.1.5:50000 flags=${flags}`;
  it("SYN alone is denied", async () => {
    expect((await decide("est", pkt("S"))).verdict).toBe("deny");
  });
  it("SYN+ACK, ACK and RST are permitted", async () => {
    for (const f of ["SA", "A", "R", "PA", "FA", "RA"]) {
      expect(await decide("est", pkt(f)), f).toMatchObject({ verdict: "permit", label: "filter est rule 10" });
    }
  });
  it("FIN alone (no ACK) is denied", async () => {
    expect((await decide("est", pkt("F"))).verdict).toBe("deny");
  });
});

describe("ICMP type", () => {
  it("type 0 (echo reply) matches icmp type 0, type 8 (echo request) does not", async () => {
    expect(await decide("icmp", "icmp 198.51.100.1 > 192.168.1.5 type=0")).toMatchObject({ verdict: "permit", label: "filter icmp rule 10" });
    expect((await decide("icmp", "icmp 198.51.100.1 > 192.168.1.5 type=8")).verdict).toBe("deny");
    expect((await decide("icmp", "icmp 198.51.100.1 > 192.168.1.5 type=3 code=1")).verdict).toBe("deny");
  });
});

describe("protocol numbers", () => {
  it("protocol 47, esp, ah and ipip match their protocol and nothing else", async () => {
    expect((await decide("protos", "47 198.51.100.1 > 192.168.1.5")).label).toBe("filter protos rule 10");
    expect((await decide("protos", "esp 198.51.100.1 > 192.168.1.5")).label).toBe("filter protos rule 20");
    expect((await decide("protos", "51 198.51.100.1 > 192.168.1.5")).label).toBe("filter protos rule 30");
    expect((await decide("protos", "4 198.51.100.1 > 192.168.1.5")).label).toBe("filter protos rule 40");
    expect((await decide("protos", "tcp 198.51.100.1:1 > 192.168.1.5:2")).verdict).toBe("deny");
  });
});

describe("rules that can never match", () => {
  it("udp ... established matches no UDP packet; lt 0 and gt 65535 match no port", async () => {
    expect(await decide("never", "udp 198.51.100.1:1000 > 192.168.1.5:53")).toMatchObject({ verdict: "deny", label: null });
    expect(await decide("never", "tcp 198.51.100.1:1000 > 192.168.1.5:0 flags=A")).toMatchObject({ verdict: "deny", label: null });
    expect(await decide("never", "tcp 198.51.100.1:65535 > 192.168.1.5:0 flags=A")).toMatchObject({ verdict: "deny", label: null });
  });
});

describe("fragments (dialects.md: Cisco's rule)", () => {
  it("a first fragment carries its ports and is decided like a whole packet", async () => {
    expect(await decide("frag", "tcp 198.51.100.1:1000 > 192.168.1.10:23 frag=first")).toMatchObject({ verdict: "deny", label: "filter frag rule 10" });
    expect(await decide("frag", "tcp 198.51.100.1:1000 > 192.168.1.10:80 frag=first")).toMatchObject({ verdict: "permit", label: "filter frag rule 20" });
  });
  it("a later fragment skips a deny rule with port tests and is permitted by a permit rule with port tests", async () => {
    expect(await decide("frag", "tcp 198.51.100.1 > 192.168.1.10 frag=later")).toMatchObject({ verdict: "permit", label: "filter frag rule 20" });
  });
  it("a later fragment is decided as usual by a rule without layer-4 tests", async () => {
    expect(await decide("frag", "udp 198.51.100.1 > 192.168.1.20 frag=later")).toMatchObject({ verdict: "deny", label: "filter frag rule 30" });
    expect(await decide("frag", "udp 198.51.100.1 > 192.168.1.21 frag=later")).toMatchObject({ verdict: "permit", label: "filter frag rule 40" });
  });
  it("a later fragment no rule matches meets the implicit deny", async () => {
    expect(await decide("frag", "tcp 198.51.100.1 > 192.168.1.11 frag=later")).toMatchObject({ verdict: "deny", label: null });
  });
});

describe("input filter, then output filter", () => {
  const both = "set ether1 ifilter inbound\nset ether0 ofilter outbound\n";
  it("a packet permitted by the input filter is then decided by the output filter", async () => {
    const j = await explain(both, `tcp 198.51.100.1:1000 > 192.168.1.99:80 ${IN}`);
    expect(j).toMatchObject({ verdict: "deny", stage: "output", rule: { label: "filter outbound rule 10" } });
    expect(j.input.rule.label).toBe("filter inbound rule 10");
    const ok = await explain(both, `tcp 198.51.100.1:1000 > 192.168.1.5:80 ${IN}`);
    expect(ok).toMatchObject({ verdict: "permit", stage: "output", rule: { label: "filter outbound rule 20" } });
  });
  it("a packet the input filter denies never reaches the output filter", async () => {
    const j = await explain(both, `udp 198.51.100.1:1000 > 192.168.1.5:53 ${IN}`);
    expect(j).toMatchObject({ verdict: "deny", stage: "input", rule: null });
    expect(j.output.rule).toBeNull();
  });
  it("the other direction passes the filters of its own interfaces only", async () => {
    // lan -> wan: ether0 has no input filter, ether1 no output filter.
    const j = await explain(both, "tcp 192.168.1.99:1000 > 198.51.100.1:80 in=ether0 out=ether1");
    expect(j).toMatchObject({ verdict: "permit", reason: "no filter" });
  });
});

describe("a configuration with errors", () => {
  const bad = "add filter f\nset filter f 10 permit tcp dst eq 99999\nset ether1 ifilter f\n";
  it("check exits 1 with the diagnostic", async () => {
    const f = writeTemp({ "bad.cfg": bad });
    const r = await cli(["check", f["bad.cfg"], "--appliance", files["appliance.json"]]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`${f["bad.cfg"]}:2:35: error[PM004]: port "99999" must be a decimal number 0..65535`);
  });
  it("explain exits 1 with the diagnostics and no verdict", async () => {
    const f = writeTemp({ "bad.cfg": bad });
    const r = await cli(["explain", f["bad.cfg"], "--appliance", files["appliance.json"], "--json", "--packet", "tcp 1.2.3.4:1 > 192.168.1.5:80 in=ether1 out=ether0"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("error[PM004]");
  });
  it("show exits 1 and prints no rules", async () => {
    const f = writeTemp({ "bad.cfg": bad });
    const r = await cli(["show", f["bad.cfg"], "--appliance", files["appliance.json"]]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
  });
  it("an undefined filter makes the configuration fail", async () => {
    const f = writeTemp({ "undef.cfg": "add filter f\nset ether1 ifilter f\nset ether0 ofilter missing\n" });
    const r = await cli(["check", f["undef.cfg"], "--appliance", files["appliance.json"]]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(":3:20: error[PM008]");
  });
  it("--strict makes warnings fail check", async () => {
    const f = writeTemp({ "w.cfg": "add filter f\nset filter f 1 permit udp established\nset ether1 ifilter f\n" });
    expect((await cli(["check", f["w.cfg"], "--appliance", files["appliance.json"]])).code).toBe(0);
    expect((await cli(["check", f["w.cfg"], "--appliance", files["appliance.json"], "--strict"])).code).toBe(1);
  });
});

describe("the office example", () => {
  const cfg = "examples/portmaster/office.cfg";
  const app = "examples/portmaster/office.appliance.json";
  const ask = async (packet: string) => {
    const r = await cli(["explain", cfg, "--appliance", app, "--json", "--packet", packet]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    return { verdict: j.verdict, label: j.rule?.label ?? null };
  };
  const INB = "in=ether1 out=ether0";
  it("check passes with no diagnostics", async () => {
    const r = await cli(["check", cfg, "--appliance", app]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("0 errors, 0 warnings (portmaster, 14 rules in 2 rulesets)\n");
  });
  it("inbound: replies pass, new connections do not, mail reaches the mail server only", async () => {
    expect(await ask(`tcp 198.51.100.7:443 > 192.168.1.10:50000 flags=SA ${INB}`)).toEqual({ verdict: "permit", label: "filter inbound rule 10" });
    expect(await ask(`tcp 198.51.100.7:50000 > 192.168.1.10:22 flags=S ${INB}`)).toEqual({ verdict: "deny", label: "filter inbound rule 60" });
    expect(await ask(`udp 8.8.8.8:53 > 192.168.1.10:40000 ${INB}`)).toEqual({ verdict: "permit", label: "filter inbound rule 20" });
    expect(await ask(`udp 8.8.8.8:123 > 192.168.1.10:40000 ${INB}`)).toEqual({ verdict: "deny", label: "filter inbound rule 60" });
    expect(await ask(`icmp 8.8.8.8 > 192.168.1.10 type=0 ${INB}`)).toEqual({ verdict: "permit", label: "filter inbound rule 30" });
    expect(await ask(`icmp 8.8.8.8 > 192.168.1.10 type=3 code=3 ${INB}`)).toEqual({ verdict: "permit", label: "filter inbound rule 40" });
    expect(await ask(`icmp 8.8.8.8 > 192.168.1.10 type=8 ${INB}`)).toEqual({ verdict: "deny", label: "filter inbound rule 60" });
    expect(await ask(`tcp 198.51.100.7:40000 > 192.168.1.25:25 flags=S ${INB}`)).toEqual({ verdict: "permit", label: "filter inbound rule 50" });
    expect(await ask(`tcp 198.51.100.7:40000 > 192.168.1.10:25 flags=S ${INB}`)).toEqual({ verdict: "deny", label: "filter inbound rule 60" });
  });
  it("outbound: the LAN browses; NetBIOS, direct SMTP and spoofed sources are stopped", async () => {
    expect(await ask("tcp 192.168.1.10:50000 > 198.51.100.7:443")).toEqual({ verdict: "permit", label: "filter outbound rule 40" });
    expect(await ask("udp 192.168.1.10:137 > 198.51.100.7:137")).toEqual({ verdict: "deny", label: "filter outbound rule 10" });
    expect(await ask("tcp 192.168.1.10:50000 > 198.51.100.7:445")).toEqual({ verdict: "deny", label: "filter outbound rule 13" });
    expect(await ask("tcp 192.168.1.25:50000 > 198.51.100.7:25")).toEqual({ verdict: "permit", label: "filter outbound rule 20" });
    expect(await ask("tcp 192.168.1.10:50000 > 198.51.100.7:25")).toEqual({ verdict: "deny", label: "filter outbound rule 30" });
    expect(await ask("tcp 10.9.9.9:50000 > 198.51.100.7:80 in=ether0 out=ether1")).toEqual({ verdict: "deny", label: "filter outbound rule 50" });
  });
});
