// The web console and /metrics over real HTTP on 127.0.0.1, against a live
// appliance forwarding real frames: the metrics pass Prometheus's own
// checker (promtool), counters grow with traffic, every answer carries the
// security headers, access rules hold (token, Host, loopback-only default),
// the packet tester answers as explain does, and bad requests get a clean
// refusal while the appliance keeps forwarding.
import { describe, it, expect, afterEach } from "vitest";
import { spawnSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startRig, until, HOSTILE_NAME, type Rig } from "./support/console-rig.ts";
import { escapeLabelValue } from "../host/console/metrics.ts";
import { checkBind, AccessError } from "../host/console/access.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

let rig: Rig | null = null;
afterEach(async () => {
  await rig?.close();
  rig = null;
});

const TOKEN = "s3cret-console-token-0123456789";

function promtool(): string | null {
  if (existsSync("/usr/bin/promtool")) return "/usr/bin/promtool";
  if (process.env.CI) throw new Error("promtool is missing (Debian package prometheus): .ci/run installs it");
  return null;
}

/** A raw request, so tests can send what fetch would refuse (odd Host headers, methods). */
function raw(base: string, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: u.hostname, port: u.port, path, method: opts.method ?? "GET", headers: opts.headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end(opts.body);
  });
}

describe("/metrics", () => {
  it("passes promtool's check and counts the rule that forwarded traffic", async () => {
    rig = await startRig();
    await rig.synFromWan(80);
    await until(() => rig!.lanGot() === 1);
    await rig.synFromWan(23); // no exception: the inbound default denies it
    await until(async () => (await (await fetch(`${rig!.base}/metrics`)).text()).includes('reason="default"'));
    const res = await fetch(`${rig.base}/metrics`);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const text = await res.text();
    const tool = promtool();
    if (tool) {
      const r = spawnSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" });
      expect(r.stderr + r.stdout).toBe("");
      expect(r.status).toBe(0);
    }
    const sample = (name: string, labels: string) => {
      const line = text.split("\n").find((l) => l.startsWith(`${name}{`) && l.includes(labels));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    const file = escapeLabelValue(rig.live.opts.configs[0]);
    expect(sample("portcullis_rule_packets_total", `file="${file}",line="1"`)).toBe(1);
    expect(sample("portcullis_rule_packets_total", `file="${file}",line="3"`)).toBe(0);
    expect(sample("portcullis_rule_bytes_total", `file="${file}",line="1"`)).toBe(54);
    expect(sample("portcullis_dropped_total", 'reason="default"')).toBe(1);
    expect(sample("portcullis_default_packets_total", 'direction="inbound"')).toBe(1);
    expect(sample("portcullis_port_frames_total", 'port="wan",direction="rx"')).toBe(2);
    expect(sample("portcullis_port_frames_total", 'port="lan",direction="tx"')).toBe(1);
    expect(sample("portcullis_conntrack_flows", "")).toBe(undefined); // no labels: written without braces
    expect(text).toMatch(/^portcullis_conntrack_flows 1$/m);
    expect(text).toMatch(/^portcullis_conntrack_capacity 65536$/m);
    expect(text).toMatch(/^portcullis_config_generation 1$/m);
    expect(text).toMatch(/^portcullis_reloads_total\{result="applied"\} 0$/m);
    expect(text).toMatch(/^portcullis_build_info\{version="\d+\.\d+\.\d+",commit="[^"]+"\} 1$/m);
  });

  it("escapes label values as the format requires", () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    const tool = promtool();
    if (!tool) return;
    const text = `# HELP x_total t\n# TYPE x_total counter\nx_total{file="${escapeLabelValue('we"ird\\pa\nth')}"} 1\n`;
    const r = spawnSync(tool, ["check", "metrics"], { input: text, encoding: "utf8" });
    expect(r.status).toBe(0);
  });
});

describe("the console's pages and API", () => {
  it("serves every page with a strict CSP and nosniff, and lists rules with counters and never-hit marks", async () => {
    rig = await startRig();
    for (const path of ["/", "/rules", "/connections", "/log", "/tester", "/console.js", "/console.css", "/api/overview", "/api/rules", "/api/connections", "/metrics", "/nope"]) {
      const res = await fetch(rig.base + path);
      expect(res.headers.get("content-security-policy"), path).toMatch(/script-src 'self'/);
      expect(res.headers.get("content-security-policy"), path).not.toMatch(/unsafe-inline/);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.status, path).toBe(path === "/nope" ? 404 : 200);
    }
    await rig.synFromWan(80);
    await until(() => rig!.lanGot() === 1);
    await new Promise((r) => setTimeout(r, 600)); // past the snapshot's cache
    const rules = await (await fetch(`${rig.base}/api/rules?sort=hits`)).json();
    expect(rules.total).toBe(3); // the vendor's three exceptions, each counting the program rules lowered from it
    expect(rules.rows[0]).toMatchObject({ line: 1, packets: 1, bytes: 54 });
    expect(rules.rows[0].indices.length).toBe(2);
    expect(rules.rows[0].lastHitMs).toBeGreaterThan(Date.now() - 60_000);
    // Ties in hits keep program order (Windows Firewall lowers exceptions by port: 25, then 443).
    expect(rules.rows.slice(1).map((r: any) => [r.line, r.packets, r.lastHitMs])).toEqual([[3, 0, null], [2, 0, null]]);
    expect(rules.rows[2].text).toContain(HOSTILE_NAME); // the API carries text; the page shows it as text
    const never = await (await fetch(`${rig.base}/api/rules?only=never`)).json();
    expect(never.rows.map((r: any) => r.line)).toEqual([3, 2]);
    const filtered = await (await fetch(`${rig.base}/api/rules?filter=MAIL`)).json();
    expect(filtered.rows.map((r: any) => r.line)).toEqual([3]);
    const flows = await (await fetch(`${rig.base}/api/connections`)).json();
    expect(flows.rows).toHaveLength(1);
    expect(flows.rows[0]).toMatchObject({ proto: 6, src: "10.0.0.2", sport: 40000, dst: "192.168.0.10", dport: 80, state: "syn-sent", packets: 1, bytes: 54, in: "wan", out: "lan" });
    const byPort = await (await fetch(`${rig.base}/api/connections?filter=:443`)).json();
    expect(byPort.rows).toHaveLength(0);
    const o = await (await fetch(`${rig.base}/api/overview`)).json();
    expect(o.rules).toEqual({ total: 3, hit: 1, neverHit: 2 });
    expect(o.ports.find((p: any) => p.name === "wan").rxPackets).toBe(1);
    expect(o.history.samples.length).toBeGreaterThanOrEqual(1);
  });

  it("answers the packet tester as explain does, and refuses bad packets cleanly", async () => {
    rig = await startRig();
    const ask = async (packet: unknown) => (await fetch(`${rig!.base}/api/explain`, { method: "POST", body: JSON.stringify({ packet }) })).json();
    const a = await ask("tcp 10.0.0.2:4000 > 192.168.0.10:443 in=wan out=lan");
    expect(a).toMatchObject({ ok: true, verdict: "permit", rule: { line: 2 } });
    const b = await ask("tcp 10.0.0.99:4000 > 192.168.0.10:25 in=wan out=lan");
    expect(b).toMatchObject({ ok: true, verdict: "deny", rule: null });
    expect(b.reason).toMatch(/default/);
    expect((await ask("tcp nonsense")).ok).toBe(false);
    expect((await ask(42)).ok).toBe(false);
    const big = await raw(rig.base, "/api/explain", { method: "POST", body: "x".repeat(10_000) });
    expect(big.status).toBe(413);
    // The tester uses an engine of its own: the live table and counters are untouched.
    expect(conntrackOf(rig.live.fw.engine).flows()).toHaveLength(0);
    expect(Number(rig.live.fw.counters()[1].packets)).toBe(0);
  });

  it("streams log events to a subscriber (Server-Sent Events)", async () => {
    rig = await startRig();
    const ctl = new AbortController();
    const res = await fetch(`${rig.base}/api/log/stream`, { signal: ctl.signal });
    expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
    const reader = res.body!.getReader();
    rig.live.log(5, "hello from the test");
    let text = "";
    const end = Date.now() + 5000;
    while (!text.includes("hello from the test") && Date.now() < end) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    ctl.abort();
    expect(text).toMatch(/data: \{"seq":\d+,"atMs":\d+,"severity":"notice","text":"hello from the test"\}/);
  });

  it("is read-only and answers only to loopback host names without a token", async () => {
    rig = await startRig();
    expect((await raw(rig.base, "/api/rules", { method: "DELETE" })).status).toBe(405);
    expect((await raw(rig.base, "/", { method: "PUT", body: "x" })).status).toBe(405);
    const rebound = await raw(rig.base, "/api/rules", { headers: { Host: "attacker.example:80" } });
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain("Web server");
    expect((await raw(rig.base, "/api/rules", { headers: { Host: "localhost" } })).status).toBe(200);
    // Garbage on the socket: the server drops it and keeps serving.
    await new Promise<void>((resolve) => {
      const s = net.connect(Number(new URL(rig!.base).port), "127.0.0.1", () => s.end("\x00\x01GARBAGE\r\n\r\n"));
      s.on("close", () => resolve());
      s.on("error", () => resolve());
    });
    expect((await fetch(`${rig.base}/api/overview`)).status).toBe(200);
  });
});

describe("access with a token", () => {
  it("refuses requests without the token, accepts the bearer token and the login cookie", async () => {
    rig = await startRig({ token: TOKEN });
    expect((await fetch(`${rig.base}/metrics`)).status).toBe(401);
    expect((await fetch(`${rig.base}/api/rules`)).status).toBe(401);
    expect((await fetch(`${rig.base}/api/rules`, { headers: { Authorization: "Bearer wrong-token-wrong-token" } })).status).toBe(401);
    const page = await fetch(`${rig.base}/rules`, { redirect: "manual" });
    expect([page.status, page.headers.get("location")]).toEqual([303, "/login"]);
    expect((await fetch(`${rig.base}/metrics`, { headers: { Authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    expect((await fetch(`${rig.base}/login`, { method: "POST", body: new URLSearchParams({ token: "nope" }), redirect: "manual" })).status).toBe(401);
    const login = await fetch(`${rig.base}/login`, { method: "POST", body: new URLSearchParams({ token: TOKEN }), redirect: "manual" });
    expect(login.status).toBe(303);
    const cookie = login.headers.get("set-cookie")!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await fetch(`${rig.base}/api/rules`, { headers: { Cookie: cookie.split(";")[0] } })).status).toBe(200);
  });

  it("refuses to listen beyond loopback without a token, from the API and from `portcullis run`", async () => {
    expect(() => checkBind("0.0.0.0", null)).toThrow(AccessError);
    expect(() => checkBind("192.0.2.1", null)).toThrow(/--http-token/);
    expect(() => checkBind("127.0.0.1", null)).not.toThrow();
    expect(() => checkBind("::1", null)).not.toThrow();
    expect(() => checkBind("0.0.0.0", TOKEN)).not.toThrow();
    const dir = mkdtempSync(join(tmpdir(), "pc-console-cli-"));
    try {
      const cfg = join(dir, "x.txt");
      writeFileSync(cfg, "80:TCP:*:enabled:web\n");
      const run = (extra: string[]) => new Promise<{ code: number | null; err: string }>((resolve) => {
        const p = spawn(process.execPath, ["bin/portcullis.js", "run", cfg, "--no-socket", "--port", "lan=127.0.0.1:1/127.0.0.1:2", "--port", "wan=127.0.0.1:3/127.0.0.1:4", ...extra], { stdio: ["ignore", "ignore", "pipe"] });
        let err = "";
        p.stderr.on("data", (c) => (err += c));
        const timer = setTimeout(() => p.kill("SIGKILL"), 30_000);
        p.on("close", (code) => { clearTimeout(timer); resolve({ code, err }); });
      });
      const open = await run(["--http", "0.0.0.0:18080"]);
      expect(open.code).toBe(1);
      expect(open.err).toMatch(/needs --http-token FILE/);
      writeFileSync(join(dir, "short"), "abc\n");
      const short = await run(["--http", "0.0.0.0:18080", "--http-token", join(dir, "short")]);
      expect(short.code).toBe(1);
      expect(short.err).toMatch(/at least 16 characters/);
      const lonely = await run(["--http-token", join(dir, "short")]);
      expect(lonely.code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
