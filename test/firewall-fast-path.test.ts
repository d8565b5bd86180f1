// The firewall's per-frame work on the live path: a packet that touches no
// rule that logs or notifies, and is not denied, gets an outcome and nothing
// more (one shared empty event list, one path object per interface pair and
// batch); one that does gets its events, and a denied one its unreachable
// decision, exactly as before. Which rules log is worked out once per policy,
// so a reload that adds `log` takes effect from the next batch.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as L from "../assembly/layout.ts";
import { Firewall, type Frame } from "../host/runtime/firewall.ts";
import { tcpPacket } from "../host/packet/build.ts";
import type { PacketEvent } from "../host/log/packet-event.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { loadMini } from "./support/mini-config.ts";

const dir = mkdtempSync(join(tmpdir(), "pc-fastpath-"));
const config = (name: string, text: string) => loadMini(dir, name, text);

const syn = (dport: number, path = { ifIn: 0, ifOut: 1 }, src = "192.168.0.101", dst = "10.0.0.2"): Frame => ({
  data: tcpPacket({ src, dst, sport: 40000, dport, flags: "S" }),
  tsNs: 1_000_000_000n, linkType: L.LINK_ETHERNET, path,
});

beforeAll(() => registerMini());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("Firewall.process on the live path", () => {
  it("gives events only to packets through a logging rule, and sees a reload that adds log from the next batch", async () => {
    const a = config("a.cfg", "permit tcp dport 25 log\npermit tcp dport 80\n");
    const seen: PacketEvent[] = [];
    const fw = await Firewall.create(a.policy, a.program, a.appliance, { onEvent: (ev) => seen.push(ev) });
    const [logged, quiet, quiet2] = fw.process([syn(25), syn(80), syn(80)]);
    expect(logged.verdict).toBe("permit");
    expect(logged.events.map((e) => [e.kind, e.rule, e.dst, e.dport])).toEqual([["log", null, "10.0.0.2", 25]]);
    expect(seen).toEqual(logged.events);
    expect(quiet.events).toEqual([]);
    expect(quiet.events).toBe(quiet2.events); // shared: nothing allocated for a quiet packet
    expect(quiet.header.dport).toBe(80); // the header is there for every packet
    const b = config("b.cfg", "permit tcp dport 25\npermit tcp dport 80 log\n");
    fw.reload(b.policy, b.program);
    const [now25, now80] = fw.process([syn(25), syn(80)]);
    expect(now25.events).toEqual([]);
    expect(now80.events.map((e) => e.dport)).toEqual([80]);
  });

  it("decides unreachables for denied packets as before, and shares one path per interface pair in a batch", async () => {
    const a = config("c.cfg", "permit tcp dport 80\n");
    a.policy.unreachables = true;
    const fw = await Firewall.create(a.policy, a.program, a.appliance);
    const back = { ifIn: 1, ifOut: 0 };
    const out = fw.process([syn(23), syn(80), syn(23, back, "10.0.0.2", "192.168.0.101"), syn(22)]);
    expect(out.map((o) => o.verdict)).toEqual(["deny", "permit", "deny", "deny"]);
    expect(out.map((o) => o.unreachable)).toEqual([true, false, true, true]);
    expect(out[0].path).toBe(out[1].path);
    expect(out[0].path).toEqual({ ifIn: 0, ifOut: 1, dir: L.DIR_OUTBOUND });
    expect(out[2].path).toEqual({ ifIn: 1, ifOut: 0, dir: L.DIR_INBOUND });
    expect(out[2].path).not.toBe(out[0].path);
  });
});
