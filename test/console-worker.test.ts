// The console runs in a worker thread, off the thread that forwards frames:
// the forwarding thread holds no listening socket of the console; it hands
// the worker copies (counters, flow records) and the policy only once per
// generation; a worker that dies is started again on the same port while
// forwarding goes on; log lines lost before the worker saw them are reported
// to viewers as missed; flow records copied out of the engine decode to what
// the engine itself reads.
import { describe, it, expect, afterEach } from "vitest";
import { writeFileSync } from "node:fs";
import type { ServerResponse } from "node:http";
import { startRig, until, type Rig } from "./support/console-rig.ts";
import { ApplianceTap } from "../host/console/tap.ts";
import { LogFeed } from "../host/console/log-feed.ts";
import { conntrackOf, decodeFlowRecords } from "../host/conntrack/wasm-conntrack.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { rule, policy, out, engineWith } from "./conntrack/helpers.ts";

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const listeningServers = () => process.getActiveResourcesInfo().filter((r) => r === "TCPServerWrap").length;

describe("the console's worker thread", () => {
  it("listens in the worker: the forwarding thread holds no server socket, and its tap hands over copies", async () => {
    const before = listeningServers();
    rig = await startRig();
    expect((await fetch(`${rig.base}/api/overview`)).status).toBe(200);
    expect(listeningServers()).toBe(before);
    expect(rig.web.threadId).toBeGreaterThan(0);

    const tap = new ApplianceTap(rig.live);
    try {
      const first = tap.figures(-1);
      expect(first.generationData?.generation).toBe(1);
      expect(first.generationData?.policy).toBe(rig.live.fw.policy);
      // The policy goes once per generation: a worker that has it gets counters and figures only.
      const next = tap.figures(1);
      expect(next.generationData).toBeUndefined();
      // The counters are a copy: the worker may keep them while the engine counts on.
      const view = rig.live.fw.engine.counterView();
      expect(next.counters).not.toBe(view);
      expect(next.counters.buffer).not.toBe(view.buffer);
      expect([...next.counters]).toEqual([...view]);
      // A reload makes the next answer carry the new generation's policy.
      writeFileSync(rig.live.opts.configs[0], "80:TCP:*:enabled:Web server\n");
      expect((await rig.live.reload("test")).ok).toBe(true);
      expect(tap.figures(1).generationData?.generation).toBe(2);
    } finally {
      tap.close();
    }
  });

  it("starts a worker that died again on the same port; forwarding goes on meanwhile", async () => {
    rig = await startRig();
    const port = rig.web.address.port;
    const first = rig.web.threadId;
    const logged: string[] = [];
    rig.live.logListeners.add((_s, text) => logged.push(text));
    await (rig.web as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
    await rig.synFromWan(80, 41000); // the bridge forwards without the console
    await until(() => rig!.lanGot() === 1);
    await until(() => logged.some((l) => /console is back/.test(l)), 15_000);
    expect(logged.some((l) => /worker stopped .*forwarding is not affected/.test(l))).toBe(true);
    expect(rig.web.address.port).toBe(port);
    expect(rig.web.threadId).not.toBe(first);
    const rules = await (await fetch(`${rig.base}/api/rules?sort=hits`)).json();
    expect(rules.rows[0]).toMatchObject({ line: 1, packets: 1 });
  });
});

describe("the log feed", () => {
  /** A stand-in for an event-stream response: collects what is written. */
  function sink(): { res: ServerResponse; text: () => string } {
    let out = "";
    const res = { writableEnded: false, destroyed: false, writableLength: 0, write: (s: string) => { out += s; return true; }, on: () => res, end: () => {} };
    return { res: res as unknown as ServerResponse, text: () => out };
  }

  it("tells a viewer how many lines were lost before they reached it", async () => {
    const feed = new LogFeed();
    try {
      feed.push("notice", "one");
      const s = sink();
      feed.subscribe(s.res);
      expect(s.text()).toContain('"text":"one"');
      expect(s.text()).not.toContain("event: missed");
      feed.skip(7); // the forwarding thread dropped seven lines of a flood
      feed.push("notice", "two");
      await until(() => s.text().includes('"text":"two"'));
      expect(s.text()).toMatch(/event: missed\ndata: 7\n\n[^]*"text":"two"/);
    } finally {
      feed.close();
    }
  });
});

describe("flow records copied out of the engine", () => {
  it("decode to the flows the engine reads in place, sparse and dense", async () => {
    const e = await engineWith(policy([rule("permit", { proto: 6, ifIn: "lan" })]), 8);
    const syn = (sport: number) => e.classifyFrames([{ data: tcpPacket({ src: "192.168.0.10", dst: "10.0.0.20", sport, dport: 80, flags: "S" }), meta: out(BigInt(sport)) }]);
    syn(40001);
    const sparse = conntrackOf(e).flowRecords();
    expect(sparse.dense).toBe(false);
    expect(decodeFlowRecords(sparse)).toEqual(conntrackOf(e).flows());
    for (let p = 40002; p <= 40005; p++) syn(p);
    const dense = conntrackOf(e).flowRecords();
    expect(dense.dense).toBe(true);
    expect(conntrackOf(e).flows()).toHaveLength(5);
    expect(decodeFlowRecords(dense)).toEqual(conntrackOf(e).flows());
  });
});
