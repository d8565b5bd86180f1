// Seed 000: the registry text exactly as printed, and the JSON form of its
// C code, give Host2 mail only; everything else keeps the defaults.
import { describe, it, expect } from "vitest";
import { readFileSync, existsSync } from "node:fs";
import { load, loadOk, classify, BUILTIN } from "./wince-helpers.ts";
import { detectWince } from "../host/dialects/wince/index.ts";

const SEED_REG = readFileSync("test/fixtures/wince/seed000.reg", "utf8");
const SEED_JSON = readFileSync("test/fixtures/wince/seed000.json", "utf8");

describe("seed 000", () => {
  const SEED = "/work/shared/seeds/000_ca9a7562c09f2fba.txt";
  it.skipIf(!existsSync(SEED))("the fixture is the seed's registry text, byte for byte", () => {
    expect(readFileSync(SEED, "utf8").includes(SEED_REG.trimEnd())).toBe(true);
    expect(SEED_REG).toContain('    "Mask"=dword:25         ; FWM_PRIVATE_HOST | FWM_PROTOCOL | FWM_PORT');
  });

  for (const [form, text] of [["registry text", SEED_REG], ["FW_RULE JSON", SEED_JSON]] as const) {
    describe(form, () => {
      it("imports to three rules without diagnostics", () => {
        const r = load(text);
        expect(r.diagnostics).toEqual([]);
        expect(r.rules.map((x) => x.name).sort()).toEqual(["AllowTCPOutboundPort110", "AllowTCPOutboundPort25", "BlockOutboundFromHost2"]);
        expect(r.rules.every((x) => x.direction === "outbound" && !x.disabled)).toBe(true);
      });

      it("is detected as wince", () => {
        expect(detectWince(text)).toBeGreaterThan(0.5);
      });

      const cases: [string, "permit" | "deny", string | null][] = [
        ["tcp 192.168.0.101:40000 > 198.51.100.7:25", "permit", "AllowTCPOutboundPort25"],
        ["tcp 192.168.0.101:40001 > 198.51.100.7:110", "permit", "AllowTCPOutboundPort110"],
        ["tcp 192.168.0.101:40002 > 198.51.100.7:80", "deny", "BlockOutboundFromHost2"],
        ["udp 192.168.0.101:5353 > 198.51.100.53:53", "deny", "BlockOutboundFromHost2"],
        ["icmp 192.168.0.101 > 198.51.100.7 type=8", "deny", "BlockOutboundFromHost2"],
        ["tcp 192.168.0.102:40000 > 198.51.100.7:80", "permit", null],
        ["udp 192.168.0.7:5353 > 198.51.100.53:53", "permit", null],
        ["icmp 192.168.0.102 > 198.51.100.7 type=8", "permit", null],
        ["tcp 198.51.100.7:25 > 192.168.0.101:40000 in=wan out=lan", "deny", null],
        ["tcp 198.51.100.7:40000 > 192.168.0.101:25 in=wan out=lan", "deny", null],
        ["udp 198.51.100.7:53 > 192.168.0.101:5353 in=wan out=lan", "deny", null],
      ];
      for (const [spec, want, by] of cases) {
        it(`${spec}: ${want}${by ? ` by ${by}` : " by default"}`, async () => {
          const o = await classify(loadOk(text), BUILTIN, spec);
          expect(o.verdict).toBe(want);
          expect(o.rule).toBe(by);
        });
      }
    });
  }
});
