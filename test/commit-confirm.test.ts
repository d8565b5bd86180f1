// Commit-confirm on the live appliance (host/runtime/confirm.ts): a reload
// with `--confirm SECONDS` is kept when `status --confirm` arrives in time
// and rolled back by itself when it does not (logged to syslog and stderr,
// shown by `status`), with an established TCP flow passing throughout both
// swaps and the counters kept; a broken configuration is refused and leaves
// nothing pending; a second pending reload (and any other reload) is
// refused while one is pending.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { join } from "node:path";
import { statusCommand } from "../host/cli/status.ts";
import { bufferIO } from "../host/cli/io.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { Harness, MAC_L, MAC_W, until, sleep, type Relay } from "./support/live-harness.ts";
import { registerMini } from "./support/mini-dialect.ts";
import { writeMini } from "./support/mini-config.ts";

const h = new Harness();
beforeAll(() => registerMini());
afterEach(() => h.cleanup());
afterAll(() => h.dispose());

const cfg = (name: string, text: string): string => writeMini(h.dir, name, text);

async function status(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIO();
  const code = await statusCommand(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const OLD = "permit tcp dport 25 keep\npermit tcp dport 110\npermit tcp dport 443\n";
// The trial drops 25 (new connections to it are denied) and 110, keeps 443, adds 80.
const TRIAL = "permit tcp dport 443\npermit tcp dport 80\n";

const out = (dport: number, sport = 41000, flags = "S", seq = 1000, ack = 0) =>
  tcpPacket({ src: "192.168.0.101", dst: "10.0.0.2", sport, dport, flags, seq, ack, macSrc: MAC_L, macDst: MAC_W });
const back = (sport: number, dport = 41000, flags = "A", seq = 5001, ack = 1001) =>
  tcpPacket({ src: "10.0.0.2", dst: "192.168.0.101", sport, dport, flags, seq, ack, macSrc: MAC_W, macDst: MAC_L });

async function started(config: string, extra: { lines?: string[]; loghost?: Relay } = {}) {
  const t = await h.start([config], {
    stderr: (l) => extra.lines?.push(l),
    ...(extra.loghost ? { loghost: { host: "127.0.0.1", port: extra.loghost.port } } : {}),
  });
  const sendW = (data: Uint8Array) => new Promise<void>((res) => t.wan.sock.send(data, t.listenW, "127.0.0.1", () => res()));
  return { ...t, sendW };
}

describe("commit-confirm", () => {
  it("not confirmed: rolls back by itself, logged (syslog and stderr) and shown; an established flow passes throughout; counters kept", async () => {
    const lines: string[] = [];
    const syslog = await h.relay();
    const path = cfg("a.cfg", OLD);
    const t = await started(path, { lines, loghost: syslog });
    // An established connection to port 25 (kept state), and counts on 110 and 443.
    await t.send(out(25, 41000, "S", 1000));
    await until(() => t.wan.got.length === 1, 3000, "the SYN");
    await t.sendW(back(25, 41000, "SA", 5000, 1001));
    await until(() => t.lan.got.length === 1, 3000, "the SYN-ACK");
    await t.send(out(25, 41000, "A", 1001, 5001));
    for (const [k, p] of [110, 110, 443].entries()) await t.send(out(p, 42000 + k));
    await until(() => t.wan.got.length === 5, 3000, "the first packets");
    const before = t.live.fw.counters().map((c) => Number(c.packets));
    expect(before[1]).toBe(2); // 110
    expect(before[2]).toBe(1); // 443

    // A steady stream on the established flow, both ways, every 20 ms, through both swaps.
    let sent = 0;
    const wan0 = 2, lan0 = 1; // the handshake's
    const stream = setInterval(() => {
      sent++;
      void t.send(out(25, 41000, "A", 1001, 5001));
      void t.sendW(back(25));
    }, 20);
    try {
      cfg("a.cfg", TRIAL);
      const r = await status("--socket", t.socketPath, "--reload", "--confirm", "2");
      expect(r.err).toBe("");
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/reloaded \(control socket\): generation 2, 2 rules, .*; rolls back to generation 1's rules at \S+ \(in 2 s\) unless confirmed/);
      expect(t.live.generation).toBe(2);
      // Pending: shown in the head line and in the JSON.
      const s = await status("--socket", t.socketPath);
      expect(s.out).toMatch(/^PENDING CONFIRM: generation 2 rolls back to generation 1's rules at \S+Z \(in [0-2] s\) unless `portcullis status --confirm` arrives$/m);
      const j = JSON.parse((await status("--socket", t.socketPath, "--json")).out);
      expect(j.commitConfirm.pending).toMatchObject({ generation: 2, rollbackTo: 1, seconds: 2 });
      expect(j.commitConfirm.pending.deadlineMs - j.commitConfirm.pending.sinceMs).toBe(2000);
      // The trial decides new connections: 25 is denied, 443 counts on.
      const fromPort = (p: number) => t.wan.got.some((g) => g.data[23] === 6 && (g.data[34] << 8 | g.data[35]) === p);
      await t.send(out(25, 43000));
      await t.send(out(443, 43001));
      await until(() => fromPort(43001), 3000, "the 443 under the trial");
      await sleep(100);
      expect(fromPort(43000)).toBe(false);
      expect(Number(t.live.fw.counters()[0].packets)).toBe(2); // 443 is the trial's rule 0: carried 1, +1
      // The rollback, by itself.
      await until(() => t.live.generation === 3, 5000, "the rollback");
      const after = t.live.fw.counters().map((c) => Number(c.packets));
      expect(after[1]).toBe(2); // 110: absent from the trial, its count back
      expect(after[2]).toBe(2); // 443: shared, the trial's count carried back
      expect(after[0]).toBe(before[0]); // 25: absent from the trial, its count back (packets passed by state count to no rule)
      await sleep(200);
    } finally {
      clearInterval(stream);
    }
    // Every packet of the established flow passed, both ways, throughout both swaps.
    // (TCP to or from port 25 only: the denied SYN earns an ICMP unreachable, and 443 passes too.)
    const flow = (r: Relay) => r.got.filter((g) => g.data[23] === 6 && ((g.data[34] << 8 | g.data[35]) === 25 || (g.data[36] << 8 | g.data[37]) === 25));
    await until(() => flow(t.lan).length - lan0 >= sent, 3000, "the reverse stream");
    expect(flow(t.wan).length - wan0).toBe(sent);
    expect(flow(t.lan).length - lan0).toBe(sent);
    expect(sent).toBeGreaterThan(50);

    // Logged (stderr and syslog) and shown.
    expect(lines.join("\n")).toMatch(/portcullis: warning: rolled back at \S+ because not confirmed within 2 s: generation 3 runs generation 1's rules again/);
    await until(() => syslog.got.some((g) => Buffer.from(g.data).toString().includes("because not confirmed within 2 s")), 3000, "the syslog message");
    const s = await status("--socket", t.socketPath);
    expect(s.out).toMatch(/^ROLLED BACK: rolled back at \S+ because not confirmed within 2 s/m);
    expect(s.out).not.toMatch(/PENDING CONFIRM/);
    const j = JSON.parse((await status("--socket", t.socketPath, "--json")).out);
    expect(j.commitConfirm).toMatchObject({ pending: null, last: { outcome: "rolled back", generation: 2 } });
    // The old rules decide again: a new connection to 25 passes.
    const n = t.wan.got.length;
    await t.send(out(25, 44000));
    await until(() => t.wan.got.length === n + 1, 3000, "a new connection to 25");
    // Too late to confirm.
    const c = await status("--socket", t.socketPath, "--confirm");
    expect(c.code).toBe(1);
    expect(c.err).toMatch(/no commit-confirm is pending; generation 2 was already rolled back at \S+ because it was not confirmed in time/);
  });

  it("confirmed in time: the new configuration stays after the deadline", async () => {
    const path = cfg("b.cfg", OLD);
    const t = await started(path);
    cfg("b.cfg", TRIAL);
    expect((await status("--socket", t.socketPath, "--reload", "--confirm", "1")).code).toBe(0);
    const c = await status("--socket", t.socketPath, "--confirm");
    expect(c.err).toBe("");
    expect(c.code).toBe(0);
    expect(c.out).toMatch(/^commit confirmed: generation 2 stays/);
    await sleep(1500); // past the deadline
    expect(t.live.generation).toBe(2);
    expect(Array.from({ length: t.live.fw.book.count }, (_, i) => t.live.fw.book.text(i))).toEqual(["permit tcp dport 443", "permit tcp dport 80"]);
    const s = await status("--socket", t.socketPath);
    expect(s.out).toMatch(/^last commit-confirm: generation 2 confirmed at \S+Z$/m);
    const j = JSON.parse((await status("--socket", t.socketPath, "--json")).out);
    expect(j.commitConfirm).toMatchObject({ pending: null, last: { outcome: "confirmed", generation: 2 } });
    // Nothing left to confirm.
    expect((await status("--socket", t.socketPath, "--confirm")).err).toMatch(/no commit-confirm is pending\n/);
  });

  it("a broken configuration is refused and leaves nothing pending", async () => {
    const path = cfg("c.cfg", OLD);
    const t = await started(path);
    cfg("c.cfg", "permit tcp dport 80\nallow everything\n");
    const r = await status("--socket", t.socketPath, "--reload", "--confirm", "30");
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/1 errors in the configuration/);
    expect(r.err).toContain(`${path}:3:1: error[MINI001]`);
    expect(t.live.generation).toBe(1);
    expect(t.live.commit.isPending).toBe(false);
    const j = JSON.parse((await status("--socket", t.socketPath, "--json")).out);
    expect(j.commitConfirm).toEqual({ pending: null, last: null });
    expect((await status("--socket", t.socketPath, "--confirm")).code).toBe(1);
    // A good one is taken after it, with a confirm of its own.
    cfg("c.cfg", TRIAL);
    expect((await status("--socket", t.socketPath, "--reload", "--confirm", "30")).code).toBe(0);
    expect(t.live.commit.isPending).toBe(true);
  });

  it("while one is pending, a second --confirm reload, a plain reload, SIGHUP's and the watcher's are refused and say why", async () => {
    const lines: string[] = [];
    const path = cfg("d.cfg", OLD);
    const t = await started(path, { lines });
    cfg("d.cfg", TRIAL);
    expect((await status("--socket", t.socketPath, "--reload", "--confirm", "60")).code).toBe(0);
    cfg("d.cfg", "permit tcp dport 22\n");
    const second = await status("--socket", t.socketPath, "--reload", "--confirm", "60");
    expect(second.code).toBe(1);
    expect(second.err).toMatch(/a commit-confirm is pending: generation 2 rolls back to generation 1's rules at \S+ unless confirmed; confirm it \(portcullis status --confirm\) or let it roll back, then reload again/);
    expect((await status("--socket", t.socketPath, "--reload")).code).toBe(1);
    for (const why of ["SIGHUP", "a config file changed"]) {
      const r = await t.live.reload(why);
      expect(r.ok).toBe(false);
      expect(lines.join("\n")).toContain(`reload (${why}) refused: a commit-confirm is pending`);
    }
    expect(t.live.generation).toBe(2);
    // The pending one is untouched: its deadline and its rollback target.
    expect(t.live.status().commitConfirm).toMatchObject({ pending: { generation: 2, rollbackTo: 1, seconds: 60 } });
    // A dry run changes nothing and is allowed: it compares the trial with the newest file.
    const d = await status("--socket", t.socketPath, "--reload", "--dry-run");
    expect(d.code).toBe(1);
    expect(d.out).toMatch(/old: the running configuration \(generation 2: mini, 2 rules\)/);
    // Once confirmed, reloads are taken again.
    expect((await status("--socket", t.socketPath, "--confirm")).code).toBe(0);
    expect((await status("--socket", t.socketPath, "--reload")).code).toBe(0);
    expect(t.live.generation).toBe(3);
  });

  it("the appliance stopping with a confirm pending logs that the files on disk hold the unconfirmed configuration", async () => {
    const lines: string[] = [];
    const path = cfg("e.cfg", OLD);
    const t = await started(path, { lines });
    cfg("e.cfg", TRIAL);
    expect((await status("--socket", t.socketPath, "--reload", "--confirm", "1")).code).toBe(0);
    await t.live.stop("test");
    expect(lines.join("\n")).toContain("stopping with generation 2 unconfirmed: the config files on disk hold it, and a restart loads them");
    await sleep(1200); // no rollback runs on a stopped appliance
    expect(t.live.generation).toBe(2);
  });
});

describe("status --confirm usage", () => {
  it("wants SECONDS with --reload, and nothing alone; --dry-run only with --reload", async () => {
    const { main } = await import("../host/cli/main.ts");
    for (const [args, msg] of [
      [["--reload", "--confirm"], /--reload --confirm wants SECONDS/],
      [["--reload", "--confirm", "0"], /--reload --confirm wants SECONDS/],
      [["--confirm", "30"], /--confirm SECONDS goes with --reload/],
      [["--dry-run"], /--dry-run goes with --reload/],
      [["--reload", "--dry-run", "--confirm", "5"], /--dry-run goes with --reload \(and not with --confirm\)/],
    ] as [string[], RegExp][]) {
      const io = bufferIO();
      expect(await main(["status", "--socket", join(h.dir, "none.sock"), ...args], io)).toBe(2);
      expect(io.stderr).toMatch(msg);
    }
  });
});
