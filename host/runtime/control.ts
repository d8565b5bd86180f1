// The control socket of a running appliance: a Unix socket speaking JSON
// lines. Each request is one line `{"cmd": "status"}` (or "reload"); each
// answer one line `{"ok": true, ...}` or `{"ok": false, "error": "..."}`.
// Only local processes that may open the socket file (mode 0600, the
// appliance's user) can talk to it.
import net from "node:net";
import { existsSync, unlinkSync, chmodSync } from "node:fs";
import { join } from "node:path";

export function defaultSocketPath(): string {
  if (process.env.PORTCULLIS_SOCKET) return process.env.PORTCULLIS_SOCKET;
  if (process.getuid?.() === 0 && existsSync("/run")) return "/run/portcullis.sock";
  if (process.env.XDG_RUNTIME_DIR) return join(process.env.XDG_RUNTIME_DIR, "portcullis.sock");
  return join("/tmp", `portcullis-${process.getuid?.() ?? "user"}.sock`);
}

export type Handler = (req: Record<string, unknown>) => Promise<Record<string, unknown>> | Record<string, unknown>;

export class ControlServer {
  private constructor(readonly path: string, private server: net.Server) {}

  /**
   * Listen on `path`. A socket file left by a crashed appliance is replaced;
   * one a live appliance answers on is not (two appliances on one socket
   * would make `status` lie).
   */
  static async listen(path: string, handler: Handler): Promise<ControlServer> {
    if (existsSync(path)) {
      const alive = await new Promise<boolean>((resolve) => {
        const c = net.connect(path);
        c.once("connect", () => { c.destroy(); resolve(true); });
        c.once("error", () => resolve(false));
      });
      if (alive) throw new Error(`${path}: another appliance is running on this control socket (use --socket)`);
      unlinkSync(path);
    }
    const server = net.createServer((conn) => {
      let buf = "";
      conn.setEncoding("utf8");
      conn.on("data", async (chunk: string) => {
        buf += chunk;
        if (buf.length > 65536) { conn.destroy(); return; }
        let nl: number;
        while ((nl = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          let answer: Record<string, unknown>;
          try {
            answer = { ok: true, ...(await handler(JSON.parse(line))) };
          } catch (e) {
            answer = { ok: false, error: (e as Error).message };
          }
          if (!conn.destroyed) conn.write(JSON.stringify(answer, (_k, v) => (typeof v === "bigint" ? Number(v) : v)) + "\n");
        }
      });
      conn.on("error", () => {});
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(path, () => { server.off("error", reject); resolve(); });
    });
    chmodSync(path, 0o600);
    return new ControlServer(path, server);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      try { unlinkSync(this.path); } catch { /* already gone */ }
    });
  }
}

/** Send one request and wait for its answer (bounded by `timeoutMs`). */
export function request(path: string, req: Record<string, unknown>, timeoutMs = 5000): Promise<Record<string, any>> {
  return new Promise((resolve, reject) => {
    const c = net.connect(path);
    let buf = "";
    const timer = setTimeout(() => { c.destroy(); reject(new Error(`${path}: no answer within ${timeoutMs} ms`)); }, timeoutMs);
    c.setEncoding("utf8");
    c.once("connect", () => c.write(JSON.stringify(req) + "\n"));
    c.on("data", (chunk: string) => {
      buf += chunk;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      clearTimeout(timer);
      c.end();
      try { resolve(JSON.parse(buf.slice(0, nl))); } catch (e) { reject(e); }
    });
    c.once("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new Error(`${path}: ${e.code === "ENOENT" || e.code === "ECONNREFUSED" ? "no appliance is running on this control socket" : e.message}`));
    });
  });
}
