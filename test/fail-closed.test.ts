// `portcullis run --fail-closed` (how the firmware image runs the appliance):
// a configuration that fails its check at start leaves the appliance up and
// closed -- every IP packet dropped, the reason in `status` and the log --
// and a reload with a good configuration opens it. Without the flag, start
// refuses as before.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { Harness, syn, until, sleep } from "./support/live-harness.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { StartError } from "../host/runtime/live.ts";
import { statusCommand } from "../host/cli/status.ts";
import { bufferIO } from "../host/cli/io.ts";

const h = new Harness();
beforeAll(() => registerMini());
afterEach(() => h.cleanup());
afterAll(() => rmSync(h.dir, { recursive: true, force: true }));

describe("failing closed at start", () => {
  it("without --fail-closed, a configuration with errors does not start", async () => {
    const path = join(h.dir, "bad0.cfg");
    writeFileSync(path, "#mini\npermit tcp dport 25\nfrobnicate\n");
    await expect(h.start([path])).rejects.toBeInstanceOf(StartError);
  });

  it("with it, the appliance runs closed, says why in status, and opens on a reload with a good configuration", async () => {
    const path = join(h.dir, "bad.cfg");
    writeFileSync(path, "#mini\npermit tcp dport 25\nfrobnicate\n");
    const lines: string[] = [];
    const t = await h.start([path], { failClosed: true, stderr: (l) => lines.push(l) });
    await t.send(syn(25));
    await sleep(300);
    expect(t.wan.got).toHaveLength(0); // what the broken file would have permitted is dropped
    const s = t.live.status() as any;
    expect(s.failedClosed).toMatchObject({ errors: 1 });
    expect(s.failedClosed.diagnostics[0]).toMatch(/bad\.cfg:3:1: error\[MINI001\]/);
    expect(s.bridge.denied).toBe(1);
    const io = bufferIO();
    expect(await statusCommand(["--socket", t.socketPath], io)).toBe(0);
    expect(io.stdout).toMatch(/FAILING CLOSED since .*: the configuration has 1 error; every IP packet is dropped/);
    expect(io.stdout).toMatch(/^firmware: portcullis \d+\.\d+\.\d+.*kernel /m);
    expect(lines.join("\n")).toMatch(/bad\.cfg:3:1: error\[MINI001\]/);

    writeFileSync(path, "#mini\npermit tcp dport 25\n");
    expect((await t.live.reload("test")).ok).toBe(true);
    expect((t.live.status() as any).failedClosed).toBe(null);
    await t.send(syn(25, 40001));
    await until(() => t.wan.got.length === 1, 5000, "the SYN forwarded");
  });
});
