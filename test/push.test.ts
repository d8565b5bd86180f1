// `portcullis push` against an appliance on the host started from its flash
// (`run --flash DIR`, here in-process with a regular file as the flash disk):
// a good configuration is checked, applied, and then written to the flash
// directory and the disk's tar; a bad one is refused with its diagnostics
// named as pushed, and neither the running rules nor the flash change; a
// restart from the flash runs what was last pushed.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { mkdirSync, readFileSync, writeFileSync, rmSync, existsSync, readdirSync, truncateSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { Harness, syn, until, sleep } from "./support/live-harness.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { Flash } from "../host/runtime/flash.ts";
import { acceptPushes, checkPushFiles, MAX_PUSH_BYTES } from "../host/runtime/push.ts";
import { pushCommand } from "../host/cli/push.ts";
import { statusCommand } from "../host/cli/status.ts";
import { flashConfiguration } from "../host/cli/flash-run.ts";
import { UsageError } from "../host/cli/args.ts";
import { bufferIO } from "../host/cli/io.ts";

const h = new Harness();
beforeAll(() => registerMini());
afterEach(() => h.cleanup());
afterAll(() => rmSync(h.dir, { recursive: true, force: true }));

let n = 0;
/** A flash directory holding `site.cfg` (and a 1 MiB flash disk file), and an appliance started from it that takes pushes. */
async function fromFlash(text: string) {
  const dir = join(h.dir, `flash${++n}`);
  mkdirSync(dir);
  writeFileSync(join(dir, "site.cfg"), text);
  const device = join(h.dir, `disk${n}.img`);
  writeFileSync(device, "");
  truncateSync(device, 1 << 20);
  const flash = new Flash(dir, device);
  const run = await flashConfiguration({ flash: dir }, []);
  const t = await h.start(run!.configs, { load: { appliance: run!.appliance } });
  acceptPushes(t.live, flash);
  return { ...t, dir, device, flash };
}

const push = async (args: string[]) => {
  const io = bufferIO();
  const code = await pushCommand(args, io);
  return { code, ...io };
};

describe("portcullis push to an appliance's flash", () => {
  it("a good configuration is applied, then written to the flash directory and its disk; status says it was pushed", async () => {
    const t = await fromFlash("#mini\npermit tcp dport 25\n");
    const pushed = join(h.dir, "new-rules.cfg");
    writeFileSync(pushed, "#mini\npermit tcp dport 80\n");
    const r = await push([pushed, "--to", t.socketPath]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/reloaded \(push\): generation 2, 1 rules.*written to the flash at \d{4}-/);
    // Applied: port 80 now passes, 25 no longer does.
    await t.send(syn(80, 40001));
    await until(() => t.wan.got.length === 1, 5000, "the permitted SYN");
    await t.send(syn(25, 40002));
    await sleep(300);
    expect(t.wan.got).toHaveLength(1);
    // Written: the flash holds exactly the pushed file (and when it was pushed), nothing staged is left.
    expect(readdirSync(t.dir).sort()).toEqual([".pushed", "new-rules.cfg"]);
    expect(readFileSync(join(t.dir, "new-rules.cfg"), "utf8")).toBe("#mini\npermit tcp dport 80\n");
    expect(existsSync(t.flash.stagingDir)).toBe(false);
    const listed = spawnSync("tar", ["-tf", t.device], { encoding: "utf8" });
    expect(listed.stdout.split("\n").filter(Boolean).sort()).toEqual([".pushed", "new-rules.cfg"]);
    expect(spawnSync("tar", ["-xOf", t.device, "new-rules.cfg"], { encoding: "utf8" }).stdout).toBe("#mini\npermit tcp dport 80\n");
    // status: the rule's file is the flash's, and the origin says when it was pushed.
    const io = bufferIO();
    expect(await statusCommand(["--socket", t.socketPath], io)).toBe(0);
    expect(io.stdout).toContain(`${join(t.dir, "new-rules.cfg")}:2`);
    expect(io.stdout).toMatch(/^firmware: .*system up \d+ s, configuration from flash, pushed at \d{4}-\d\d-\d\dT/m);
    // A reload now reads the flash's new file.
    expect((await t.live.reload("test")).ok).toBe(true);
    expect(t.live.status().rules).toMatchObject([{ text: "permit tcp dport 80" }]);
  });

  it("a configuration with errors is refused with its diagnostics as pushed; the running rules, the flash and its disk stay", async () => {
    const t = await fromFlash("#mini\npermit tcp dport 25\n");
    const diskBefore = readFileSync(t.device);
    const bad = join(h.dir, "bad.cfg");
    writeFileSync(bad, "#mini\npermit tcp dport 80\nfrobnicate\n");
    const r = await push([bad, "--to", t.socketPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${bad}:3:1: error[MINI001]: expected permit or deny, got "frobnicate"`);
    expect(r.stderr).toMatch(/push refused: 1 errors in the configuration; the running rules and the flash keep/);
    expect(r.stdout).toBe("");
    expect(t.live.generation).toBe(1);
    await t.send(syn(25, 40003));
    await until(() => t.wan.got.length === 1, 5000, "the old rules' SYN");
    await t.send(syn(80, 40004));
    await sleep(300);
    expect(t.wan.got).toHaveLength(1);
    expect(readdirSync(t.dir)).toEqual(["site.cfg"]);
    expect(readFileSync(join(t.dir, "site.cfg"), "utf8")).toBe("#mini\npermit tcp dport 25\n");
    expect(readFileSync(t.device).equals(diskBefore)).toBe(true);
    expect(existsSync(t.flash.stagingDir)).toBe(false);
  });

  it("an appliance started again from the flash runs what was last pushed", async () => {
    const t = await fromFlash("#mini\npermit tcp dport 25\n");
    const pushed = join(h.dir, "later.cfg");
    writeFileSync(pushed, "#mini\npermit tcp dport 443\n");
    expect((await push([pushed, "--to", t.socketPath])).code).toBe(0);
    await h.cleanup();
    const run = await flashConfiguration({ flash: t.dir }, []);
    expect(run!.configs).toEqual([join(t.dir, "later.cfg")]);
    const again = await h.start(run!.configs, { load: { appliance: run!.appliance } });
    expect(again.live.status().rules).toMatchObject([{ text: "permit tcp dport 443" }]);
  });

  it("a configuration larger than one request travels in chunks and arrives whole", async () => {
    const t = await fromFlash("#mini\npermit tcp dport 25\n");
    const pushed = join(h.dir, "long.cfg");
    const text = "#mini\n" + "# a comment line to make the file long\n".repeat(10000) + "permit tcp dport 80\n";
    writeFileSync(pushed, text);
    expect(text.length).toBeGreaterThan(5 * 65536);
    const r = await push([pushed, "--to", t.socketPath]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(t.dir, "long.cfg"), "utf8")).toBe(text);
    expect(t.live.status().rules).toMatchObject([{ text: "permit tcp dport 80", line: 10002 }]);
  });

  it("more than 32 MiB in all is refused before anything is sent (CFG007); the appliance refuses it too", async () => {
    const big = join(h.dir, "big.cfg");
    writeFileSync(big, "");
    truncateSync(big, MAX_PUSH_BYTES + 1);
    const r = await push([big, "--to", join(h.dir, "no-such.sock")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error\[CFG007\]: the configuration is 32\.0 MiB in all, larger than 32 MiB/);
    expect(() => checkPushFiles([{ name: "a.cfg", shown: "a.cfg", bytes: MAX_PUSH_BYTES, appliance: false }, { name: "b.cfg", shown: "b.cfg", bytes: 1, appliance: false }])).toThrow(/larger than 32 MiB/);
    expect(() => checkPushFiles([{ name: "../x", shown: "x", bytes: 1, appliance: false }])).toThrow(/bad file name/);
    expect(() => checkPushFiles([{ name: ".pushed", shown: "x", bytes: 1, appliance: false }])).toThrow(/bad file name/);
  });

  it("a push to an appliance without a flash is refused; run --flash takes no CONFIG files", async () => {
    const cfg = join(h.dir, "plain.cfg");
    writeFileSync(cfg, "#mini\npermit tcp dport 25\n");
    const t = await h.start([cfg]);
    const r = await push([cfg, "--to", t.socketPath]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown command "push"/);
    await expect(flashConfiguration({ flash: h.dir }, [cfg])).rejects.toBeInstanceOf(UsageError);
  });

  it("a crash between the flash's two renames is repaired at the next start", async () => {
    const dir = join(h.dir, "crashed");
    mkdirSync(`${dir}.new`, { recursive: true });
    writeFileSync(join(`${dir}.new`, "x.cfg"), "#mini\npermit udp\n");
    mkdirSync(`${dir}.old`);
    writeFileSync(join(`${dir}.old`, "old.cfg"), "#mini\ndeny\n");
    const run = await flashConfiguration({ flash: dir }, []);
    expect(run!.configs).toEqual([join(dir, "x.cfg")]);
    expect(existsSync(`${dir}.old`)).toBe(false);
  });
});
