import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import {
  formatPacketEvent,
  formatRfc3164,
  formatRfc5424,
  SyslogNotifier,
  SyslogSender,
  TokenBucket,
  type PacketEvent,
  type SyslogMessage,
} from "../host/log/syslog.ts";

// ---------------------------------------------------------------------------
// Real UDP receivers on loopback (ephemeral ports), closed after every test.

type Receiver = { port: number; messages: string[]; waitFor(n: number, timeoutMs?: number): Promise<string[]> };

const openSockets: dgram.Socket[] = [];
const openSenders: { close(): Promise<void> }[] = [];

afterEach(async () => {
  await Promise.all(openSenders.splice(0).map((s) => s.close()));
  await Promise.all(
    openSockets.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
  );
});

function track<T extends { close(): Promise<void> }>(s: T): T {
  openSenders.push(s);
  return s;
}

async function receiver(address: "127.0.0.1" | "::1" = "127.0.0.1"): Promise<Receiver> {
  const socket = dgram.createSocket(address === "::1" ? "udp6" : "udp4");
  const messages: string[] = [];
  socket.on("message", (buf) => messages.push(buf.toString("utf8")));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(0, address, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  openSockets.push(socket);
  return {
    port: socket.address().port,
    messages,
    async waitFor(n: number, timeoutMs = 2000) {
      const deadline = Date.now() + timeoutMs;
      while (messages.length < n) {
        if (Date.now() > deadline) {
          throw new Error(`expected ${n} datagrams, got ${messages.length}: ${JSON.stringify(messages)}`);
        }
        await new Promise((r) => setTimeout(r, 5));
      }
      return messages;
    },
  };
}

/** Quiet period: lets any stray datagram arrive before asserting exact counts. */
const settle = (ms = 100) => new Promise((r) => setTimeout(r, ms));

async function ipv6LoopbackUnavailable(): Promise<string | null> {
  const s = dgram.createSocket("udp6");
  try {
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.bind(0, "::1", () => resolve());
    });
    return null;
  } catch (e) {
    return `IPv6 loopback ::1 not available: ${(e as Error).message}`;
  } finally {
    try {
      s.close();
    } catch {
      /* never bound */
    }
  }
}

const T0 = Date.UTC(2024, 2, 5, 7, 8, 9, 12); // 2024-03-05T07:08:09.012Z

const RFC5424 =
  /^<(\d{1,3})>1 (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) (\S+) (\S+) (\S+) (\S+) (-|(?:\[.*?[^\\]\])+)(?: (.*))?$/;
const RFC3164 = /^<(\d{1,3})>([A-Z][a-z]{2}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (\S+) ([A-Za-z0-9._\/-]{1,32})(?:\[(\d+)\])?: (.*)$/;

function msg(over: Partial<SyslogMessage> = {}): SyslogMessage {
  return {
    facility: 16,
    severity: 6,
    time: new Date(T0),
    hostname: "fw1",
    appName: "portcullis",
    text: "hello",
    ...over,
  };
}

const tcpEvent: PacketEvent = {
  kind: "log",
  ruleset: "inbound",
  rule: 10,
  ruleIndex: 3,
  file: "rules.cfg",
  line: 12,
  action: "deny",
  proto: 6,
  src: "203.0.113.9",
  dst: "192.168.0.10",
  sport: 4711,
  dport: 23,
  iface: "ether1",
  length: 60,
};

// ---------------------------------------------------------------------------

describe("formatRfc5424", () => {
  it("frames header, SD and MSG exactly, PRI = facility * 8 + severity", () => {
    const line = formatRfc5424(
      msg({ severity: 4, procId: "1234", msgId: "PKT", structuredData: { "portcullis@32473": { a: "1", b: "two" } } }),
    );
    expect(line).toBe('<132>1 2024-03-05T07:08:09.012Z fw1 portcullis 1234 PKT [portcullis@32473 a="1" b="two"] hello');
    const m = RFC5424.exec(line)!;
    expect(m).not.toBeNull();
    expect(Number(m[1])).toBe(16 * 8 + 4);
    expect(m.slice(2, 7)).toEqual(["2024-03-05T07:08:09.012Z", "fw1", "portcullis", "1234", "PKT"]);
    expect(m[8]).toBe("hello");
  });

  it("computes PRI at the edges and rejects out-of-range values", () => {
    expect(formatRfc5424(msg({ facility: 0, severity: 0 }))).toMatch(/^<0>1 /);
    expect(formatRfc5424(msg({ facility: 23, severity: 7 }))).toMatch(/^<191>1 /);
    expect(formatRfc5424(msg({ facility: 1, severity: 3 }))).toMatch(/^<11>1 /);
    expect(() => formatRfc5424(msg({ severity: 8 }))).toThrow(RangeError);
    expect(() => formatRfc5424(msg({ facility: 24 }))).toThrow(RangeError);
    expect(() => formatRfc5424(msg({ severity: 1.5 }))).toThrow(RangeError);
  });

  it("uses - for nil PROCID, MSGID, SD and an invalid time", () => {
    expect(formatRfc5424(msg())).toBe("<134>1 2024-03-05T07:08:09.012Z fw1 portcullis - - - hello");
    expect(formatRfc5424(msg({ structuredData: {} }))).toBe(
      "<134>1 2024-03-05T07:08:09.012Z fw1 portcullis - - - hello",
    );
    expect(formatRfc5424(msg({ time: new Date(NaN), hostname: "" }))).toBe("<134>1 - - portcullis - - - hello");
  });

  it("escapes backslash, double quote and right bracket in SD values (RFC 5424 6.3.3)", () => {
    const line = formatRfc5424(
      msg({ structuredData: { "x@32473": { v: 'a"b\\c]d[e' }, "y@32473": {} } }),
    );
    expect(line).toBe(
      '<134>1 2024-03-05T07:08:09.012Z fw1 portcullis - - [x@32473 v="a\\"b\\\\c\\]d[e"][y@32473] hello',
    );
    expect(RFC5424.exec(line)![7]).toBe('[x@32473 v="a\\"b\\\\c\\]d[e"][y@32473]');
  });

  it("keeps header fields printable ASCII, one line, and omits the MSG separator for empty text", () => {
    expect(formatRfc5424(msg({ hostname: "fw 1", text: "a\r\nb\nc" }))).toBe(
      "<134>1 2024-03-05T07:08:09.012Z fw_1 portcullis - - - a b c",
    );
    expect(formatRfc5424(msg({ text: "" }))).toBe("<134>1 2024-03-05T07:08:09.012Z fw1 portcullis - - -");
    expect(formatRfc5424(msg({ appName: "x".repeat(60) }))).toContain(` ${"x".repeat(48)} - - -`);
  });
});

describe("formatRfc3164", () => {
  it("frames <PRI>Mmm dd hh:mm:ss HOSTNAME TAG[pid]: MSG with a space-padded day", () => {
    const line = formatRfc3164(msg({ procId: "1234" }));
    expect(line).toBe("<134>Mar  5 07:08:09 fw1 portcullis[1234]: hello");
    const m = RFC3164.exec(line)!;
    expect(m.slice(1, 11)).toEqual(["134", "Mar", " 5", "07", "08", "09", "fw1", "portcullis", "1234", "hello"]);
    expect(formatRfc3164(msg({ time: new Date(Date.UTC(2024, 11, 25, 23, 0, 1)) }))).toBe(
      "<134>Dec 25 23:00:01 fw1 portcullis: hello",
    );
  });

  it("always has a TAG and drops structured data", () => {
    expect(formatRfc3164(msg({ appName: "", severity: 3, structuredData: { "a@1": { k: "v" } } }))).toBe(
      "<131>Mar  5 07:08:09 fw1 portcullis: hello",
    );
    expect(formatRfc3164(msg({ appName: "port cullis!" }))).toBe("<134>Mar  5 07:08:09 fw1 portcullis: hello");
  });

  it("renders wall-clock time of a given time zone (UTC by default)", () => {
    const m = msg({ time: new Date(Date.UTC(2024, 0, 5, 3, 4, 5)) });
    expect(formatRfc3164(m)).toBe("<134>Jan  5 03:04:05 fw1 portcullis: hello");
    expect(formatRfc3164(m, { timeZone: "America/New_York" })).toBe("<134>Jan  4 22:04:05 fw1 portcullis: hello");
    expect(formatRfc3164(m, { timeZone: "Asia/Kolkata" })).toBe("<134>Jan  5 08:34:05 fw1 portcullis: hello");
    // midnight must be 00, not 24
    expect(formatRfc3164(msg({ time: new Date(Date.UTC(2024, 6, 1, 4, 0, 0)) }), { timeZone: "America/New_York" })).toBe(
      "<134>Jul  1 00:00:00 fw1 portcullis: hello",
    );
  });
});

describe("formatPacketEvent", () => {
  it("formats a TCP/IPv4 event as one greppable line and the same fields as SD", () => {
    const { text, sd } = formatPacketEvent(tcpEvent);
    expect(text).toBe(
      "filter=inbound rule=10 action=deny proto=tcp src=203.0.113.9:4711 dst=192.168.0.10:23 in=ether1 len=60 (rules.cfg:12)",
    );
    expect(sd).toEqual({
      "portcullis@32473": {
        event: "log",
        filter: "inbound",
        rule: "10",
        idx: "3",
        file: "rules.cfg",
        line: "12",
        action: "deny",
        proto: "tcp",
        src: "203.0.113.9",
        sport: "4711",
        dst: "192.168.0.10",
        dport: "23",
        in: "ether1",
        len: "60",
      },
    });
    expect(formatRfc5424(msg({ structuredData: sd, text }))).toBe(
      "<134>1 2024-03-05T07:08:09.012Z fw1 portcullis - - " +
        '[portcullis@32473 event="log" filter="inbound" rule="10" idx="3" file="rules.cfg" line="12" action="deny" ' +
        'proto="tcp" src="203.0.113.9" sport="4711" dst="192.168.0.10" dport="23" in="ether1" len="60"] ' +
        text,
    );
  });

  it("brackets IPv6 addresses only when a port follows", () => {
    const { text, sd } = formatPacketEvent({
      ...tcpEvent,
      kind: "notify",
      ruleset: "v6",
      proto: 17,
      src: "2001:db8::1",
      dst: "2001:db8::2",
      sport: 53,
      dport: 5353,
      iface: undefined,
      length: 80,
    });
    expect(text).toBe("filter=v6 rule=10 action=deny proto=udp src=[2001:db8::1]:53 dst=[2001:db8::2]:5353 len=80 (rules.cfg:12)");
    expect(sd["portcullis@32473"]).toMatchObject({ event: "notify", src: "2001:db8::1", sport: "53", dst: "2001:db8::2" });
    expect(sd["portcullis@32473"]).not.toHaveProperty("in");

    const icmp6 = formatPacketEvent({
      ...tcpEvent,
      proto: 58,
      src: "fe80::1",
      dst: "ff02::1",
      sport: undefined,
      dport: undefined,
      icmpType: 135,
      icmpCode: 0,
    });
    expect(icmp6.text).toBe("filter=inbound rule=10 action=deny proto=icmp6 src=fe80::1 dst=ff02::1 type=135 code=0 in=ether1 len=60 (rules.cfg:12)");
  });

  it("handles ICMP, a missing rule number, protocol names and numbers, and odd filter names", () => {
    const { text, sd } = formatPacketEvent({
      ...tcpEvent,
      rule: null,
      action: "permit",
      proto: 1,
      sport: undefined,
      dport: undefined,
      icmpType: 8,
      icmpCode: 0,
      length: 84,
    });
    expect(text).toBe("filter=inbound rule=- action=permit proto=icmp src=203.0.113.9 dst=192.168.0.10 type=8 code=0 in=ether1 len=84 (rules.cfg:12)");
    expect(sd["portcullis@32473"]).not.toHaveProperty("rule");
    expect(sd["portcullis@32473"]).toMatchObject({ idx: "3", type: "8", code: "0", proto: "icmp" });

    const names: Record<number, string> = { 1: "icmp", 4: "ipip", 6: "tcp", 17: "udp", 47: "gre", 50: "esp", 51: "ah", 58: "icmp6", 132: "132", 0: "0" };
    for (const [num, name] of Object.entries(names)) {
      const ev = formatPacketEvent({ ...tcpEvent, proto: Number(num), sport: undefined, dport: undefined });
      expect(ev.text).toContain(` proto=${name} src=203.0.113.9 dst=192.168.0.10 `);
      expect(ev.sd["portcullis@32473"].proto).toBe(name);
    }

    expect(formatPacketEvent({ ...tcpEvent, ruleset: 'my "dmz" in' }).text).toMatch(/^filter="my \\"dmz\\" in" rule=10 /);
  });
});

describe("TokenBucket", () => {
  it("allows a burst, then refills at the configured rate up to the burst size", () => {
    const b = new TokenBucket(2, 3);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(499)).toBe(false);
    expect(b.take(500)).toBe(true);
    expect(b.take(500)).toBe(false);
    // a long idle period refills to the burst, not beyond
    let ok = 0;
    for (let i = 0; i < 10; i++) if (b.take(100_000)) ok++;
    expect(ok).toBe(3);
    // a clock going backwards never refills
    expect(b.take(50_000)).toBe(false);
    expect(b.take(100_499)).toBe(false);
    expect(b.take(100_500)).toBe(true);
  });

  it("gives exactly rate * seconds tokens without rounding loss and rejects bad parameters", () => {
    const b = new TokenBucket(20, 1);
    let ok = 0;
    for (let t = 0; t <= 10_000; t += 50) if (b.take(t)) ok++;
    expect(ok).toBe(201);
    expect(() => new TokenBucket(-1, 1)).toThrow(RangeError);
    expect(() => new TokenBucket(1, 0)).toThrow(RangeError);
    expect(() => new TokenBucket(NaN, 5)).toThrow(RangeError);
  });
});

describe("SyslogSender over UDP", () => {
  it("delivers an RFC 5424 packet event to a real receiver", async () => {
    const rx = await receiver();
    const s = track(new SyslogSender({ host: "127.0.0.1", port: rx.port, hostname: "fw1", procId: "77", clock: () => T0 }));
    const { text, sd } = formatPacketEvent(tcpEvent);
    expect(s.send(4, text, sd)).toBe(true);
    const [line] = await rx.waitFor(1);
    const m = RFC5424.exec(line)!;
    expect(m).not.toBeNull();
    expect(m.slice(1, 7)).toEqual(["132", "2024-03-05T07:08:09.012Z", "fw1", "portcullis", "77", "-"]);
    expect(m[7]).toMatch(/^\[portcullis@32473 event="log" filter="inbound" rule="10" idx="3" .* len="60"\]$/);
    expect(m[8]).toBe(text);
    expect(s.stats).toEqual({ sent: 1, suppressed: 0, errors: 0 });
  });

  it("delivers RFC 3164 with the TAG and pid", async () => {
    const rx = await receiver();
    const s = track(
      new SyslogSender({ host: "127.0.0.1", port: rx.port, format: "rfc3164", hostname: "fw1", facility: 4, clock: () => T0 }),
    );
    expect(s.send(2, "disk on fire", { "a@1": { k: "v" } })).toBe(true);
    const [line] = await rx.waitFor(1);
    expect(line).toBe(`<34>Mar  5 07:08:09 fw1 portcullis[${process.pid}]: disk on fire`);
    expect(RFC3164.test(line)).toBe(true);
  });

  it("rate-limits: 100 at once with burst 10 lets exactly 10 through; the suppressed count precedes the next passing message", async () => {
    const rx = await receiver();
    let now = T0;
    const s = track(
      new SyslogSender({ host: "127.0.0.1", port: rx.port, hostname: "fw1", ratePerSec: 1, burst: 10, clock: () => now }),
    );
    const results: boolean[] = [];
    for (let i = 0; i < 100; i++) results.push(s.send(6, `msg ${i}`));
    expect(results.filter(Boolean).length).toBe(10);
    expect(results.slice(0, 10).every(Boolean)).toBe(true);
    expect(s.stats).toEqual({ sent: 10, suppressed: 90, errors: 0 });

    await rx.waitFor(10);
    await settle();
    expect(rx.messages.length).toBe(10);
    expect(rx.messages.map((l) => RFC5424.exec(l)![8])).toEqual(Array.from({ length: 10 }, (_, i) => `msg ${i}`));

    now += 999;
    expect(s.send(6, "still too early")).toBe(false);
    now += 1; // one token has refilled
    expect(s.send(6, "after")).toBe(true);
    const lines = await rx.waitFor(12);
    await settle();
    expect(lines.length).toBe(12);
    const notice = RFC5424.exec(lines[10])!;
    expect(notice[1]).toBe(String(16 * 8 + 5)); // local0.notice
    expect(notice[7]).toBe('[portcullis@32473 suppressed="91"]');
    expect(notice[8]).toBe("91 messages suppressed");
    expect(RFC5424.exec(lines[11])![8]).toBe("after");
    expect(s.stats).toEqual({ sent: 12, suppressed: 91, errors: 0 });
  });

  it("reports exactly the count in the notice (90 suppressed at one instant)", async () => {
    const rx = await receiver();
    let now = 0;
    const s = track(new SyslogSender({ host: "127.0.0.1", port: rx.port, ratePerSec: 1, burst: 10, clock: () => now }));
    for (let i = 0; i < 100; i++) s.send(6, `m${i}`);
    now = 1000;
    expect(s.send(6, "next")).toBe(true);
    const lines = await rx.waitFor(12);
    expect(lines[10]).toMatch(/ 90 messages suppressed$/);
    expect(lines[11]).toMatch(/ next$/);
  });

  it("sends a pending notice on flushSuppressed and on close, once", async () => {
    const rx = await receiver();
    const s = track(new SyslogSender({ host: "127.0.0.1", port: rx.port, ratePerSec: 1, burst: 2, clock: () => 0 }));
    for (let i = 0; i < 5; i++) s.send(6, `m${i}`);
    s.flushSuppressed();
    s.flushSuppressed();
    expect(s.pending).toBe(0);
    s.send(6, "dropped");
    await s.close();
    await s.close(); // idempotent
    const lines = await rx.waitFor(4);
    await settle();
    expect(lines.length).toBe(4);
    expect(lines.slice(2).map((l) => RFC5424.exec(l)![8])).toEqual(["3 messages suppressed", "1 messages suppressed"]);
    // after close nothing is sent and nothing throws
    expect(s.send(6, "late")).toBe(false);
    expect(s.stats).toEqual({ sent: 4, suppressed: 4, errors: 1 });
  });

  it("delivers over IPv6 loopback ::1", async (ctx) => {
    const why = await ipv6LoopbackUnavailable();
    if (why) ctx.skip(why);
    const rx = await receiver("::1");
    const s = track(new SyslogSender({ host: "::1", port: rx.port, hostname: "fw1", clock: () => T0 }));
    expect(s.send(6, "over v6")).toBe(true);
    const [line] = await rx.waitFor(1);
    expect(line).toMatch(/^<134>1 2024-03-05T07:08:09\.012Z fw1 portcullis \d+ - - over v6$/);
  });

  it("never throws on an unreachable port or an oversized datagram; errors are counted", async () => {
    // find a closed port: bind, read the port, close
    const probe = dgram.createSocket("udp4");
    await new Promise<void>((r) => probe.bind(0, "127.0.0.1", () => r()));
    const deadPort = probe.address().port;
    await new Promise<void>((r) => probe.close(() => r()));

    const s = track(new SyslogSender({ host: "127.0.0.1", port: deadPort, clock: () => 0 }));
    const results: boolean[] = [];
    expect(() => {
      for (let i = 0; i < 5; i++) results.push(s.send(3, `nobody home ${i}`));
    }).not.toThrow();
    expect(results).toEqual([true, true, true, true, true]);
    await settle(); // any ICMP port-unreachable reaches the socket now
    await expect(s.close()).resolves.toBeUndefined();
    expect(s.stats.sent).toBe(5);

    // 66000 bytes exceeds the IPv4 UDP maximum: EMSGSIZE must be caught and counted
    const rx = await receiver();
    const big = track(new SyslogSender({ host: "127.0.0.1", port: rx.port, maxBytes: 70_000, clock: () => 0 }));
    expect(() => big.send(6, "x".repeat(66_000))).not.toThrow();
    expect(big.send(6, "small")).toBe(true);
    await big.close();
    expect(big.stats.errors).toBe(1);
    const lines = await rx.waitFor(1);
    await settle();
    expect(lines.length).toBe(1);
    expect(lines[0]).toMatch(/ small$/);
  });

  it("cuts datagrams to maxBytes without splitting a UTF-8 character", async () => {
    const rx = await receiver();
    const s = track(new SyslogSender({ host: "127.0.0.1", port: rx.port, hostname: "h", procId: "", maxBytes: 64, clock: () => T0 }));
    s.send(6, "ä".repeat(100));
    const [line] = await rx.waitFor(1);
    const prefix = "<134>1 2024-03-05T07:08:09.012Z h portcullis - - - ";
    expect(line.startsWith(prefix)).toBe(true);
    // 51-byte header + 6 whole 2-byte characters = 63; the 7th would end at byte 65
    expect(Buffer.byteLength(prefix)).toBe(51);
    expect(Buffer.byteLength(line)).toBe(63);
    expect(line.slice(prefix.length)).toBe("ä".repeat(6));
  });
});

describe("SyslogNotifier", () => {
  it("sends to the given destination and rejects host names (no DNS on packet data)", async () => {
    const rx = await receiver();
    const n = track(new SyslogNotifier({ hostname: "fw1", clock: () => T0 }));
    const { text, sd } = formatPacketEvent({ ...tcpEvent, kind: "notify" });
    expect(n.sendTo("127.0.0.1", rx.port, 4, text, sd)).toBe(true);
    expect(n.sendTo("localhost", rx.port, 4, text, sd)).toBe(false);
    expect(n.sendTo("127.0.0.1", 0, 4, text, sd)).toBe(false);
    const [line] = await rx.waitFor(1);
    expect(RFC5424.exec(line)![8]).toBe(text);
    expect(line).toContain('[portcullis@32473 event="notify" ');
    await settle();
    expect(rx.messages.length).toBe(1);
    expect(n.stats).toEqual({ sent: 1, suppressed: 0, errors: 2 });
  });

  it("limits per destination and precedes the next passing message with that destination's notice", async () => {
    const rx = await receiver();
    let now = 0;
    const n = track(new SyslogNotifier({ ratePerSec: 100, burst: 100, perHostRatePerSec: 1, perHostBurst: 3, clock: () => now }));
    const ok = Array.from({ length: 20 }, (_, i) => n.sendTo("127.0.0.1", rx.port, 5, `n${i}`));
    expect(ok.filter(Boolean).length).toBe(3);
    now = 1000;
    expect(n.sendTo("127.0.0.1", rx.port, 5, "later")).toBe(true);
    const lines = await rx.waitFor(5);
    await settle();
    expect(lines.map((l) => RFC5424.exec(l)![8])).toEqual(["n0", "n1", "n2", "17 messages suppressed", "later"]);
    expect(n.stats).toEqual({ sent: 5, suppressed: 17, errors: 0 });
  });

  it("bounds the total across destinations with one global bucket", async (ctx) => {
    const why = await ipv6LoopbackUnavailable();
    if (why) ctx.skip(`needs two loopback destinations; ${why}`);
    const rx4 = await receiver("127.0.0.1");
    const rx6 = await receiver("::1");
    const n = track(new SyslogNotifier({ ratePerSec: 1, burst: 4, perHostBurst: 100, clock: () => 0 }));
    let passed = 0;
    for (let i = 0; i < 50; i++) {
      if (n.sendTo("127.0.0.1", rx4.port, 6, `v4 ${i}`)) passed++;
      if (n.sendTo("::1", rx6.port, 6, `v6 ${i}`)) passed++;
    }
    expect(passed).toBe(4);
    await rx4.waitFor(2);
    await rx6.waitFor(2);
    // flush spends global tokens: with none left at t=0, no notice goes out
    n.flushSuppressed(0);
    await settle();
    expect(rx4.messages.map((l) => RFC5424.exec(l)![8])).toEqual(["v4 0", "v4 1"]);
    expect(rx6.messages.map((l) => RFC5424.exec(l)![8])).toEqual(["v6 0", "v6 1"]);
    // one token later: exactly one destination receives its pending notice
    n.flushSuppressed(1000);
    await settle();
    expect(rx4.messages.length + rx6.messages.length).toBe(5);
    expect(rx4.messages[2]).toMatch(/ 48 messages suppressed$/);
    expect(n.stats).toEqual({ sent: 5, suppressed: 96, errors: 0 });
  });
});
