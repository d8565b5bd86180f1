// The PortMaster dialect's parser, lowering and diagnostics, in-process.
import { describe, it, expect } from "vitest";
import { load, codes, lines, pmAppliance } from "./portmaster-helpers.ts";
import { PM_CODES } from "../host/dialects/portmaster/codes.ts";
import { detectPortmaster } from "../host/dialects/portmaster/index.ts";
import { ESTABLISHED, type Rule } from "../host/model/rule.ts";
import { formatPrefix } from "../host/model/addr.ts";

function rulesOf(text: string, filter = "f"): Rule[] {
  const r = load(text);
  expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const rs = r.policy!.rulesets.find((x) => x.name === filter);
  return rs!.rules;
}

/** One rule of filter f, attached so no unattached warning muddles things. */
function one(body: string): Rule {
  const rules = rulesOf(`add filter f\nset filter f 1 ${body}\nset lan ifilter f\n`);
  expect(rules).toHaveLength(1);
  return rules[0];
}

describe("rule syntax lowers to the rule model", () => {
  it("bare permit/deny: any protocol, any address, IPv4 only", () => {
    const p = one("permit");
    expect(p).toMatchObject({ action: "permit", proto: null, src: null, dst: null, family: 4, sport: null, dport: null, icmpType: null, flags: null, log: false, notify: false, keepState: false });
    expect(one("deny").action).toBe("deny");
  });
  it("SRC/BITS DST/BITS, and dotted netmasks", () => {
    const r = one("permit 10.0.0.0/8 192.168.1.3/32");
    expect(formatPrefix(r.src!.prefix)).toBe("10.0.0.0/8");
    expect(formatPrefix(r.dst!.prefix)).toBe("192.168.1.3/32");
    expect(r.src!.negate).toBe(false);
    const d = one("permit 10.0.0.0/255.0.0.0 192.168.1.0/255.255.255.0");
    expect(formatPrefix(d.src!.prefix)).toBe("10.0.0.0/8");
    expect(formatPrefix(d.dst!.prefix)).toBe("192.168.1.0/24");
    // 0.0.0.0/0 is "any": no address test at all.
    const any = one("permit 0.0.0.0/0 0.0.0.0/0");
    expect(any.src).toBeNull();
    expect(any.dst).toBeNull();
  });
  it("protocol parts: ip, protocol N, esp, ah, ipip, icmp, tcp, udp", () => {
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 ip").proto).toBeNull();
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 protocol 47").proto).toBe(47);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 protocol 0").proto).toBe(0);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 esp").proto).toBe(50);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 ah").proto).toBe(51);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 ipip").proto).toBe(4);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 icmp").proto).toBe(1);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 tcp").proto).toBe(6);
    expect(one("permit 0.0.0.0/0 0.0.0.0/0 udp").proto).toBe(17);
    // The protocol part may follow the action directly (no prefixes).
    expect(one("permit udp").proto).toBe(17);
  });
  it("icmp type N", () => {
    const r = one("permit 0.0.0.0/0 0.0.0.0/0 icmp type 8");
    expect(r.icmpType).toBe(8);
    expect(r.icmpCode).toBeNull();
    expect(one("permit icmp type 255").icmpType).toBe(255);
    expect(one("permit icmp").icmpType).toBeNull();
  });
  it("tcp/udp port tests: src and dst, eq lt gt, in either order", () => {
    const r = one("permit 0.0.0.0/0 0.0.0.0/0 tcp src gt 1023 dst eq 80");
    expect(r.sport).toEqual({ op: "gt", port: 1023 });
    expect(r.dport).toEqual({ op: "eq", port: 80 });
    const u = one("permit 0.0.0.0/0 0.0.0.0/0 udp dst lt 1024 src eq 53");
    expect(u.sport).toEqual({ op: "eq", port: 53 });
    expect(u.dport).toEqual({ op: "lt", port: 1024 });
    expect(one("permit tcp src eq 0").sport).toEqual({ op: "eq", port: 0 });
    expect(one("permit tcp dst eq 65535").dport).toEqual({ op: "eq", port: 65535 });
  });
  it("established sets the ACK-or-RST flags test", () => {
    expect(one("permit tcp established").flags).toEqual(ESTABLISHED);
    expect(one("permit tcp dst eq 22 established").flags).toEqual(ESTABLISHED);
  });
  it("established on udp keeps the flags test (never matches) and warns", () => {
    const r = load("add filter f\nset filter f 1 permit udp established\nset lan ifilter f\n");
    expect(codes(r.diagnostics)).toEqual(["PM006"]);
    const rule = r.policy!.rulesets[0].rules[0];
    expect(rule.proto).toBe(17);
    expect(rule.flags).toEqual(ESTABLISHED);
  });
  it("log and notify, in any order and any case", () => {
    expect(one("deny log")).toMatchObject({ log: true, notify: false });
    expect(one("deny notify")).toMatchObject({ log: false, notify: true });
    expect(one("deny tcp notify log")).toMatchObject({ log: true, notify: true });
    expect(one("DENY 0.0.0.0/0 0.0.0.0/0 TCP DST EQ 23 Log Notify")).toMatchObject({ action: "deny", proto: 6, dport: { op: "eq", port: 23 }, log: true, notify: true });
  });
  it("each rule carries its provenance", () => {
    const r = load("# c\n\nadd filter f\n   set filter f 7 permit tcp   # why\nset lan ifilter f\n");
    expect(r.policy!.rulesets[0].rules[0].origin).toEqual({
      dialect: "portmaster", file: "t.cfg", line: 4, column: 4, text: "set filter f 7 permit tcp", label: "filter f rule 7", number: 7,
    });
  });
});

describe("commands", () => {
  it("comments (# and ;) and blank lines are ignored; keywords are case-insensitive", () => {
    const r = load("; semicolon comment\n# hash comment\n\n   \nAdd Filter f ; trailing\nSET FILTER f 1 deny # trailing\nSet lan IFilter f\n");
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.rulesets.map((x) => x.name)).toEqual(["f"]);
    expect(r.policy!.input[0]).toBe(0);
  });
  it("rules are ordered by number, not by the order written", () => {
    const rules = rulesOf("add filter f\nset filter f 30 deny\nset filter f 5 permit tcp\nset filter f 12 permit udp\nset lan ifilter f\n");
    expect(rules.map((r) => r.origin.label)).toEqual(["filter f rule 5", "filter f rule 12", "filter f rule 30"]);
  });
  it("set filter NAME N with nothing after it removes rule N", () => {
    const rules = rulesOf("add filter f\nset filter f 1 permit tcp\nset filter f 2 permit udp\nset filter f 1\nset lan ifilter f\n");
    expect(rules.map((r) => r.proto)).toEqual([17]);
  });
  it("a removed rule number can be set again in the same file", () => {
    const r = load("add filter f\nset filter f 1 permit tcp\nset filter f 1\nset filter f 1 permit udp\nset lan ifilter f\n");
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.rulesets[0].rules.map((x) => x.proto)).toEqual([17]);
  });
  it("delete filter removes the filter and its rules; add filter starts it afresh", () => {
    const r = load("add filter f\nset filter f 1 permit tcp\ndelete filter f\nadd filter f\nset filter f 2 deny\nset lan ifilter f\n");
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.rulesets).toHaveLength(1);
    expect(r.policy!.rulesets[0].rules.map((x) => x.origin.label)).toEqual(["filter f rule 2"]);
  });
  it("ifilter and ofilter bind the input and output rulesets of interfaces", () => {
    const r = load("add filter a\nadd filter b\nset wan ifilter a\nset lan ofilter b\n");
    expect(r.diagnostics).toEqual([]);
    const p = r.policy!;
    expect(p.interfaces).toEqual(["lan", "wan"]);
    expect(p.input).toEqual([null, 0]);
    expect(p.output).toEqual([1, null]);
  });
  it("an attachment with no filter name detaches", () => {
    const r = load("add filter a\nset wan ifilter a\nset lan ifilter a\nset wan ifilter\n");
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.input).toEqual([0, null]);
  });
  it("PortMaster port names ether0, ether1, s0 work when the appliance has them", () => {
    const r = load("add filter a\nadd filter b\nset ether1 ifilter a\nset s0 ofilter b\nset ether0 ofilter a\n", pmAppliance);
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.interfaces).toEqual(["ether0", "ether1", "s0"]);
    expect(r.policy!.input).toEqual([null, 0, null]);
    expect(r.policy!.output).toEqual([0, null, 1]);
  });
  it("user and location filters are accepted with a warning and bound to nothing", () => {
    const r = load("add filter a\nset user alice ifilter a\nset location branch ofilter a\n");
    expect(lines(r.diagnostics)).toEqual([
      "t.cfg:2:1: warning[PM013]: ifilter of user alice applies only to that user's live dial-in session, which this appliance does not emulate; it is not bound to any interface",
      "t.cfg:3:1: warning[PM013]: ofilter of location branch applies only to that location's live dial-in session, which this appliance does not emulate; it is not bound to any interface",
    ]);
    expect(r.policy!.input).toEqual([null, null]);
    expect(r.policy!.output).toEqual([null, null]);
  });
  it("save lines are accepted and change nothing", () => {
    const r = load("add filter a\nset lan ifilter a\nsave all\n");
    expect(r.diagnostics).toEqual([]);
  });
});

describe("defaults and policy shape", () => {
  it("an empty filter permits in every direction; a non-empty one denies", () => {
    const r = load("add filter empty\nadd filter full\nset filter full 1 permit tcp\nset lan ifilter empty\nset wan ifilter full\n");
    const [e, f] = r.policy!.rulesets;
    expect(e.defaults).toEqual({ inbound: "permit", outbound: "permit", other: "permit" });
    expect(f.defaults).toEqual({ inbound: "deny", outbound: "deny", other: "deny" });
  });
  it("a filter whose rules were all removed is empty again, so it permits", () => {
    const r = load("add filter f\nset filter f 1 deny\nset filter f 1\nset lan ifilter f\n");
    expect(r.policy!.rulesets[0].defaults.inbound).toBe("permit");
  });
  it("rulesets are stateless, and the policy asks for ICMP unreachables", () => {
    const r = load("add filter f\nset filter f 1 permit\nset lan ifilter f\n");
    expect(r.policy!.rulesets[0].stateful).toBe(false);
    expect(r.policy!.unreachables).toBe(true);
    expect(r.policy!.dialect).toBe("portmaster");
  });
  it("a configuration with errors yields no policy", () => {
    const r = load("add filter f\nset filter f 1 permit bogus\nset lan ifilter f\n");
    expect(r.policy).toBeNull();
    expect(codes(r.diagnostics)).toEqual(["PM001"]);
  });
});

describe("several files run in order", () => {
  it("a later file adds, removes and replaces rules of an earlier file's filter", () => {
    const r = load([
      "add filter f\nset filter f 10 permit tcp\nset filter f 20 permit udp\nset filter f 30 deny\nset lan ifilter f\n",
      "set filter f 20\nset filter f 30 permit icmp\nset filter f 25 deny icmp type 8\n",
    ]);
    expect(lines(r.diagnostics)).toEqual([
      't2.cfg:2:14: warning[PM025]: replaces rule 30 of filter "f" set at t1.cfg:4',
    ]);
    expect(r.policy!.rulesets[0].rules.map((x) => `${x.origin.file}:${x.origin.line} ${x.proto}`)).toEqual(["t1.cfg:2 6", "t2.cfg:3 1", "t2.cfg:2 1"]);
  });
  it("a later file can delete a filter and attach another", () => {
    const r = load(["add filter a\nadd filter b\nset lan ifilter a\nset wan ifilter b\n", "delete filter a\nset lan ifilter b\n"]);
    expect(codes(r.diagnostics)).toEqual(["PM026"]);
    expect(r.policy!.rulesets.map((x) => x.name)).toEqual(["b"]);
    expect(r.policy!.input).toEqual([0, 0]);
  });
  it("the same rule number twice within one file is an error naming the first line", () => {
    const r = load(["add filter f\nset filter f 10 permit tcp\nset filter f 10 deny\nset lan ifilter f\n"]);
    expect(lines(r.diagnostics)).toEqual([
      't.cfg:3:14: error[PM007]: rule 10 of filter "f" is already set at line 2; pick another number, or remove it first with "set filter f 10"',
    ]);
  });
});

describe("more than 256 rules", () => {
  const config = (n: number) => "add filter big\n" + Array.from({ length: n }, (_, i) => `set filter big ${i + 1} permit 10.${i >> 8}.${i & 255}.0/24 0.0.0.0/0\n`).join("") + "set lan ifilter big\n";
  it("256 rules load without a warning", () => {
    const r = load(config(256));
    expect(r.diagnostics).toEqual([]);
    expect(r.policy!.rulesets[0].rules).toHaveLength(256);
  });
  it("257 rules load, with a warning at the add filter line", () => {
    const r = load(config(257));
    expect(lines(r.diagnostics)).toEqual(['t.cfg:1:1: warning[PM009]: filter "big" has 257 rules; a PortMaster 3/IRX holds at most 256 (older models 100)']);
    expect(r.policy!.rulesets[0].rules).toHaveLength(257);
  });
});

// Every diagnostic code, with its exact location and message. The header
// `add filter f` + `set lan ifilter f` keeps unrelated warnings away.
const H = "add filter f\nset lan ifilter f\n";
const CASES: [string, string, string[]][] = [
  ["PM001 unknown command", H + "frobnicate\n", ['t.cfg:3:1: error[PM001]: unknown command "frobnicate" (expected add filter, delete filter, set filter, set IFACE ifilter|ofilter, set user|location NAME ifilter|ofilter)']],
  ["PM001 unknown keyword in a rule", H + "set filter f 1 permit tcp dst eq 80 bogus\n", ['t.cfg:3:37: error[PM001]: unknown keyword "bogus" (expected a protocol part: ip, protocol N, tcp, udp, icmp, esp, ah, ipip; or log, notify)']],
  ["PM001 permit/deny expected", H + "set filter f 1 accept\n", ['t.cfg:3:16: error[PM001]: unknown keyword "accept": expected permit or deny']],
  ["PM001 port operator", H + "set filter f 1 permit tcp dst ge 80\n", ['t.cfg:3:31: error[PM001]: unknown port operator "ge" (eq, lt or gt)']],
  ["PM001 port test after icmp", H + "set filter f 1 permit icmp dst eq 80\n", ['t.cfg:3:28: error[PM001]: "dst" belongs to a tcp or udp protocol part, right after tcp or udp']],
  ["PM001 unsupported interface setting", H + "set wan address 10.0.0.1\n", ['t.cfg:3:9: error[PM001]: unknown keyword "address": only "set wan ifilter NAME" and "ofilter NAME" are read here']],
  ["PM002 /33", H + "set filter f 1 permit 10.0.0.0/33 0.0.0.0/0\n", ['t.cfg:3:23: error[PM002]: "10.0.0.0/33": the prefix length /33 is above 32']],
  ["PM002 bad dotted mask", H + "set filter f 1 permit 0.0.0.0/0 10.0.0.0/255.0.0.255\n", ['t.cfg:3:33: error[PM002]: "10.0.0.0/255.0.0.255": 255.0.0.255 is not a contiguous netmask']],
  ["PM002 bad address", H + "set filter f 1 permit 10.0.0.256/32 0.0.0.0/0\n", ['t.cfg:3:23: error[PM002]: "10.0.0.256" is not an IPv4 address']],
  ["PM002 IPv6", H + "set filter f 1 permit ::/0 ::/0\n", ['t.cfg:3:23: error[PM002]: "::/0": PortMaster filters are IPv4 only']],
  ["PM003 host bits", H + "set filter f 1 permit 192.168.1.3/24 0.0.0.0/0\n", ['t.cfg:3:23: warning[PM003]: "192.168.1.3/24" has host bits set under the mask; the mask applies: 192.168.1.0/24']],
  ["PM004 port out of range", H + "set filter f 1 permit udp src eq 70000\n", ['t.cfg:3:34: error[PM004]: port "70000" must be a decimal number 0..65535']],
  ["PM005 lt 0", H + "set filter f 1 permit tcp dst lt 0\n", ['t.cfg:3:31: warning[PM005]: "dst lt 0" can never match (lt and gt are strict), so this rule never matches']],
  ["PM005 gt 65535", H + "set filter f 1 permit udp src gt 65535\n", ['t.cfg:3:31: warning[PM005]: "src gt 65535" can never match (lt and gt are strict), so this rule never matches']],
  ["PM006 established on udp", H + "set filter f 1 permit udp established\n", ['t.cfg:3:27: warning[PM006]: "established" tests TCP flags, which a UDP packet does not carry: this rule never matches']],
  ["PM007 rule number twice", H + "set filter f 1 permit\nset filter f 1 deny\n", ['t.cfg:4:14: error[PM007]: rule 1 of filter "f" is already set at line 3; pick another number, or remove it first with "set filter f 1"']],
  ["PM008 undefined filter", "add filter f\nset lan ifilter f\nset wan ofilter nope\n", ['t.cfg:3:17: error[PM008]: filter "nope" is used as ofilter of wan but never defined (no "add filter nope")']],
  ["PM008 deleted filter", "add filter f\nset lan ifilter f\ndelete filter f\n", ['t.cfg:2:17: error[PM008]: filter "f" is used as ifilter of lan but was deleted at line 3']],
  ["PM010 shadowed", H + "set filter f 1 deny 10.0.0.0/8 0.0.0.0/0\nset filter f 2 permit 10.1.0.0/16 0.0.0.0/0 tcp\n", ['t.cfg:4:14: warning[PM010]: rule 2 of filter "f" is shadowed by rule 1 (line 3), which matches every packet it matches; it never decides a packet (its permit never takes effect)']],
  ["PM011 redundant", H + "set filter f 1 permit tcp dst eq 80\nset filter f 2 permit 0.0.0.0/0 0.0.0.0/0 TCP dst eq 80 log\n", ['t.cfg:4:14: warning[PM011]: rule 2 of filter "f" repeats rule 1 (line 3); it never decides a packet']],
  ["PM012 unknown interface", H + "set ether0 ifilter f\n", ['t.cfg:3:5: error[PM012]: "ether0" is not an interface of this appliance (interfaces: lan, wan); describe the PortMaster\'s ports with --appliance']],
  ["PM013 user", H + "set user bob ofilter f\n", ['t.cfg:3:1: warning[PM013]: ofilter of user bob applies only to that user\'s live dial-in session, which this appliance does not emulate; it is not bound to any interface']],
  ["PM014 unattached", H + "add filter spare\n", ['t.cfg:3:1: warning[PM014]: filter "spare" is defined but never attached (set IFACE ifilter|ofilter spare)']],
  ["PM015 never added", H + "set filter g 1 permit\n", ['t.cfg:3:12: error[PM015]: filter "g" was never added; write "add filter g" first']],
  ["PM015 deleted", H + "add filter g\ndelete filter g\nset filter g 1 permit\n", ['t.cfg:5:12: error[PM015]: filter "g" was deleted at line 4; "add filter g" again before setting its rules']],
  ["PM016 added twice", H + "add filter f\n", ['t.cfg:3:12: error[PM016]: filter "f" was already added at line 1; to start it afresh, "delete filter f" first']],
  ["PM017 bad name", H + "add filter sixteen-chars-xx\n", ['t.cfg:3:12: error[PM017]: bad filter name "sixteen-chars-xx": 1 to 15 letters, digits, _ . -']],
  ["PM017 bad name in attachment", H + "set lan ofilter bad/name\n", ['t.cfg:3:17: error[PM017]: bad filter name "bad/name": 1 to 15 letters, digits, _ . -']],
  ["PM018 rule number 0", H + "set filter f 0 permit\n", ['t.cfg:3:14: error[PM018]: bad rule number "0": a decimal number 1..65535']],
  ["PM018 rule number 65536", H + "set filter f 65536 permit\n", ['t.cfg:3:14: error[PM018]: bad rule number "65536": a decimal number 1..65535']],
  ["PM019 missing rule number", H + "set filter f\n", ['t.cfg:3:13: error[PM019]: the rule number is missing: set filter f N permit|deny ...']],
  ["PM019 missing port", H + "set filter f 1 permit tcp src lt\n", ['t.cfg:3:33: error[PM019]: "src lt" needs a port number']],
  ["PM019 missing protocol number", H + "set filter f 1 permit protocol\n", ['t.cfg:3:31: error[PM019]: protocol number is missing']],
  ["PM019 missing filter name", H + "add filter\n", ['t.cfg:3:11: error[PM019]: the filter name is missing']],
  ["PM020 protocol 256", H + "set filter f 1 permit protocol 256\n", ['t.cfg:3:32: error[PM020]: protocol number "256" must be a decimal number 0..255']],
  ["PM020 icmp type 256", H + "set filter f 1 permit icmp type 256\n", ['t.cfg:3:33: error[PM020]: ICMP type "256" must be a decimal number 0..255']],
  ["PM021 one prefix", H + "set filter f 1 permit 10.0.0.0/8\n", ['t.cfg:3:33: error[PM021]: source prefix 10.0.0.0/8 without a destination prefix: write SRC/BITS DST/BITS (0.0.0.0/0 for any)']],
  ["PM022 two protocols", H + "set filter f 1 permit tcp icmp\n", ['t.cfg:3:27: error[PM022]: "icmp": a rule has one protocol part (already tcp)']],
  ["PM022 src twice", H + "set filter f 1 permit tcp src eq 1 src eq 2\n", ['t.cfg:3:36: error[PM022]: "src" port test given twice']],
  ["PM022 established twice", H + "set filter f 1 permit tcp established established\n", ['t.cfg:3:39: error[PM022]: "established" given twice']],
  ["PM022 icmp type twice", H + "set filter f 1 permit icmp type 3 type 4\n", ['t.cfg:3:35: error[PM022]: "type" given twice']],
  ["PM001 type without icmp", H + "set filter f 1 permit tcp type 4\n", ['t.cfg:3:27: error[PM001]: "type" belongs right after icmp']],
  ["PM022 notify twice", H + "set filter f 1 deny notify notify\n", ['t.cfg:3:28: error[PM022]: "notify" given twice']],
  ["PM023 no such rule", H + "set filter f 9\n", ['t.cfg:3:14: warning[PM023]: filter "f" has no rule 9 to remove']],
  ["PM024 no such filter", H + "delete filter zz\n", ['t.cfg:3:15: warning[PM024]: no filter "zz" to delete']],
  ["PM026 attachment replaced", H + "add filter g\nset lan ifilter g\nset wan ifilter f\n", ['t.cfg:4:1: warning[PM026]: ifilter of lan was "f" (line 2); now "g"']],
];

describe("every diagnostic, with file:line:col, code and message", () => {
  for (const [name, text, expected] of CASES) {
    it(name, () => {
      expect(lines(load(text).diagnostics)).toEqual(expected);
    });
  }
  it("every code in the table is exercised (PM009 and PM025 above), with its documented severity", () => {
    const seen = new Map<string, string>();
    for (const [, text] of CASES) for (const d of load(text).diagnostics) seen.set(d.code, d.severity);
    seen.set("PM009", "warning"); // "more than 256 rules" block
    seen.set("PM025", "warning"); // "several files" block
    seen.set("PM027", "warning"); // the lint budget: test/parser-scaling.test.ts
    seen.set("PM028", "warning"); // only `check` runs the exact order lint: test/order-lint-dialects.test.ts
    for (const [code, info] of Object.entries(PM_CODES)) {
      expect(seen.get(code), code).toBe(info.severity);
    }
    expect([...seen.keys()].sort()).toEqual(Object.keys(PM_CODES).sort());
  });
});

describe("detection", () => {
  it("scores set filter / add filter text high, attachments lower, other text zero", () => {
    expect(detectPortmaster("# x\nadd filter in\n")).toBeGreaterThanOrEqual(0.9);
    expect(detectPortmaster("  SET FILTER in 1 permit\n")).toBeGreaterThanOrEqual(0.9);
    expect(detectPortmaster("set ether0 ifilter in\n")).toBeGreaterThan(0.5);
    expect(detectPortmaster("set user bob ofilter in\n")).toBeGreaterThan(0.5);
    expect(detectPortmaster("REGEDIT4\n[HKEY_LOCAL_MACHINE\\COMM\\Firewall]\n")).toBe(0);
    expect(detectPortmaster("80:TCP:*:enabled:Web\n")).toBe(0);
  });
});
