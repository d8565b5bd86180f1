// The control socket of a running appliance: a Unix socket speaking JSON
// lines. Each request is one line `{"cmd": "status"}` (or "reload", "macs");
// each answer one line `{"ok": true, ...}` or `{"ok": false, "error": "..."}`.
//
// Who may talk to it: only the appliance's user. The socket is created with
// mode 0600 inside a private directory (mode 0700) and only then renamed to
// its path, so it is never reachable with a wider mode, whatever the umask
// (Node has no SO_PEERCRED; a private directory is the portable answer). Its
// default place is a directory the user owns; a path owned by someone else is
// refused, and `status` checks the socket's owner before it talks to it.
//
// No request may end the appliance: each is answered (or the connection
// closed) on its own, every answer is bounded in size, a connection that
// sends too much, too slowly or reads too little is closed, and the number of
// connections is limited.
import net from "node:net";
import { existsSync, unlinkSync, chmodSync, lstatSync, mkdirSync, mkdtempSync, renameSync, rmdirSync, type Stats } from "node:fs";
import { join, dirname } from "node:path";
import { tmpdir } from "node:os";
import { cleanLine, cleanText, excerpt } from "../log/sanitize.ts";

/** A request line longer than this is refused and the connection closed. */
export const MAX_REQUEST_CHARS = 65536;
/** No answer line is longer than this (the rule list is paginated to stay well below). */
export const MAX_ANSWER_CHARS = 4 << 20;
/** Requests read ahead of the one being answered before reading pauses. */
const MAX_QUEUED = 16;
export const MAX_CONNECTIONS = 32;
/** A connection idle this long (a slow drip, a client that stopped reading) is closed. */
export const IDLE_MS = 10_000;
/** A request must be complete this long after its first byte (a slow drip that never idles is closed too). */
export const REQUEST_DEADLINE_MS = 30_000;

const uid = (): number | undefined => process.getuid?.();

/**
 * Where the control socket is when --socket is not given: root's in /run,
 * else in $XDG_RUNTIME_DIR (private to the user by definition), else in a
 * directory portcullis-UID under the temporary directory, which the appliance
 * creates with mode 0700 and refuses to use when someone else owns it or may
 * enter it (a squatter can then only make `run` refuse to start, never
 * receive its requests or answer `status`).
 */
export function defaultSocketPath(env: NodeJS.ProcessEnv = process.env, me: number | undefined = uid()): string {
  if (env.PORTCULLIS_SOCKET) return env.PORTCULLIS_SOCKET;
  if (me === 0 && existsSync("/run")) return "/run/portcullis.sock";
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "portcullis.sock");
  return join(privateDirPath(me), "portcullis.sock");
}

export function privateDirPath(me: number | undefined = uid()): string {
  return join(tmpdir(), `portcullis-${me ?? "user"}`);
}

export class SocketPlaceError extends Error {}

function trusted(st: Stats): boolean {
  const me = uid();
  return me === undefined || st.uid === me || st.uid === 0;
}

/**
 * The directory a socket is in must be one nobody else can swap it in: owned
 * by the user or root, and not writable by others unless sticky (like /tmp,
 * where others cannot rename or delete the user's files).
 */
function checkDirectory(dir: string): void {
  let st: Stats;
  try {
    st = lstatSync(dir);
  } catch (e) {
    throw new SocketPlaceError(`${dir}: ${(e as NodeJS.ErrnoException).code === "ENOENT" ? "no such directory" : (e as Error).message}`);
  }
  if (!st.isDirectory()) throw new SocketPlaceError(`${dir}: not a directory`);
  if (!trusted(st)) throw new SocketPlaceError(`${dir}: owned by uid ${st.uid}, not by this user or root`);
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) throw new SocketPlaceError(`${dir}: others may write to this directory (mode ${(st.mode & 0o7777).toString(8)}) and could replace the socket`);
}

/** Create (mode 0700) or check the default private directory: it must be ours, a real directory, closed to others. */
function ensurePrivateDir(dir: string): void {
  try {
    mkdirSync(dir, { mode: 0o700 });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new SocketPlaceError(`${dir}: ${(e as Error).message}`);
  }
  const st = lstatSync(dir);
  const me = uid();
  if (!st.isDirectory()) throw new SocketPlaceError(`${dir}: not a directory (someone else may have made it; use --socket)`);
  if (me !== undefined && st.uid !== me) throw new SocketPlaceError(`${dir}: owned by uid ${st.uid}, not by this user (use --socket or XDG_RUNTIME_DIR)`);
  if ((st.mode & 0o077) !== 0) throw new SocketPlaceError(`${dir}: mode ${(st.mode & 0o777).toString(8)}, must be 700`);
}

/** Before talking to a socket: it is a socket, owned by this user (or root), in a directory nobody else can swap it in. */
export function verifySocket(path: string): void {
  let st: Stats;
  try {
    st = lstatSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SocketPlaceError(code === "ENOENT" || code === "ENOTDIR" ? "no appliance is running on this control socket" : (e as Error).message);
  }
  if (!st.isSocket()) throw new SocketPlaceError("not a socket; not talking to it");
  if (!trusted(st)) throw new SocketPlaceError(`the socket is owned by uid ${st.uid}, not by this user: not talking to it (someone else's appliance, or a fake)`);
  checkDirectory(dirname(path));
}

export type Handler = (req: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

/** A request line to the request object, or an error for anything but a JSON object with a short string `cmd`. */
export function parseRequest(line: string): Record<string, unknown> {
  let req: unknown;
  try {
    req = JSON.parse(line);
  } catch {
    throw new Error("the request is not JSON (one JSON object per line)");
  }
  if (typeof req !== "object" || req === null || Array.isArray(req)) throw new Error('the request must be a JSON object such as {"cmd":"status"}');
  const cmd = (req as Record<string, unknown>).cmd;
  if (typeof cmd !== "string") throw new Error('the request has no "cmd" string');
  return req as Record<string, unknown>;
}

const bigintAsNumber = (_k: string, v: unknown) => (typeof v === "bigint" ? Number(v) : v);

/** Answer one request line; never throws, never longer than MAX_ANSWER_CHARS. */
export async function answerLine(line: string, handler: Handler): Promise<string> {
  let answer: Record<string, unknown>;
  try {
    answer = { ok: true, ...(await handler(parseRequest(line))) };
  } catch (e) {
    answer = { ok: false, error: excerpt(cleanLine(e instanceof Error ? e.message : String(e)), 4000) };
  }
  let text: string;
  try {
    text = JSON.stringify(answer, bigintAsNumber);
    if (text.length > MAX_ANSWER_CHARS) throw new RangeError("too long");
  } catch {
    text = JSON.stringify({ ok: false, error: `the answer would be longer than ${MAX_ANSWER_CHARS} characters; ask for less (status pages its rules: "offset", "limit")` });
  }
  return cleanText(text) + "\n";
}

export class ControlServer {
  private constructor(readonly path: string, private server: net.Server) {}

  /**
   * Listen on `path`. A socket file left by a crashed appliance is replaced;
   * one a live appliance answers on is not (two appliances on one socket
   * would make `status` lie), nor anything that is not a socket or not ours.
   */
  static async listen(path: string, handler: Handler, limits: Limits = {}): Promise<ControlServer> {
    const dir = dirname(path);
    if (dir === privateDirPath()) ensurePrivateDir(dir);
    checkDirectory(dir);
    let st: Stats | null = null;
    try { st = lstatSync(path); } catch { /* free */ }
    if (st) {
      if (!st.isSocket()) throw new SocketPlaceError(`${path}: exists and is not a socket; not replacing it`);
      if (uid() !== undefined && st.uid !== uid()) throw new SocketPlaceError(`${path}: owned by uid ${st.uid}, not by this user; not replacing it`);
      const alive = await new Promise<boolean>((resolve) => {
        const c = net.connect(path);
        c.once("connect", () => { c.destroy(); resolve(true); });
        c.once("error", () => resolve(false));
      });
      if (alive) throw new Error(`${path}: another appliance is running on this control socket (use --socket)`);
      unlinkSync(path);
    }
    // Half-open: a client may send its requests and shut its side (nc -U does), and still get every answer.
    const server = net.createServer({ allowHalfOpen: true }, (conn) => serveConnection(conn, handler, { idleMs: limits.idleMs ?? IDLE_MS, deadlineMs: limits.deadlineMs ?? REQUEST_DEADLINE_MS }));
    server.maxConnections = MAX_CONNECTIONS;
    // Bind inside a fresh directory only this user can enter, set the mode,
    // then move the socket into place: it is never reachable with a wider mode.
    const hidden = mkdtempSync(join(dir, ".pc-"));
    const staged = join(hidden, "s");
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(staged, () => { server.off("error", reject); resolve(); });
      });
      chmodSync(staged, 0o600);
      renameSync(staged, path);
    } catch (e) {
      server.close();
      throw e;
    } finally {
      try { unlinkSync(staged); } catch { /* moved */ }
      try { rmdirSync(hidden); } catch { /* gone */ }
    }
    // Accept errors (EMFILE, ...) are the client's loss, never the appliance's end.
    server.on("error", () => {});
    return new ControlServer(path, server);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      try { unlinkSync(this.path); } catch { /* already gone */ }
    });
  }
}

/** One connection: requests answered in order, one at a time, with bounded buffers. */
/** The time limits of a connection (tests shorten them). */
export interface Limits {
  idleMs?: number;
  deadlineMs?: number;
}

function serveConnection(conn: net.Socket, handler: Handler, { idleMs, deadlineMs }: Required<Limits>): void {
  let buf = "";
  const queue: string[] = [];
  let busy = false;
  let refused = false;
  let ended = false; // the client sent all it will send
  conn.setEncoding("utf8");
  let draining = false; // an answer waits for the client to read
  // Idle while an answer is being worked out (a reload) is not the client's
  // fault: wait again. Idle because the client does not read is: close.
  // (A listener, not setTimeout's callback: that one is removed after it fires once.)
  conn.on("timeout", () => (busy && !draining ? conn.setTimeout(idleMs) : conn.destroy()));
  conn.setTimeout(idleMs);
  conn.on("error", () => {});
  let deadline: NodeJS.Timeout | null = null;
  conn.on("close", () => { if (deadline) clearTimeout(deadline); });
  const refuse = (message: string) => {
    refused = true;
    if (deadline) clearTimeout(deadline);
    conn.end(JSON.stringify({ ok: false, error: message }) + "\n");
    buf = "";
    queue.length = 0;
  };
  const pump = async () => {
    if (busy) return;
    busy = true;
    try {
      while (queue.length && !conn.destroyed && conn.writable) {
        const text = await answerLine(queue.shift()!, handler);
        if (conn.destroyed || !conn.writable) break;
        if (queue.length < MAX_QUEUED && conn.isPaused()) conn.resume();
        if (!conn.write(text)) {
          // The client does not read: wait (the idle timeout closes it if it never does).
          draining = true;
          await new Promise<void>((resolve) => {
            const done = () => { draining = false; conn.off("drain", done); conn.off("close", done); resolve(); };
            conn.on("drain", done);
            conn.on("close", done);
          });
        }
      }
    } catch {
      conn.destroy();
    } finally {
      busy = false;
      if (ended && queue.length === 0 && !conn.destroyed) conn.end();
    }
  };
  conn.on("end", () => {
    ended = true;
    // A last request without its newline still counts.
    if (!refused && buf.trim() !== "") queue.push(buf.replace(/\r$/, ""));
    buf = "";
    if (queue.length) void pump();
    else if (!busy && !conn.destroyed) conn.end();
  });
  conn.on("data", (chunk: string) => {
    if (refused) return;
    try {
      buf += chunk;
      let nl: number;
      let completed = false;
      while ((nl = buf.indexOf("\n")) >= 0) {
        if (nl > MAX_REQUEST_CHARS) break; // refused below, however it arrived
        const line = buf.slice(0, nl).replace(/\r$/, "");
        buf = buf.slice(nl + 1);
        completed = true;
        if (line.trim() !== "") queue.push(line);
      }
      if (buf.length > MAX_REQUEST_CHARS) {
        refuse(`request longer than ${MAX_REQUEST_CHARS} characters; closing`);
        return;
      }
      if ((completed || buf === "") && deadline) {
        clearTimeout(deadline);
        deadline = null;
      }
      if (buf !== "" && !deadline) {
        deadline = setTimeout(() => refuse(`request not complete within ${deadlineMs / 1000} s; closing`), deadlineMs);
      }
      if (queue.length >= MAX_QUEUED) conn.pause();
      void pump();
    } catch {
      conn.destroy();
    }
  });
}

/** Send one request and wait for its answer (bounded by `timeoutMs`), after checking who owns the socket. */
export function request(path: string, req: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    try {
      verifySocket(path);
    } catch (e) {
      reject(new Error(`${path}: ${(e as Error).message}`));
      return;
    }
    const c = net.connect(path);
    let buf = "";
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`${path}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    c.setEncoding("utf8");
    c.once("connect", () => c.write(JSON.stringify(req) + "\n"));
    c.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) {
        if (buf.length > MAX_ANSWER_CHARS) { clearTimeout(timer); c.destroy(); reject(new Error(`${path}: answer too long`)); }
        return;
      }
      clearTimeout(timer);
      c.end();
      let answer: unknown;
      try { answer = JSON.parse(buf.slice(0, nl)); } catch { reject(new Error(`${path}: the answer is not JSON (is this an appliance's control socket?)`)); return; }
      if (typeof answer !== "object" || answer === null || typeof (answer as any).ok !== "boolean") { reject(new Error(`${path}: unexpected answer (is this an appliance's control socket?)`)); return; }
      resolve(answer as Record<string, any>);
    });
    c.once("close", () => { clearTimeout(timer); reject(new Error(`${path}: the appliance closed the connection without an answer`)); });
    c.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`${path}: ${e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "no appliance is running on this control socket" : e.message}`));
    });
  });
}
