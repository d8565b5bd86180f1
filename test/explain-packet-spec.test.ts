// Issue 12, items 19 and 20: `explain` infers a missing in=/out= exactly as
// `replay` infers a captured packet's path (one function, pathOf), given
// values win; an impossible date, time or offset is a usage error, never
// rolled over into another instant.
import { describe, it, expect, afterAll } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { parsePacketSpec, parseSpecTime } from "../host/engine/packet-spec.ts";
import { pathOf } from "../host/engine/direction.ts";
import { loadAppliance } from "../host/model/appliance.ts";

const dir = mkdtempSync(join(tmpdir(), "pc-explain-spec-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const WEB = join(dir, "web.txt");
writeFileSync(WEB, "80:TCP:*:enabled:web server\n");

async function explain(packet: string, ...extra: string[]) {
  const io = bufferIO();
  const code = await main(["explain", WEB, "--packet", packet, "--json", ...extra], io);
  return { code, json: code === 0 ? JSON.parse(io.stdout) : null, err: io.stderr };
}

describe("explain infers in= and out= as replay does", () => {
  it("tcp 10.0.0.1:4000 > 192.168.0.10:80 in=wan goes out by lan (a host there), and is let in", async () => {
    const r = await explain("tcp 10.0.0.1:4000 > 192.168.0.10:80 in=wan");
    expect(r.code).toBe(0);
    expect(r.json.input.interface).toBe("wan");
    expect(r.json.output.interface).toBe("lan");
    expect(r.json.verdict).toBe("permit");
  });

  it("with neither given, the same packet comes in by wan", async () => {
    const r = await explain("tcp 10.0.0.1:4000 > 192.168.0.10:80");
    expect([r.json.input.interface, r.json.output.interface, r.json.verdict]).toEqual(["wan", "lan", "permit"]);
  });

  it("a packet from a LAN host comes in by lan and leaves by wan", async () => {
    const r = await explain("tcp 192.168.0.10:4000 > 198.51.100.7:80");
    expect([r.json.input.interface, r.json.output.interface]).toEqual(["lan", "wan"]);
  });

  it("given values win: out=wan is public to public, and denied", async () => {
    const r = await explain("tcp 10.0.0.1:4000 > 192.168.0.10:80 in=wan out=wan");
    expect([r.json.input.interface, r.json.output.interface, r.json.verdict]).toEqual(["wan", "wan", "deny"]);
  });

  it("matches pathOf (replay's inference) for every combination of given and missing interfaces", () => {
    const a = loadAppliance(undefined);
    const addrs = ["192.168.0.10", "10.0.0.1", "198.51.100.7", "192.168.0.1"];
    for (const s of addrs) {
      for (const d of addrs) {
        for (const given of [{}, { in: "lan" }, { out: "wan" }, { in: "wan", out: "lan" }] as { in?: string; out?: string }[]) {
          const words = Object.entries(given).map(([k, v]) => `${k}=${v}`).join(" ");
          const spec = parsePacketSpec(`udp ${s}:1000 > ${d}:53 ${words}`, a);
          const force = { in: given.in && a.interfaces.findIndex((i) => i.name === given.in), out: given.out && a.interfaces.findIndex((i) => i.name === given.out) };
          const p = pathOf(a, spec.header, { in: force.in || force.in === 0 ? force.in : undefined, out: force.out || force.out === 0 ? force.out : undefined });
          expect([spec.meta.ifIn, spec.meta.ifOut, spec.meta.dir], `${s} > ${d} ${words}`).toEqual([p.ifIn, p.ifOut, p.dir]);
        }
      }
    }
  });

  it("an unknown interface is still a usage error", async () => {
    const r = await explain("tcp 10.0.0.1:4000 > 192.168.0.10:80 in=dmz");
    expect(r.code).toBe(2);
    expect(r.err).toContain('no interface "dmz"');
  });
});

describe("explain time= is range-checked, not rolled over", () => {
  for (const t of [
    "2026-13-01T10:00:00", "2026-00-10T10:00:00", "2026-02-29T10:00:00", "2026-04-31T10:00:00", "2026-01-00T10:00:00",
    "2026-01-01T34:00:00", "2026-01-01T24:00:00", "2026-01-01T10:60:00", "2026-01-01T10:00:60",
    "2026-01-01T10:00:00+99:99", "2026-01-01T10:00:00+24:00", "2026-01-01T10:00:00-10:60", "1969-12-31T23:59:59Z",
  ]) {
    it(`${t}: exit 2 with a usage message`, async () => {
      const r = await explain(`tcp 10.0.0.1:4000 > 192.168.0.10:80 time=${t}`);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/^portcullis explain: bad --packet: bad time/);
    });
  }

  it("valid times still parse, leap day and offsets included", () => {
    expect(parseSpecTime("2028-02-29T23:59:59Z", "UTC")).toBe(BigInt(Date.UTC(2028, 1, 29, 23, 59, 59)) * 1000000n);
    expect(parseSpecTime("2026-11-22T10:00:00+01:30", "UTC")).toBe(BigInt(Date.UTC(2026, 10, 22, 8, 30)) * 1000000n);
    expect(parseSpecTime("2026-11-22T10:00", "UTC")).toBe(BigInt(Date.UTC(2026, 10, 22, 10, 0)) * 1000000n);
  });
});
