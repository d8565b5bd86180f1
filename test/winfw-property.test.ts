// Random lists against a direct statement of seed 001's rules: a port is
// open to a source iff no entry for its PORT:TRANSPORT is disabled and some
// enabled entry's scope holds the source. Both engines decide each packet.
import { describe, it, expect } from "vitest";
import fc from "fast-check";
import { load, decider } from "./winfw-helpers.ts";
import { parseDefinition } from "../host/dialects/winfw/definition.ts";

// Seeded, and the seed is in the test names: a failure is replayed with
// WINFW_SEED=N (fast-check also prints the seed and the shrunk case).
const SEED = Number(process.env.WINFW_SEED ?? 20261129);

const SCOPES: Record<string, (a: number[]) => boolean> = {
  "*": () => true,
  "10.0.0.1": (a) => a.join(".") === "10.0.0.1",
  "10.3.4.0/24": (a) => a[0] === 10 && a[1] === 3 && a[2] === 4,
  "10.3.0.0/255.255.0.0": (a) => a[0] === 10 && a[1] === 3,
  // The built-in appliance's subnets: 192.168.0.0/24 and 10.0.0.0/24.
  localsubnet: (a) => (a[0] === 192 && a[1] === 168 && a[2] === 0) || (a[0] === 10 && a[1] === 0 && a[2] === 0),
};
const SOURCES = ["10.0.0.1", "10.0.0.2", "10.3.4.77", "10.3.9.1", "192.168.0.9", "198.51.100.1"];

const entry = fc.record({
  port: fc.constantFrom(80, 81),
  transport: fc.constantFrom("TCP", "udp"),
  scope: fc.uniqueArray(fc.constantFrom(...Object.keys(SCOPES).filter((s) => s !== "*")), { minLength: 1, maxLength: 3 }),
  star: fc.boolean(),
  enabled: fc.boolean(),
});

describe("random lists", () => {
  it(`open iff not disabled and some enabled scope holds the source (seed ${SEED})`, async () => {
    await fc.assert(fc.asyncProperty(fc.array(entry, { minLength: 1, maxLength: 6 }), async (entries) => {
      const lines = entries.map((e, i) => `${e.port}:${e.transport}:${e.star ? "*" : e.scope.join(",")}:${e.enabled ? "enabled" : "disabled"}:entry ${i}`);
      const r = load({ "l.txt": lines.join("\n") });
      expect(r.policy).not.toBeNull();
      const d = await decider(r.policy!);
      for (const port of [80, 81]) {
        for (const t of ["TCP", "UDP"]) {
          const mine = entries.filter((e) => e.port === port && e.transport.toUpperCase() === t);
          for (const src of SOURCES) {
            const a = src.split(".").map(Number);
            const open = mine.length > 0 && mine.every((e) => e.enabled)
              && mine.some((e) => e.star || e.scope.some((s) => SCOPES[s](a)));
            const got = d(`${t.toLowerCase()} ${src}:5000 > 192.168.0.20:${port} in=wan out=lan`);
            expect(got, `${lines.join(" | ")} :: ${t} ${src} -> ${port}`).toBe(open ? "permit" : "deny");
          }
        }
      }
    }), { seed: SEED, numRuns: 150 });
  });

  it(`the definition parser never throws, and reports every problem inside the string (seed ${SEED + 1})`, () => {
    fc.assert(fc.property(fc.string({ maxLength: 60, unit: fc.constantFrom(..."0123456789:.,/*TCPUDtcpudenabldisx: ".split("")) }), (s) => {
      const { definition, problems } = parseDefinition(s);
      for (const p of problems) expect(p.offset >= 0 && p.offset <= s.length).toBe(true);
      if (definition) expect(definition.port >= 1 && definition.port <= 65535).toBe(true);
      expect(definition === null).toBe(problems.some((p) => p.severity === "error"));
    }), { seed: SEED + 1, numRuns: 2000 });
  });
});
