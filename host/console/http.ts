// The console's HTTP server (`portcullis run --http HOST:PORT`), in the
// console's worker thread (worker.ts): node:http, read-only, plain HTML/CSS
// and one JavaScript module from assets/, JSON under /api/, /metrics, log
// events as Server-Sent Events. Every answer carries a strict
// Content-Security-Policy (no inline script or style) and nosniff; requests
// are bounded in size, time and number.
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ConsoleState, SAMPLE_MS } from "./snapshot.ts";
import type { WorkerStart } from "./protocol.ts";
import { renderMetrics, METRICS_CONTENT_TYPE } from "./metrics.ts";
import { PacketTester, MAX_SPEC_LENGTH } from "./tester.ts";
import { MAX_SUBSCRIBERS } from "./log-feed.ts";
import { checkBind, hostAllowed, presentedToken, tokenMatches, COOKIE_NAME } from "./access.ts";
import { packagePath } from "../package-root.ts";
import { rulesPage, connectionsPage, overview } from "./views.ts";

type ConsoleOptions = WorkerStart;

const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cache-Control": "no-store",
};

/** The pages; each is the same document, whose script shows the page its path names. */
const PAGES = new Set(["/", "/rules", "/connections", "/log", "/tester"]);
const ASSETS: Record<string, { file: string; type: string }> = {
  "/console.js": { file: "console.js", type: "text/javascript; charset=utf-8" },
  "/console.css": { file: "console.css", type: "text/css; charset=utf-8" },
};
const MAX_BODY = 4096;

export class ConsoleHttp {
  private tester: PacketTester;
  private assets = new Map<string, Buffer>();
  private constructor(readonly state: ConsoleState, readonly opts: ConsoleOptions, private server: http.Server) {
    this.tester = new PacketTester(state);
    const dir = packagePath("host", "console", "assets");
    for (const f of ["index.html", "login.html", "console.js", "console.css"]) this.assets.set(f, readFileSync(join(dir, f)));
  }

  /** Start serving; refuses a non-loopback address without a token. */
  static async start(state: ConsoleState, opts: ConsoleOptions): Promise<ConsoleHttp> {
    checkBind(opts.host, opts.token);
    const server = http.createServer();
    server.maxHeadersCount = 50;
    server.headersTimeout = 10_000;
    server.requestTimeout = 15_000;
    server.maxConnections = 64;
    const c = new ConsoleHttp(state, opts, server);
    server.on("request", (req, res) => c.handle(req, res));
    server.on("clientError", (_e, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port, opts.host, () => { server.off("error", reject); resolve(); });
    });
    return c;
  }

  get address(): { host: string; port: number } {
    const a = this.server.address();
    return typeof a === "object" && a ? { host: a.address, port: a.port } : { host: this.opts.host, port: this.opts.port };
  }

  close(): Promise<void> {
    this.state.close();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    // One bad request never ends the appliance: whatever throws is a 500 for that request alone.
    this.route(req, res).catch((e) => {
      this.state.feed.push("error", `console: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, "text/plain; charset=utf-8", "internal error\n");
      else res.destroy();
    });
  }

  private async route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://console.invalid");
    const path = url.pathname;
    if (!hostAllowed(req, this.opts.token)) return send(res, 421, "text/plain; charset=utf-8", "this console answers only to a loopback host name\n");
    if (path === "/console.css") return this.asset(res, path);
    if (path === "/login") return this.login(req, res);
    if (this.opts.token && !tokenMatches(presentedToken(req), this.opts.token)) {
      if (req.method === "GET" && PAGES.has(path)) return redirect(res, "/login");
      return send(res, 401, "text/plain; charset=utf-8", "a token is required (Authorization: Bearer, or log in at /login)\n", { "WWW-Authenticate": 'Bearer realm="portcullis"' });
    }
    if (req.method === "POST" && path === "/api/explain") return this.explain(req, res);
    if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "text/plain; charset=utf-8", "the console is read-only\n", { Allow: "GET, HEAD" });
    if (PAGES.has(path)) return send(res, 200, "text/html; charset=utf-8", this.assets.get("index.html")!);
    if (ASSETS[path]) return this.asset(res, path);
    const q = url.searchParams;
    switch (path) {
      case "/metrics": return send(res, 200, METRICS_CONTENT_TYPE, renderMetrics(await this.state.snapshot()));
      case "/api/overview": return json(res, await overview(this.state, SAMPLE_MS));
      case "/api/rules": return json(res, rulesPage(await this.state.snapshot(), q));
      case "/api/connections": return json(res, await connectionsPage(this.state, q));
      case "/api/log": return json(res, { lines: this.state.feed.recent(500) });
      case "/api/log/stream": return this.stream(res);
      default: return send(res, 404, "text/plain; charset=utf-8", "not found\n");
    }
  }

  private asset(res: ServerResponse, path: string): void {
    const a = ASSETS[path];
    send(res, 200, a.type, this.assets.get(a.file)!);
  }

  private stream(res: ServerResponse): void {
    if (this.state.feed.subscriberCount >= MAX_SUBSCRIBERS) return send(res, 503, "text/plain; charset=utf-8", "too many log viewers\n");
    res.writeHead(200, { ...SECURITY_HEADERS, "Content-Type": "text/event-stream; charset=utf-8", Connection: "keep-alive" });
    res.socket?.setTimeout(0);
    res.write(": connected\n\n"); // sends the headers now: the browser's EventSource opens at once
    this.state.feed.subscribe(res);
  }

  private async explain(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req, MAX_BODY);
    if (body === null) return send(res, 413, "text/plain; charset=utf-8", `at most ${MAX_BODY} bytes\n`, { Connection: "close" });
    let packet: unknown;
    try {
      packet = JSON.parse(body).packet;
    } catch {
      return json(res, { ok: false, error: 'send {"packet": "SPEC"}' }, 400);
    }
    if (typeof packet !== "string" || packet.length > MAX_SPEC_LENGTH) return json(res, { ok: false, error: `"packet" is a string of at most ${MAX_SPEC_LENGTH} characters` }, 400);
    json(res, await this.tester.test(packet.trim()));
  }

  private async login(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "GET") return send(res, 200, "text/html; charset=utf-8", this.assets.get("login.html")!);
    if (req.method !== "POST") return send(res, 405, "text/plain; charset=utf-8", "GET or POST\n");
    const body = await readBody(req, MAX_BODY);
    const token = body === null ? undefined : new URLSearchParams(body).get("token") ?? undefined;
    if (!this.opts.token) return redirect(res, "/");
    if (!tokenMatches(token, this.opts.token)) return send(res, 401, "text/plain; charset=utf-8", "wrong token\n");
    redirect(res, "/", { "Set-Cookie": `${COOKIE_NAME}=${encodeURIComponent(token!)}; HttpOnly; SameSite=Strict; Path=/` });
  }
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
  res.end(res.req?.method === "HEAD" ? undefined : body);
}

function json(res: ServerResponse, value: unknown, status = 200): void {
  send(res, status, "application/json; charset=utf-8", JSON.stringify(value));
}

function redirect(res: ServerResponse, to: string, extra: Record<string, string> = {}): void {
  res.writeHead(303, { ...SECURITY_HEADERS, Location: to, "Content-Length": 0, ...extra });
  res.end();
}

/**
 * The request body as text, or null as soon as it passes `max` bytes (the
 * rest is read and thrown away, within the server's request timeout, so the
 * client gets its 413 instead of a reset).
 */
function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > max) {
        chunks.length = 0;
        resolve(null);
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}
