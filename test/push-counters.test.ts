// A push carries counters over as a reload does: a rule whose content did not
// change keeps its packet count across `portcullis push`, though the pushed
// files are checked from the flash's staging directory, not from where the
// running rules came from (the lab's scenario e checks this against the VM).
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { mkdirSync, writeFileSync, rmSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { Harness, syn, until } from "./support/live-harness.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { Flash } from "../host/runtime/flash.ts";
import { acceptPushes } from "../host/runtime/push.ts";
import { pushCommand } from "../host/cli/push.ts";
import { flashConfiguration } from "../host/cli/flash-run.ts";
import { bufferIO } from "../host/cli/io.ts";

type RuleRow = { text: string; file: string; packets: number };
const h = new Harness();
beforeAll(() => registerMini());
afterEach(() => h.cleanup());
afterAll(() => rmSync(h.dir, { recursive: true, force: true }));

describe("portcullis push and the counters", () => {
  it("an unchanged rule keeps its counter across a push; a changed one starts at 0", async () => {
    const dir = join(h.dir, "flash");
    mkdirSync(dir);
    writeFileSync(join(dir, "site.cfg"), "#mini\npermit tcp dport 25\npermit tcp dport 80\n");
    const device = join(h.dir, "disk.img");
    writeFileSync(device, "");
    truncateSync(device, 1 << 20);
    const run = await flashConfiguration({ flash: dir }, []);
    const t = await h.start(run!.configs, { load: { appliance: run!.appliance } });
    acceptPushes(t.live, new Flash(dir, device));
    await t.send(syn(25, 40001));
    await t.send(syn(80, 40002));
    await until(() => t.wan.got.length === 2, 5000, "the two permitted SYNs");
    expect((t.live.status().rules as RuleRow[]).map((r) => r.packets)).toEqual([1, 1]);

    mkdirSync(join(h.dir, "new"));
    const pushed = join(h.dir, "new", "site.cfg");
    writeFileSync(pushed, "#mini\npermit tcp dport 25\npermit tcp dport 443\n");
    const io = bufferIO();
    expect(await pushCommand([pushed, "--to", t.socketPath], io)).toBe(0);
    expect(io.stdout).toMatch(/counters carried over for 1, new 1/);
    const rules = t.live.status().rules as RuleRow[];
    expect(rules.map((r) => [r.text, r.packets])).toEqual([["permit tcp dport 25", 1], ["permit tcp dport 443", 0]]);
    expect(rules[0].file).toBe(join(dir, "site.cfg"));
  });
});
