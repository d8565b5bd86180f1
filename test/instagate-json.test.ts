// The JSON form of an InstaGate table: the same table as the text form,
// detection of both forms from their content, and show's canonical output
// (text and JSON) reading back to the same rules.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { writeTemp, cli, verdict, check } from "./helpers/instagate.ts";
import { loadInstagate } from "../host/dialects/instagate/index.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON } from "../host/model/appliance.ts";
import { parseJson } from "../host/model/jsonpos.ts";

const appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");
const load = (path: string, text: string) => loadInstagate([{ path, text }], { appliance, strict: false, options: {} });
/** The rules as the engines see them, without provenance. */
const rulesOf = (r: ReturnType<typeof load>) => r.policy!.rulesets.map((rs) => rs.rules.map(({ origin, ...rest }) => ({ ...rest, label: origin.label })));

const SEED_JSON = `{"instagate": {
  "objects": [{"name": "Server IP Address", "address": "192.168.0.25"}],
  "rules": [
    {"number": 1, "title": "Accept Rule", "action": "Accept", "interface": "LAN",
     "source": {"match": "Include", "network": "Server IP Address", "subnet": "255.255.255.255"},
     "destination": {"match": "Include", "object": "ANY"},
     "services": ["SMTP"]},
    {"number": 2, "title": "Deny Rule", "action": "Deny", "interface": "LAN",
     "source": {"match": "Include", "object": "ANY"},
     "destination": {"match": "Include", "object": "ANY"},
     "services": ["SMTP"]}
  ]
}}
`;

describe("JSON form", () => {
  it("loads to the same rules as the seed's text", () => {
    const text = load("a.txt", readFileSync("test/golden/instagate/internal-mail-server-placeholder.txt", "utf8"));
    const json = load("a.json", SEED_JSON);
    expect(json.diagnostics).toEqual([]);
    expect(rulesOf(json)).toEqual(rulesOf(text));
  });
  it("is detected from its content and decides packets, naming its lines", async () => {
    const f = writeTemp(SEED_JSON, "cfg");
    expect((await cli(["check", f])).out).toContain("(instagate,");
    expect(await verdict(f, "tcp 192.168.0.25:1 > 1.2.3.4:25")).toMatchObject({ verdict: "permit", line: 4 });
    expect(await verdict(f, "tcp 192.168.0.26:1 > 1.2.3.4:25")).toMatchObject({ verdict: "deny", line: 8 });
  });
  it("services, subnets, lists and Exclude", async () => {
    const f = writeTemp(JSON.stringify({ instagate: {
      objects: [{ name: "Lab", network: "10.2.0.0", subnet: "255.255.0.0" }, { name: "Both", list: ["Lab", "10.3.0.1"] }],
      services: [{ name: "GAMES", protocol: "UDP", ports: "27000-27015" }, { name: "ALT", protocol: "TCP", ports: 8080 }, { name: "U", protocol: "ICMP", type: 3 }, { name: "G", protocol: 47 }],
      rules: [{ action: "Deny", interface: "LAN", source: { match: "Exclude", object: "Both" }, destination: { match: "Include", object: "ANY" }, services: ["GAMES", "ALT", "U", "G"] }],
    } }), "json");
    expect((await check(f)).diagnostics).toEqual([]);
    expect((await verdict(f, "udp 192.168.0.9:1 > 1.2.3.4:27001")).verdict).toBe("deny");
    expect((await verdict(f, "udp 10.2.0.9:1 > 1.2.3.4:27001 in=lan")).verdict).toBe("permit");
    expect((await verdict(f, "tcp 192.168.0.9:1 > 1.2.3.4:8080")).verdict).toBe("deny");
    expect((await verdict(f, "icmp 192.168.0.9 > 1.2.3.4 type=3")).verdict).toBe("deny");
    expect((await verdict(f, "47 10.3.0.1 > 1.2.3.4 in=lan")).verdict).toBe("permit");
    expect((await verdict(f, "47 10.3.0.2 > 1.2.3.4 in=lan")).verdict).toBe("deny");
  });
  it("an antivirus key draws the no-proxy warning", async () => {
    const f = writeTemp('{"instagate": {"antivirus": {"other_smtp_scanning": true}, "rules": []}}', "json");
    expect((await check(f)).diagnostics).toMatchObject([{ code: "IG040", line: 1, column: 29, severity: "warning" }]);
  });
  it.each([
    ['{"instagate": {"rules": [{"action": "Deny"}]}}', 1, 26, /"interface" is missing/],
    ['{"instagate": {"rules": [{"action": "Maybe", "interface": "LAN", "source": {"match":"Include","object":"ANY"}, "destination": {"match":"Include","object":"ANY"}, "services": "Any"}]}}', 1, 37, /Accept/],
    ['{"instagate": {"objects": [{"name": "A", "address": "1.2.3.4", "list": ["x"]}]}}', 1, 28, /exactly one/],
    ['{"instagate": {"services": [{"name": "A", "protocol": "TCP"}]}}', 1, 29, /"ports" is missing/],
    ['{"instagate": {"rules": [], "rules": []}}', 1, 29, /twice/],
    ['{"instagate": {"rules": [{"action": "Deny", "interface": "LAN", "source": {"match":"Include","object":"ANY","network":"1.2.3.4"}, "destination": {"match":"Include","object":"ANY"}, "services": "Any"}]}}', 1, 75, /exactly one of "object" or "network"/],
    ['{"instagate": {"rules": [{"action": "Deny", "interface": "LAN", "source": {"match":"Include","object":"ANY"}, "destination": {"match":"Include","object":"ANY"}, "services": []}]}}', 1, 174, /non-empty array/],
  ])("structure error %#", async (text, line, column, message) => {
    const c = await check(writeTemp(text, "json"));
    expect(c.code).toBe(1);
    expect(c.diagnostics[0]).toMatchObject({ code: "IG061", line, column });
    expect(c.diagnostics[0].message).toMatch(message);
  });
  it("the positional JSON reader agrees with JSON.parse and places errors", () => {
    const text = '{\n  "a": [1, -2.5e3, "x\\u0041", true, false, null],\n  "b": {}\n}';
    const v = parseJson(text).value!;
    expect(v.type === "object" && v.entries[1].keyPos).toEqual({ line: 3, column: 3 });
    const plain = (j: any): unknown => j.type === "object" ? Object.fromEntries(j.entries.map((e: any) => [e.key, plain(e.value)])) : j.type === "array" ? j.items.map(plain) : j.type === "null" ? null : j.value;
    expect(plain(v)).toEqual(JSON.parse(text));
    expect(parseJson('{"a": 1,\n}')).toMatchObject({ value: null, problems: [{ kind: "syntax", pos: { line: 2, column: 1 } }] });
    expect(parseJson('{"a": 1}\nx').problems[0].pos).toEqual({ line: 2, column: 1 });
  });
});

describe("show: the canonical form reads back to the same table", () => {
  for (const fixture of ["internal-mail-server", "internal-mail-server-placeholder", "instagate-mail-server"]) {
    it(`${fixture}: text and JSON`, async () => {
      const src = `test/golden/instagate/${fixture}.txt`;
      const original = load(src, readFileSync(src, "utf8"));
      const shown = await cli(["show", src]);
      expect(shown.code).toBe(0);
      const again = load("shown.txt", shown.out);
      expect(again.diagnostics).toEqual([]);
      expect(rulesOf(again)).toEqual(rulesOf(original));
      const json = await cli(["show", src, "--set", "format=json"]);
      const fromJson = load("shown.json", json.out);
      expect(fromJson.diagnostics).toEqual([]);
      expect(rulesOf(fromJson)).toEqual(rulesOf(original));
    });
  }
});

describe("detection", () => {
  it("the seed's text is detected as instagate; unrelated text is not", async () => {
    expect((await cli(["check", "test/golden/instagate/internal-mail-server.txt"])).out).toContain("(instagate,");
    const other = await cli(["check", writeTemp("hello world\n")]);
    expect(other.code).toBe(1);
    expect(other.out).toContain("CFG003");
  });
});
