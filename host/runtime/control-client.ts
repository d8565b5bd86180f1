// A conversation with a running appliance over its control socket: several
// requests on one connection, each answered in order (control.ts). `push`
// needs it (a configuration travels as many requests); `status` asks one
// question per connection with control.ts's request().
import net from "node:net";
import { MAX_ANSWER_CHARS, verifySocket } from "./control.ts";

export class ControlClient {
  private buf = "";
  private waiting: { resolve: (a: Record<string, any>) => void; reject: (e: Error) => void } | null = null;
  private failure: Error | null = null;

  private constructor(readonly path: string, private conn: net.Socket) {
    conn.setEncoding("utf8");
    conn.on("data", (chunk: string) => this.data(chunk));
    conn.on("error", (e: NodeJS.ErrnoException) => this.fail(new Error(`${path}: ${e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "no appliance is running on this control socket" : e.message}`)));
    conn.on("close", () => this.fail(new Error(`${path}: the appliance closed the connection`)));
  }

  /** Connect, after checking who owns the socket (control.ts verifySocket). */
  static connect(path: string, timeoutMs = 10_000): Promise<ControlClient> {
    return new Promise((resolve, reject) => {
      try {
        verifySocket(path);
      } catch (e) {
        reject(new Error(`${path}: ${(e as Error).message}`));
        return;
      }
      const conn = net.connect(path);
      const timer = setTimeout(() => { conn.destroy(); reject(new Error(`${path}: could not connect within ${timeoutMs} ms`)); }, timeoutMs);
      conn.once("connect", () => { clearTimeout(timer); resolve(new ControlClient(path, conn)); });
      conn.once("error", (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`${path}: ${e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "no appliance is running on this control socket" : e.message}`));
      });
    });
  }

  /** Send one request and wait for its answer (at most `timeoutMs`). */
  ask(req: Record<string, unknown>, timeoutMs = 30_000): Promise<Record<string, any>> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.waiting) return Promise.reject(new Error("one request at a time"));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { this.waiting = null; this.conn.destroy(); reject(new Error(`${this.path}: no answer within ${Math.round(timeoutMs / 1000)} s`)); }, timeoutMs);
      this.waiting = {
        resolve: (a) => { clearTimeout(timer); resolve(a); },
        reject: (e) => { clearTimeout(timer); reject(e); },
      };
      this.conn.write(JSON.stringify(req) + "\n");
    });
  }

  close(): void {
    this.conn.end();
    this.conn.destroy();
  }

  private data(chunk: string): void {
    this.buf += chunk;
    const nl = this.buf.indexOf("\n");
    if (nl < 0) {
      if (this.buf.length > MAX_ANSWER_CHARS) this.fail(new Error(`${this.path}: answer too long`));
      return;
    }
    const line = this.buf.slice(0, nl);
    this.buf = this.buf.slice(nl + 1);
    const w = this.waiting;
    this.waiting = null;
    if (!w) return; // an answer nobody asked for: ignore
    let answer: unknown;
    try {
      answer = JSON.parse(line);
    } catch {
      w.reject(new Error(`${this.path}: the answer is not JSON (is this an appliance's control socket?)`));
      return;
    }
    if (typeof answer !== "object" || answer === null || typeof (answer as any).ok !== "boolean") {
      w.reject(new Error(`${this.path}: unexpected answer (is this an appliance's control socket?)`));
      return;
    }
    w.resolve(answer as Record<string, any>);
  }

  private fail(e: Error): void {
    this.failure ??= e;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(this.failure);
  }
}
