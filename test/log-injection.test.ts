// Text that leaves the appliance (issue 12 item 11): syslog lines, structured
// data, stderr and `status` carry no raw control or bidi characters from
// config files or their names; JSON stays JSON; a refused reload's warnings
// are warnings; a config that is really /etc/passwd is not copied to the
// loghost line by line.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import dgram from "node:dgram";
import { spawn } from "node:child_process";
import { writeFileSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { Harness, syn, until, sleep } from "./support/live-harness.ts";
import { registerHostile } from "./support/hostile-dialects.ts";
import { formatRfc5424, formatRfc3164 } from "../host/log/syslog.ts";
import { cleanText, cleanLine, excerpt } from "../host/log/sanitize.ts";

const h = new Harness();
let loghost: dgram.Socket | null = null;
const datagrams: string[] = [];
beforeAll(async () => {
  registerHostile();
  loghost = dgram.createSocket("udp4");
  loghost.on("message", (m) => datagrams.push(m.toString("utf8")));
  await new Promise<void>((r) => loghost!.bind(0, "127.0.0.1", r));
});
afterEach(async () => {
  await h.cleanup();
  datagrams.length = 0;
});
afterAll(async () => {
  await new Promise<void>((r) => loghost!.close(() => r()));
  await h.dispose();
});
const loghostOpt = () => ({ host: "127.0.0.1", port: (loghost!.address() as any).port });
/** Control characters (C0 but nothing, DEL, C1) and the bidi and line-separator characters. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/;
const HOSTILE = "\u001b[2J\u0007\u202e\u0085\u2028";
/** The same without U+2028, which a parser takes for white space (it would split the word). */
const WORD = "\u001b[2J\u0007\u202e\u0085";

describe("the sanitizer", () => {
  it("escapes control and bidi characters visibly, keeps lines in text, and JSON stays valid JSON", () => {
    expect(cleanLine(`a${HOSTILE}\nb\tc`)).toBe("a\\u001b[2J\\u0007\\u202e\\u0085\\u2028\\u000ab\\u0009c");
    expect(cleanText("a\u001b\nb\tc\r")).toBe("a\\u001b\nb\tc\\u000d");
    const json = JSON.stringify({ t: `x${HOSTILE}\\y"` });
    expect(UNSAFE.test(cleanText(json))).toBe(false);
    expect(JSON.parse(cleanText(json)).t).toBe(`x${HOSTILE}\\y"`);
    expect(excerpt("x".repeat(50), 10)).toBe("xxxxxxxxxx… [40 more characters]");
    expect(excerpt("ab\u{1f600}", 3)).toBe("ab… [2 more characters]"); // never half a surrogate pair
  });

  it("RFC 5424 SD values and messages, RFC 3164 messages: one line, escaped (RFC 5424 6.3.3 after cleaning)", () => {
    const msg = { facility: 16, severity: 5, time: new Date(0), hostname: "fw", appName: "portcullis", structuredData: { "x@32473": { file: `/etc/a\nb${HOSTILE}"]\\.cfg` } }, text: `t${HOSTILE}` };
    const line = formatRfc5424(msg);
    expect(UNSAFE.test(line)).toBe(false);
    expect(line).toContain('file="/etc/a\\\\u000ab\\\\u001b[2J\\\\u0007\\\\u202e\\\\u0085\\\\u2028\\"\\]\\\\.cfg"');
    expect(UNSAFE.test(formatRfc3164(msg))).toBe(false);
  });
});

const PASSWD_LINES = Array.from({ length: 30 }, (_, i) => `user${i}:x:${1000 + i}:${1000 + i}:User ${i} ${"secret".repeat(40)}:/home/user${i}:/bin/sh`);

describe("the live appliance's logs", () => {
  it("a config path with a newline: the packet log's SD param file=... stays on one line", async () => {
    const path = join(h.dir, "evil\nname\u202e.cfg");
    writeFileSync(path, "#mini\npermit tcp dport 25 log\n");
    const t = await h.start([path], { loghost: loghostOpt() });
    await t.send(syn(25));
    await until(() => datagrams.some((d) => d.includes("action=permit")), 5000, "the log message");
    for (const d of datagrams) expect(UNSAFE.test(d), JSON.stringify(d)).toBe(false);
    const log = datagrams.find((d) => d.includes("action=permit"))!;
    expect(log).toContain('file="' + h.dir + '/evil\\\\u000aname\\\\u202e.cfg"');
  });

  it("hostile config text reaches syslog and stderr escaped; a refused reload's warnings are logged as warnings", async () => {
    const lines: string[] = [];
    const path = join(h.dir, "text.cfg");
    writeFileSync(path, "#mini\npermit tcp dport 25\n");
    const t = await h.start([path], { loghost: loghostOpt(), stderr: (l) => lines.push(l) });
    writeFileSync(path, `#mini\npermit tcp dport 25 warn\ndeny x${WORD}y\n`);
    const r = await t.live.reload("test");
    expect(r.ok).toBe(false);
    await until(() => datagrams.some((d) => d.includes("refused")), 5000, "the refusal");
    for (const d of [...datagrams, ...lines]) expect(UNSAFE.test(d), JSON.stringify(d)).toBe(false);
    // PRI = local0 (16) * 8 + severity: 132 warning, 131 error.
    expect(datagrams.find((d) => d.includes("warning[MINI002]"))).toMatch(/^<132>1 /);
    expect(datagrams.find((d) => d.includes("error[MINI001]"))).toMatch(/^<131>1 /);
    expect(datagrams.find((d) => d.includes("error[MINI001]"))).toContain("x\\u001b[2J\\u0007\\u202e\\u0085y");
    expect(lines.find((l) => l.includes("MINI002"))).toMatch(/^portcullis: warning: /);
  });

  it("a config replaced by a symlink to a passwd file (forced dialect): refused as not that dialect, nothing of it reaches the loghost", async () => {
    const good = join(h.dir, "good.cfg");
    writeFileSync(good, "#mini\npermit tcp dport 25\n");
    const passwd = join(h.dir, "passwd");
    writeFileSync(passwd, PASSWD_LINES.join("\n") + "\n");
    const link = join(h.dir, "fw.cfg");
    symlinkSync(good, link);
    const t = await h.start([link], { loghost: loghostOpt(), load: { dialect: "mini" } });
    unlinkSync(link);
    symlinkSync(passwd, link);
    expect((await t.live.reload("test")).ok).toBe(false);
    await until(() => datagrams.some((d) => d.includes("refused")), 5000, "the refusal");
    await sleep(100);
    expect(datagrams.some((d) => d.includes("CFG006"))).toBe(true);
    expect(datagrams.filter((d) => /user\d+:x:/.test(d))).toEqual([]);
  });

  it("a file of the dialect full of passwd lines: only a bounded excerpt of a few diagnostics reaches the loghost", async () => {
    const path = join(h.dir, "leaky.cfg");
    writeFileSync(path, "#mini\npermit tcp dport 25\n");
    const t = await h.start([path], { loghost: loghostOpt(), load: { dialect: "mini" } });
    writeFileSync(path, "#mini\n" + PASSWD_LINES.join("\n") + "\n");
    expect((await t.live.reload("test")).ok).toBe(false);
    await until(() => datagrams.some((d) => d.includes("refused")), 5000, "the refusal");
    await sleep(100);
    const leaked = datagrams.filter((d) => /user\d+:x:/.test(d));
    expect(leaked.length).toBeLessThanOrEqual(5);
    for (const d of leaked) expect(d.length).toBeLessThan(400);
    expect(datagrams.some((d) => /25 more diagnostics not sent to syslog/.test(d))).toBe(true);
  });

  it("`portcullis status` (text and --json) prints rule texts escaped; the JSON parses back to the text", async () => {
    const path = join(h.dir, "status.cfg");
    writeFileSync(path, `#mini\npermit tcp dport 25 # ${WORD}\n`);
    const t = await h.start([path]);
    const run = (args: string[]) => new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      const child = spawn(process.execPath, [join(import.meta.dirname, "../bin/portcullis.js"), "status", "--socket", t.socketPath, ...args], { stdio: ["ignore", "pipe", "pipe"] });
      let out = "", err = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (err += d));
      child.on("exit", (code) => resolve({ code, out, err }));
    });
    const text = await run([]);
    expect(text.code).toBe(0);
    expect(UNSAFE.test(text.out.replace(/\n/g, ""))).toBe(false);
    expect(text.out).toContain("# \\u001b[2J\\u0007\\u202e\\u0085");
    const json = await run(["--json"]);
    expect(json.code).toBe(0);
    expect(UNSAFE.test(json.out.replace(/\n$/, ""))).toBe(false);
    expect(JSON.parse(json.out).rules[0].text).toBe(`permit tcp dport 25 # ${WORD}`);
  }, 30000);
});
