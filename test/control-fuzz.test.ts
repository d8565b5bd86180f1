// Seeded fuzz test of the control protocol: random, mutated and malformed
// request lines against a running appliance. Every answer must be one clean
// JSON line (ok, or ok:false with an error) or the connection closed, and
// the appliance must stay up and keep forwarding. A few thousand cases in CI;
// PORTCULLIS_FUZZ_CASES=1000000 (and PORTCULLIS_FUZZ_SEED) for more locally.
// `reload` is left out of the commands (each one starts a worker thread; the
// corpus test sends reloads).
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import fc from "fast-check";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Harness, syn, until } from "./support/live-harness.ts";
import { registerHostile } from "./support/hostile-dialects.ts";
import { exchange, answerProblems } from "./support/control-client.ts";
import { request } from "../host/runtime/control.ts";

const CASES = Number(process.env.PORTCULLIS_FUZZ_CASES ?? 2000);
const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? 1212);
const h = new Harness();
let t: Awaited<ReturnType<Harness["start"]>>;

beforeAll(async () => {
  registerHostile();
  const cfg = join(h.dir, "fw.cfg");
  writeFileSync(cfg, "#mini\npermit tcp dport 25 log\ndeny tcp dport 23\n");
  t = await h.start([cfg]);
});
afterAll(() => h.dispose());

const extreme = fc.oneof(
  fc.integer(), fc.double(), fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53, -(2 ** 63), 1e308, NaN, Infinity),
  fc.string(), fc.constant(null), fc.boolean(), fc.array(fc.integer(), { maxLength: 3 }),
);
const cmd = fc.oneof(fc.constantFrom("status", "macs", "STATUS", "", "reloadx", "__proto__", "constructor", "toString"), fc.string(), extreme);
const request0 = fc.record({ cmd, offset: extreme, limit: extreme, extra: fc.jsonValue({ maxDepth: 3 }) }, { requiredKeys: [] }).map((o) => JSON.stringify(o) ?? "null");
const controlChars = fc.constantFrom("\u0000", "\u0007", "\u001b[2J", "\u202e", "\u0085", "\u2028", "\r", "\"", "\\", "}", "{", "\uffff", "\ud800");
/** A valid request cut, with characters inserted, or a segment duplicated. */
const mutated = fc.tuple(request0, fc.nat(), fc.nat(), controlChars, fc.integer({ min: 0, max: 2 })).map(([s, i, j, c, how]) => {
  const a = i % (s.length + 1), b = j % (s.length + 1);
  if (how === 0) return s.slice(0, a);
  if (how === 1) return s.slice(0, a) + c + s.slice(a);
  return s.slice(0, Math.min(a, b)) + s.slice(Math.min(a, b), Math.max(a, b)).repeat(3) + s.slice(Math.max(a, b));
});
const line = fc.oneof(
  { weight: 4, arbitrary: request0.map((s) => Buffer.from(s)) },
  { weight: 4, arbitrary: mutated.map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.string({ unit: "binary", maxLength: 200 }).map((s) => Buffer.from(s)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) },
);
const message = fc.array(line, { minLength: 1, maxLength: 4 }).map((ls) => Buffer.concat(ls.flatMap((l) => [l, Buffer.from("\n")])));

describe("control protocol fuzz", () => {
  it(`${CASES} random requests (seed ${SEED}): clean answers, the appliance stays up and forwards`, async () => {
    console.log(`control fuzz: ${CASES} cases, seed ${SEED} (PORTCULLIS_FUZZ_CASES, PORTCULLIS_FUZZ_SEED)`);
    let run = 0;
    let sport = 20000;
    await fc.assert(
      fc.asyncProperty(message, async (data) => {
        const x = await exchange(t.socketPath, data);
        const requests = data.toString("utf8").split("\n").filter((l) => l.trim() !== "").length;
        expect(x.lines.length).toBeLessThanOrEqual(Math.max(1, requests));
        for (const l of x.lines) expect(answerProblems(l), l.slice(0, 200)).toEqual([]);
        if (++run % 500 === 0) {
          const before = t.wan.got.length;
          await t.send(syn(25, sport++));
          await until(() => t.wan.got.length === before + 1, 5000, "a forwarded frame");
        }
      }),
      { seed: SEED, numRuns: CASES },
    );
    const s = await request(t.socketPath, { cmd: "status" });
    expect(s.ok).toBe(true);
    const before = t.wan.got.length;
    await t.send(syn(25, 19999));
    await until(() => t.wan.got.length === before + 1, 5000, "a forwarded frame");
  }, 600_000);
});
