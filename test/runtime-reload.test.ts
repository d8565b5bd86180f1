// Firewall.reload: the new program decides from the next batch on, a program
// the engine refuses leaves the old rules running, and counters carry over
// for rules whose content and ruleset did not change.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import { Firewall, type Frame } from "../host/runtime/firewall.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { loadMini } from "./support/mini-config.ts";

const dir = mkdtempSync(join(tmpdir(), "pc-reload-"));
const config = (name: string, text: string) => loadMini(dir, name, text);

const syn = (dport: number, src = "192.168.0.101"): Frame => ({
  data: tcpPacket({ src, dst: "10.0.0.2", sport: 40000, dport, flags: "S" }),
  tsNs: 1_000_000_000n, linkType: L.LINK_ETHERNET, path: { ifIn: 0, ifOut: 1 },
});

beforeAll(() => registerMini());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Firewall.reload", () => {
  it("swaps the program: the next batch is decided by the new rules", async () => {
    const a = config("a.cfg", "permit tcp dport 25\n");
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    expect(fw.process([syn(25), syn(80)]).map((o) => o.verdict)).toEqual(["permit", "deny"]);
    const b = config("b.cfg", "permit tcp dport 80\n");
    fw.reload(b.policy, b.program);
    expect(fw.process([syn(25), syn(80)]).map((o) => o.verdict)).toEqual(["deny", "permit"]);
    expect(fw.policy).toBe(b.policy);
  });

  it("refuses a program the engine rejects and keeps the old rules and counters", async () => {
    const a = config("c.cfg", "permit tcp dport 25\n");
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    fw.process([syn(25), syn(25)]);
    const junk = new Uint8Array(64).fill(0xa5);
    expect(() => fw.reload(config("d.cfg", "permit tcp dport 80\n").policy, junk)).toThrow(/program refused/);
    expect(fw.policy).toBe(a.policy);
    expect(fw.process([syn(25), syn(80)]).map((o) => o.verdict)).toEqual(["permit", "deny"]);
    expect(Number(fw.counters()[0].packets)).toBe(3);
  });

  it("carries counters over for unchanged rules, even when they moved, and resets changed ones", async () => {
    const a = config("e.cfg", "permit tcp dport 25\npermit tcp dport 110\ndeny tcp dport 80\n");
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    fw.process([syn(25), syn(25), syn(110), syn(80), syn(22)]);
    expect(fw.counters().map((c) => Number(c.packets))).toEqual([2, 1, 1]);
    const len25 = Number(fw.counters()[0].bytes);
    expect(len25).toBeGreaterThan(0);
    expect(Number(fw.defaultCounters()[0].packets)).toBe(1);
    // Rule "dport 25" moves down two lines (a comment and a new rule above
    // it); "dport 110" changes; "dport 80" is unchanged.
    const b = config("e.cfg", "# new\npermit udp dport 53\npermit tcp dport 25\npermit tcp dport 111\ndeny tcp dport 80\n");
    const r = fw.reload(b.policy, b.program);
    expect(r).toEqual({ carried: 2, reset: 2 });
    expect(fw.counters().map((c) => Number(c.packets))).toEqual([0, 2, 0, 1]);
    expect(Number(fw.counters()[1].bytes)).toBe(len25);
    expect(Number(fw.defaultCounters()[0].packets)).toBe(1); // same ruleset, same defaults
    fw.process([syn(25)]);
    expect(Number(fw.counters()[1].packets)).toBe(3);
  });

  it("does not carry counters across files: a rule is identified by its file as well", async () => {
    const a = config("f.cfg", "permit tcp dport 25\n");
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    fw.process([syn(25)]);
    const b = config("g.cfg", "permit tcp dport 25\n");
    expect(fw.reload(b.policy, b.program)).toEqual({ carried: 0, reset: 1 });
    expect(Number(fw.counters()[0].packets)).toBe(0);
  });

  it("pairs identical rules in order, so each old count is used once", async () => {
    const a = config("h.cfg", "permit tcp dport 25\npermit tcp dport 25\n");
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    fw.process([syn(25), syn(25)]);
    expect(fw.counters().map((c) => Number(c.packets))).toEqual([2, 0]);
    const b = config("h.cfg", "permit tcp dport 25\npermit tcp dport 25\npermit tcp dport 25\n");
    expect(fw.reload(b.policy, b.program)).toEqual({ carried: 2, reset: 1 });
    expect(fw.counters().map((c) => Number(c.packets))).toEqual([2, 0, 0]);
  });
});

describe("Firewall.reload keeps the connection table", () => {
  it("a connection opened under the old rules keeps flowing after they stop permitting new ones", async () => {
    const a = config("k.cfg", "permit tcp dport 25 keep\n");
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    const at = (ms: number) => BigInt(ms) * 1_000_000n;
    const seg = (flags: string, out: boolean, ms: number, seq: number, ack: number): Frame => ({
      data: out
        ? tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 40000, dport: 25, flags, seq, ack })
        : tcpPacket({ src: "10.0.0.2", dst: "192.168.0.101", sport: 25, dport: 40000, flags, seq, ack }),
      tsNs: at(ms), linkType: L.LINK_ETHERNET, path: out ? { ifIn: 0, ifOut: 1 } : { ifIn: 1, ifOut: 0 },
    });
    const v1 = fw.process([seg("S", true, 1, 1000, 0), seg("SA", false, 2, 5000, 1001), seg("A", true, 3, 1001, 5001)]);
    expect(v1.map((o) => o.verdict)).toEqual(["permit", "permit", "permit"]);
    const b = config("k.cfg", "permit tcp dport 80 keep\n");
    fw.reload(b.policy, b.program);
    const after = fw.process([seg("PA", true, 4, 1001, 5001), seg("A", false, 5, 5001, 1001)]);
    expect(after.map((o) => [o.verdict, o.reason])).toEqual([["permit", L.REASON_STATE], ["permit", L.REASON_STATE]]);
    // A new connection to 25 is decided by the new rules: denied.
    const fresh = fw.process([{ ...syn(25), data: tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport: 40001, dport: 25, flags: "S" }), tsNs: at(6) }]);
    expect(fresh[0].verdict).toBe("deny");
  });
});
