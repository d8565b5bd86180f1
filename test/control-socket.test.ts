// Who may talk to the control socket (issue 12 items 4 and 5): the socket is
// never reachable with a wider mode than 0600, even under umask 000; its
// default place is a directory the user owns; a place someone else owns or
// can write is refused; `status` refuses a socket owned by someone else.
import { describe, it, expect, afterAll, afterEach } from "vitest";
import net from "node:net";
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync, readFileSync, lstatSync, chownSync, chmodSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { ControlServer, defaultSocketPath, privateDirPath } from "../host/runtime/control.ts";
import { statusCommand } from "../host/cli/status.ts";
import { bufferIO } from "../host/cli/io.ts";
import { Harness } from "./support/live-harness.ts";

const h = new Harness();
const servers: ControlServer[] = [];
const raw: net.Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const s of raw.splice(0)) await new Promise((r) => s.close(r));
});
afterAll(() => h.dispose());
const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;
const echo = () => ({ answer: 42 });

describe("the socket's mode from the start (item 4)", () => {
  it("under umask 000 the socket is never reachable by others: bound inside a 0700 directory, 0600 when it appears", async () => {
    const dir = join(h.dir, "open");
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const path = join(dir, "ctl.sock");
    const seen: { path: string; mode: number; dirMode: number }[] = [];
    const listen = net.Server.prototype.listen;
    // Look at the socket right after bind (bind is synchronous in listen), before anything else can run.
    net.Server.prototype.listen = function (this: net.Server, ...args: any[]) {
      const r = listen.apply(this, args as any);
      if (typeof args[0] === "string") seen.push({ path: args[0], mode: lstatSync(args[0]).mode & 0o777, dirMode: lstatSync(dirname(args[0])).mode & 0o777 });
      return r;
    } as any;
    const old = process.umask(0o000);
    try {
      servers.push(await ControlServer.listen(path, echo));
    } finally {
      process.umask(old);
      net.Server.prototype.listen = listen;
    }
    expect(seen).toHaveLength(1);
    // Reachable by others only if both the directory and the socket let them.
    expect((seen[0].dirMode & 0o077) === 0 || (seen[0].mode & 0o077) === 0).toBe(true);
    expect(lstatSync(path).mode & 0o777).toBe(0o600);
    expect(lstatSync(path).isSocket()).toBe(true);
  });

  it.skipIf(!isRoot)("another user cannot connect", async () => {
    const path = join(h.dir, "other.sock");
    servers.push(await ControlServer.listen(path, echo));
    chmodSync(h.dir, 0o755); // the directory lets others in; the socket's mode must not
    try {
      const r = spawnSync(process.execPath, ["-e", `require("net").connect(${JSON.stringify(path)}).on("connect",()=>{console.log("connected");process.exit(0)}).on("error",(e)=>{console.log(e.code);process.exit(0)})`], { uid: NOBODY, gid: NOBODY, encoding: "utf8", timeout: 10000 });
      expect(r.stdout.trim()).toBe("EACCES");
    } finally {
      chmodSync(h.dir, 0o700);
    }
  });
});

describe("where the socket is, and who owns it (item 5)", () => {
  it("without XDG_RUNTIME_DIR a user's default socket is in a directory of its own, not a name in /tmp", () => {
    expect(defaultSocketPath({}, 1000)).toBe(join(tmpdir(), "portcullis-1000", "portcullis.sock"));
    expect(defaultSocketPath({ XDG_RUNTIME_DIR: "/run/user/1000" }, 1000)).toBe("/run/user/1000/portcullis.sock");
    expect(defaultSocketPath({ PORTCULLIS_SOCKET: "/x.sock" }, 1000)).toBe("/x.sock");
  });

  it("creates the default directory with mode 0700 and refuses it when someone else made it or opened it", async () => {
    const old = process.env.TMPDIR;
    process.env.TMPDIR = h.dir;
    try {
      const dir = privateDirPath();
      expect(dir.startsWith(h.dir)).toBe(true);
      const server = await ControlServer.listen(join(dir, "portcullis.sock"), echo);
      expect(lstatSync(dir).mode & 0o777).toBe(0o700);
      await server.close();
      chmodSync(dir, 0o755);
      await expect(ControlServer.listen(join(dir, "portcullis.sock"), echo)).rejects.toThrow(/mode 755, must be 700/);
      chmodSync(dir, 0o700);
      if (isRoot) {
        chownSync(dir, NOBODY, NOBODY); // a squatter made it first
        await expect(ControlServer.listen(join(dir, "portcullis.sock"), echo)).rejects.toThrow(/owned by uid 65534/);
      }
    } finally {
      if (old === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = old;
    }
  });

  it("never replaces a file that is not a socket, and refuses a directory others may write", async () => {
    const precious = join(h.dir, "precious");
    writeFileSync(precious, "keep me");
    await expect(ControlServer.listen(precious, echo)).rejects.toThrow(/exists and is not a socket/);
    expect(readFileSync(precious, "utf8")).toBe("keep me");
    const open = join(h.dir, "world-writable");
    mkdirSync(open);
    chmodSync(open, 0o777);
    await expect(ControlServer.listen(join(open, "ctl.sock"), echo)).rejects.toThrow(/others may write to this directory/);
    expect(existsSync(join(open, "ctl.sock"))).toBe(false);
  });

  it.skipIf(!isRoot)("status refuses a socket owned by another user (a fake appliance answering \"reloaded\")", async () => {
    const path = join(h.dir, "fake.sock");
    const fake = net.createServer((c) => c.on("data", () => c.end('{"ok":true,"message":"reloaded"}\n')));
    raw.push(fake);
    await new Promise<void>((r) => fake.listen(path, r));
    chownSync(path, NOBODY, NOBODY);
    const io = bufferIO();
    expect(await statusCommand(["--socket", path, "--reload"], io)).toBe(1);
    expect(io.stdout).toBe("");
    expect(io.stderr).toMatch(/owned by uid 65534, not by this user/);
    // And the appliance refuses to take that place over.
    await expect(ControlServer.listen(path, echo)).rejects.toThrow(/owned by uid 65534/);
  });
});
