// `portcullis status --reload --dry-run`: the appliance diffs its running
// policy against the configuration on disk (in a worker: host/runtime/
// diff-worker.ts) and prints what `portcullis diff` prints for the same two
// configurations, text or JSON; it changes nothing (generation, rules,
// counters, last reload). Exit status as diff's: 0 same, 1 different, 2 the
// files on disk would be refused.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { statusCommand } from "../host/cli/status.ts";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { Harness, syn, until } from "./support/live-harness.ts";
import { diffInWorker } from "../host/runtime/diff-in-worker.ts";

import { formatDiffText } from "../host/cli/diff.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { writeMini } from "./support/mini-config.ts";

const h = new Harness();
beforeAll(() => registerMini());
afterEach(() => h.cleanup());
afterAll(() => h.dispose());

const cfg = (name: string, text: string): string => writeMini(h.dir, name, text);

async function run(f: (argv: string[], io: ReturnType<typeof bufferIO>) => Promise<number>, ...args: string[]) {
  const io = bufferIO();
  const code = await f(args, io);
  return { code, out: io.stdout, err: io.stderr };
}
const status = (...a: string[]) => run(statusCommand, ...a);
const portcullis = (...a: string[]) => run((argv, io) => main(argv, io), ...a);

const OLD = "permit tcp dport 25\npermit tcp dport 110\ndeny tcp dport 23\npermit tcp dport 443\n";
const NEW = "# moved down a line\npermit tcp dport 25\npermit tcp dport 443\npermit tcp dport 23\n";

describe("status --reload --dry-run", () => {
  it("prints the same diff as `portcullis diff` (text and JSON) and changes nothing", async () => {
    const path = cfg("live.cfg", OLD);
    const t = await h.start([path]);
    await t.send(syn(25));
    await until(() => t.wan.got.length === 1, 3000, "a packet");
    const copy = join(h.dir, "running-copy.cfg");
    copyFileSync(path, copy);
    cfg("live.cfg", NEW);

    const d = await status("--socket", t.socketPath, "--reload", "--dry-run");
    expect(d.err).toBe("");
    expect(d.code).toBe(1);
    const ref = await portcullis("diff", copy, path);
    expect(ref.code).toBe(1);
    // The two differ only in naming the old side: the running rules came from live.cfg, the reference's from the copy.
    const body = (s: string) => s.slice(s.indexOf("compared:"));
    expect(d.out.startsWith(`old: the running configuration (generation 1: mini, 4 rules)\nnew: ${path} on disk (mini, 3 rules)\ncompared: `)).toBe(true);
    expect(body(d.out)).toBe(body(ref.out).split(copy).join(path) + "\ndry run: nothing was changed; generation 1 still runs\n");
    expect(d.out).toMatch(/^4 regions differ:$/m); // 110 removed, 23 turned from deny to permit; IPv4 and IPv6 each

    const dj = await status("--socket", t.socketPath, "--reload", "--dry-run", "--json");
    expect(dj.code).toBe(1);
    const rj = await portcullis("diff", copy, path, "--json");
    const noMs = (s: string) => { const j = JSON.parse(s.split(copy).join(path)); delete j.stats.ms; return j; };
    expect(noMs(dj.out)).toEqual(noMs(rj.out));
    expect(Object.keys(JSON.parse(dj.out))).toEqual(["equivalent", "changes", "stats"]);

    // Nothing changed: same generation, the old rules still decide, counters and reload history untouched.
    expect(t.live.generation).toBe(1);
    expect(t.live.lastReload).toBeNull();
    expect(t.live.reloadCounts).toEqual({ applied: 0, refused: 0 });
    expect(Array.from({ length: t.live.fw.book.count }, (_, i) => t.live.fw.book.text(i))).toEqual(["permit tcp dport 25", "permit tcp dport 110", "deny tcp dport 23", "permit tcp dport 443"]);
    expect(Number(t.live.fw.counters()[0].packets)).toBe(1);
    await t.send(syn(110));
    await until(() => t.wan.got.length === 2, 3000, "110 still permitted");
  });

  it("exits 0 and says equivalent when the files hold what runs (an edit that only moves lines)", async () => {
    const path = cfg("same.cfg", "permit tcp dport 25\n");
    const t = await h.start([path]);
    cfg("same.cfg", "\n\n# a comment\npermit tcp dport 25\n");
    const d = await status("--socket", t.socketPath, "--reload", "--dry-run");
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^equivalent: every packet gets the same verdict from the same rule$/m);
    const j = await status("--socket", t.socketPath, "--reload", "--dry-run", "--json");
    expect(j.code).toBe(0);
    expect(JSON.parse(j.out)).toMatchObject({ equivalent: true, changes: [], stats: { regions: 0 } });
  });

  it("--verdict-only counts verdict changes only", async () => {
    const path = cfg("v.cfg", "permit tcp dport 25\n");
    const t = await h.start([path]);
    cfg("v.cfg", "permit tcp dport 25 # same packets, another text\n");
    expect((await status("--socket", t.socketPath, "--reload", "--dry-run")).code).toBe(1);
    const d = await status("--socket", t.socketPath, "--reload", "--dry-run", "--verdict-only");
    expect(d.code).toBe(0);
    expect(d.out).toMatch(/^compared: verdicts only;/m);
  });

  it("an answer too long for the control socket lists the first changes and says how many were left out", async () => {
    const path = cfg("many.cfg", "permit tcp dport 25\n");
    const t = await h.start([path]);
    cfg("many.cfg", Array.from({ length: 40 }, (_, i) => `permit tcp dport ${1000 + 2 * i}\n`).join(""));
    const full = await diffInWorker({ configs: [path], load: {}, imports: [], running: { policy: t.live.policyImage!, dialect: "mini", appliance: t.live.appliance }, verdictOnly: false, maxChars: 1e9 }, 60_000).answer;
    const cut = await diffInWorker({ configs: [path], load: {}, imports: [], running: { policy: t.live.policyImage!, dialect: "mini", appliance: t.live.appliance }, verdictOnly: false, maxChars: 4000 }, 60_000).answer;
    expect(full.omitted).toBe(0);
    expect(full.json!.changes.length).toBeGreaterThan(40);
    expect(cut.json!.changes.length).toBeGreaterThan(0);
    expect(cut.json!.changes.length + cut.omitted).toBe(full.json!.changes.length);
    expect(cut.json!.changes).toEqual(full.json!.changes.slice(0, cut.json!.changes.length));
    expect(cut.json!.stats.regions).toBe(full.json!.stats.regions);
    const text = formatDiffText({ oldWhat: "a", newWhat: "b", verdictOnly: false, differentDialects: false, equivalent: false,
      changes: (cut.json!.changes as any[]).map((c, i) => ({ ...c, words: cut.words[i] })), omitted: cut.omitted });
    expect(text).toContain(`${full.json!.changes.length} regions differ:`);
    expect(text).toContain(`(${cut.omitted} more regions not listed: the appliance's answer is bounded)`);
  });

  it("a configuration on disk with errors: exit 2 with its diagnostics, nothing changed", async () => {
    const path = cfg("bad.cfg", "permit tcp dport 25\n");
    const t = await h.start([path]);
    cfg("bad.cfg", "permit tcp dport 25\nallow everything\n");
    const d = await status("--socket", t.socketPath, "--reload", "--dry-run");
    expect(d.code).toBe(2);
    expect(d.out).toBe("");
    expect(d.err).toMatch(/dry run: 1 errors in the configuration; a reload would refuse it/);
    expect(d.err).toContain(`${path}:3:1: error[MINI001]`);
    expect(t.live.generation).toBe(1);
    expect(t.live.reloadCounts).toEqual({ applied: 0, refused: 0 });
  });
});
