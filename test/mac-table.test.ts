// The bridge's MAC table when full (issue 12 item 15): docs/lab.md says the
// oldest addresses go first. A flood of forged source addresses must not stop
// new hosts from being learnt; the least recently seen address is evicted and
// the eviction counted.
import { describe, it, expect } from "vitest";
import { MacTable, Bridge, type Classifier } from "../host/runtime/bridge.ts";
import { ethernet } from "../host/packet/build.ts";
import { formatTail } from "../host/cli/status.ts";

describe("MacTable eviction", () => {
  it("with 100,000 source addresses, new ones are still learnt and the oldest are evicted and counted", () => {
    const t = new MacTable(300_000, 8192);
    for (let i = 0; i < 100_000; i++) t.learn(0x020000000000 + i, i % 2, 1000 + i);
    expect(t.size).toBe(8192);
    expect(t.evicted).toBe(100_000 - 8192);
    // The newest address is known; the first ones are gone.
    expect(t.lookup(0x020000000000 + 99_999, 200_000)).toBe(1);
    expect(t.lookup(0x020000000000, 200_000)).toBe(-1);
    expect(t.lookup(0x020000000000 + 100_000 - 8192, 200_000)).toBe(0);
  });

  it("evicts the least recently seen, not the first learnt: a host that keeps talking stays", () => {
    const t = new MacTable(300_000, 3);
    t.learn(1, 0, 1);
    t.learn(2, 0, 2);
    t.learn(3, 0, 3);
    t.learn(1, 0, 4); // 1 talks again: now 2 is the least recently seen
    t.learn(4, 1, 5);
    expect(t.lookup(2, 5)).toBe(-1);
    expect([t.lookup(1, 5), t.lookup(3, 5), t.lookup(4, 5)]).toEqual([0, 0, 1]);
    expect(t.evicted).toBe(1);
  });

  it("the bridge reports evictions in its table, which `status` shows", () => {
    const br = new Bridge([0, 1], 300_000, 2);
    const none: Classifier = { process: () => [] };
    const arp = (n: number) => ethernet(new Uint8Array(28), { src: `02:00:00:00:00:0${n}`, dst: "ff:ff:ff:ff:ff:ff", ethertype: 0x0806 });
    br.handle([1, 2, 3].map((n) => ({ port: 0, data: arp(n) })), none, 1000, 0n);
    expect(br.macs.size).toBe(2);
    expect(br.macs.evicted).toBe(1);
    const tail = formatTail({
      defaults: [], connections: null, ports: [], unreachables: { sent: 0, suppressed: 0 }, memory: { rss: 0, heapUsed: 0, wasm: 0 },
      bridge: { ...br.counters, macs: br.macs.size, macEvictions: br.macs.evicted },
    });
    expect(tail).toMatch(/^bridge: .* macs=2 mac-evictions=1$/m);
  });
});
