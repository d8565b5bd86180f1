// `replay` end to end on the bundled office capture (TCP, UDP, ICMP,
// fragments, IPv6, malformed packets): every verdict and counter, the pass and
// drop captures reading back identically, bad input, and the log messages at
// a real syslog receiver on loopback with the rate limit.
import { describe, it, expect, afterEach } from "vitest";
import { readFileSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createSocket, type Socket } from "node:dgram";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { readCapture, writeCaptureFile } from "../host/pcap/pcap.ts";
import { tcpPacket } from "../host/packet/build.ts";
import { officePackets } from "../examples/make-captures.ts";
import { tempDir } from "./support/tmp.ts";

const CFG = "examples/portmaster/office.cfg";
const APPLIANCE = "examples/portmaster/office.appliance.json";
const PCAP = "examples/portmaster/office.pcap";

async function run(args: string[]) {
  const io = bufferIO();
  const code = await main(args, io);
  return { code, out: io.stdout, err: io.stderr };
}

const tmp = tempDir("portcullis-replay-");
const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.close();
});

const EXPECTED_VERDICTS = [
  "permit", "permit", "permit", "permit", "permit", "permit", // web connection
  "permit", "permit", "permit", "permit", // DNS and ping with replies
  "permit", "deny", // inbound mail; telnet probe
  "permit", "deny", // mail server sends; a PC tries to
  "deny", "deny", // NetBIOS out; POP3 probe
  "permit", "permit", // fragmented DNS reply: first and later fragment
  "deny", // IPv6 ping: default of a non-empty filter
  "deny", "deny", // malformed
];

describe("replay", () => {
  it("the bundled capture is what the generator writes", () => {
    const cap = readCapture(new Uint8Array(readFileSync(PCAP)));
    expect(cap.error).toBeNull();
    expect(cap.packets.map((p) => Buffer.from(p.data).toString("hex"))).toEqual(officePackets().map((p) => Buffer.from(p.data).toString("hex")));
  });

  it("gives every verdict, reason and counter, and writes pass/drop captures that read back identically", async () => {
    const pass = join(tmp, "pass.pcap"), drop = join(tmp, "drop.pcap");
    const r = await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", PCAP, "--pass", pass, "--drop", drop, "--json", "--loghost", "127.0.0.1:9"]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.verdicts).toEqual(EXPECTED_VERDICTS);
    expect({ packets: j.packets, permitted: j.permitted, denied: j.denied, malformed: j.malformed }).toEqual({ packets: 21, permitted: 14, denied: 7, malformed: 2 });
    expect(j.reasons.slice(-2)).toEqual(["malformed: bad-total-length", "malformed: tiny-fragment"]);
    const byLine = Object.fromEntries(j.rules.map((x: any) => [x.line, x.packets]));
    // office.cfg line -> packets: inbound 10 established (2), 20 DNS (3 incl. both fragments),
    // 30 echo reply (1), 40 unreachable (0), 50 mail (1), 60 deny log (2); outbound 10 (1), 20 (1), 30 (1), 40 (6), 50 (0).
    expect(byLine).toEqual({ 7: 2, 8: 3, 9: 1, 10: 0, 11: 1, 12: 2, 18: 1, 19: 0, 20: 0, 21: 0, 22: 1, 23: 1, 24: 6, 25: 0 });
    expect(j.defaults).toEqual([{ ruleset: "inbound", packets: 1, bytes: 62 }, { ruleset: "outbound", packets: 0, bytes: 0 }]);
    expect(j.logs.length).toBe(4);
    expect(j.unreachables).toBe(5);
    const original = readCapture(new Uint8Array(readFileSync(PCAP))).packets;
    const passed = readCapture(new Uint8Array(readFileSync(pass)));
    const dropped = readCapture(new Uint8Array(readFileSync(drop)));
    expect(passed.error).toBeNull();
    expect(dropped.error).toBeNull();
    const pick = (v: string) => original.filter((_, i) => EXPECTED_VERDICTS[i] === v).map((p) => [p.tsNs, Buffer.from(p.data).toString("hex")]);
    expect(passed.packets.map((p) => [p.tsNs, Buffer.from(p.data).toString("hex")])).toEqual(pick("permit"));
    expect(dropped.packets.map((p) => [p.tsNs, Buffer.from(p.data).toString("hex")])).toEqual(pick("deny"));
  });

  it("prints each packet with the deciding rule and its line, and the counters", async () => {
    const r = await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", PCAP, "--loghost", "127.0.0.1:9"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/deny\s+tcp 198\.51\.100\.66:41001 > 192\.168\.1\.10:23 \[S\]\s+ether1->ether0\s+by filter inbound rule 60 \(examples\/portmaster\/office\.cfg:12\)\s+\(icmp unreachable\)/);
    expect(r.out).toMatch(/permit udp 198\.51\.100\.53 > 192\.168\.1\.10 frag=later\s+ether1->ether0\s+by filter inbound rule 20/);
    expect(r.out).toMatch(/summary: 21 packets, 14 permitted, 7 denied \(2 malformed\)/);
    expect(r.out).toMatch(/examples\/portmaster\/office\.cfg:24\s+filter outbound rule 40\s+packets=6 bytes=348/);
  });

  it("a config with errors: exit 1, diagnostics, no verdicts", async () => {
    const bad = join(tmp, "bad.cfg");
    writeFileSync(bad, "add filter f\nset filter f 10 permit 10.0.0.0/33 0.0.0.0/0 ip\nset lan ifilter f\n");
    const r = await run(["replay", bad, "--pcap", PCAP]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/bad\.cfg:2:\d+: error\[PM\d+\]/);
    expect(r.out).toBe("");
  });

  it("a truncated capture: the packets before the damage are processed, then an error names the byte offset", async () => {
    const buf = readFileSync(PCAP);
    const cut = join(tmp, "cut.pcap");
    writeFileSync(cut, buf.subarray(0, buf.length - 20));
    const r = await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", cut, "--json", "--loghost", "127.0.0.1:9"]);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.packets).toBe(20);
    expect(j.verdicts).toEqual(EXPECTED_VERDICTS.slice(0, 20));
    expect(j.error.offset).toBeGreaterThan(24);
    expect(r.err).toMatch(new RegExp(`byte offset ${j.error.offset}.*20 packets before it were processed`));
  });

  it("a file that is not a capture is refused with the offset", async () => {
    const junk = join(tmp, "junk.pcap");
    writeFileSync(junk, "not a capture at all, just text\n");
    const r = await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", junk]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/byte offset 0/);
  });
});

function receiver(): Promise<{ port: number; messages: string[] }> {
  return new Promise((resolve) => {
    const s = createSocket("udp4");
    sockets.push(s);
    const messages: string[] = [];
    s.on("message", (m) => messages.push(m.toString("utf8")));
    s.bind(0, "127.0.0.1", () => resolve({ port: s.address().port, messages }));
  });
}

async function until(cond: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

describe("logging to a syslog receiver", () => {
  it("sends RFC 5424 messages for `log` rules with the filter, rule, action, addresses, ports and line", async () => {
    const rx = await receiver();
    const r = await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", PCAP, "--loghost", `127.0.0.1:${rx.port}`, "-q"]);
    expect(r.code).toBe(0);
    await until(() => rx.messages.length >= 3);
    expect(rx.messages.length).toBe(3);
    const m = rx.messages[0];
    // <PRI>1 TIMESTAMP HOST APP PROCID MSGID [SD] MSG; local0.notice = 16*8+5 = 133
    expect(m).toMatch(/^<133>1 2026-11-23T08:30:02\.750Z \S+ portcullis \S+ - \[portcullis@32473 [^\]]*\] filter=inbound rule=60 action=deny proto=tcp src=198\.51\.100\.66:41001 dst=192\.168\.1\.10:23 in=ether1 len=54 \(examples\/portmaster\/office\.cfg:12\)$/);
    expect(m).toContain('event="log"');
    expect(m).toContain('line="12"');
  });

  it("RFC 3164 on request", async () => {
    const rx = await receiver();
    await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", PCAP, "--loghost", `127.0.0.1:${rx.port}`, "--syslog-format", "rfc3164", "-q"]);
    await until(() => rx.messages.length >= 3);
    expect(rx.messages[0]).toMatch(/^<133>Nov 23 08:30:02 \S+ portcullis\[\d+\]: filter=inbound rule=60 action=deny /);
  });

  it("rate-limits a flood: the burst passes, the rest is counted in a 'suppressed' notice", async () => {
    const rx = await receiver();
    const t0 = BigInt(Date.UTC(2026, 10, 23, 9, 0, 0)) * 1000000n;
    // 200 telnet probes within one second, then one more a minute later.
    const flood = Array.from({ length: 200 }, (_, i) => ({
      tsNs: t0 + BigInt(i) * 1_000_000n,
      data: tcpPacket({ src: "198.51.100.66", dst: "192.168.1.10", sport: 20000 + i, dport: 23, flags: "S" }),
    }));
    flood.push({ tsNs: t0 + 60_000_000_000n, data: tcpPacket({ src: "198.51.100.66", dst: "192.168.1.10", sport: 30000, dport: 23, flags: "S" }) });
    const pcap = join(tmp, "flood.pcap");
    writeCaptureFile(pcap, flood);
    const r = await run(["replay", CFG, "--appliance", APPLIANCE, "--pcap", pcap, "--loghost", `127.0.0.1:${rx.port}`, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).logs.length).toBe(201);
    await until(() => rx.messages.some((m) => m.includes("suppressed")));
    await new Promise((res) => setTimeout(res, 100));
    const notices = rx.messages.filter((m) => /\d+ messages suppressed/.test(m));
    const events = rx.messages.filter((m) => m.includes("filter=inbound"));
    // burst 40 at 20/s: 40 plus the ~4 refilled during the flood's 0.2 s, then the late one.
    expect(events.length).toBeGreaterThanOrEqual(41);
    expect(events.length).toBeLessThanOrEqual(46);
    const suppressed = notices.reduce((n, m) => n + Number(/(\d+) messages suppressed/.exec(m)![1]), 0);
    expect(suppressed + events.length).toBe(201);
  });

  it("notify goes to the packet's source host when asked (--send-notify), on the configured port", async () => {
    const rx = await receiver();
    const cfg = join(tmp, "notify.cfg");
    writeFileSync(cfg, "add filter out\nset filter out 10 deny 127.0.0.0/8 0.0.0.0/0 tcp dst eq 25 notify\nset filter out 20 permit\nset wan ofilter out\n");
    const appliance = join(tmp, "loop.appliance.json");
    writeFileSync(appliance, JSON.stringify({ interfaces: [{ name: "lan", role: "private", addresses: ["127.0.0.254/8"] }, { name: "wan", role: "public", addresses: ["198.51.100.1/24"] }] }));
    const pcap = join(tmp, "notify.pcap");
    writeCaptureFile(pcap, [
      { tsNs: 1_800_000_000_000_000_000n, data: tcpPacket({ src: "127.0.0.1", dst: "198.51.100.25", sport: 40000, dport: 25, flags: "S" }) },
      { tsNs: 1_800_000_000_100_000_000n, data: tcpPacket({ src: "127.0.0.1", dst: "198.51.100.25", sport: 40001, dport: 80, flags: "S" }) },
    ]);
    const quiet = await run(["replay", cfg, "--appliance", appliance, "--pcap", pcap, "--json"]);
    expect(JSON.parse(quiet.out).logs).toEqual([expect.stringMatching(/^notify 127\.0\.0\.1: filter=out rule=10 action=deny proto=tcp src=127\.0\.0\.1:40000 dst=198\.51\.100\.25:25/)]);
    await new Promise((r) => setTimeout(r, 100));
    expect(rx.messages).toEqual([]); // without --send-notify nothing is sent
    const r = await run(["replay", cfg, "--appliance", appliance, "--pcap", pcap, "--send-notify", "--notify-port", String(rx.port), "-q"]);
    expect(r.code).toBe(0);
    await until(() => rx.messages.length >= 1);
    expect(rx.messages.length).toBe(1);
    expect(rx.messages[0]).toMatch(/^<133>1 \S+ \S+ portcullis \S+ - \[portcullis@32473 event="notify" filter="out" rule="10"[^\]]*\] filter=out rule=10 action=deny proto=tcp src=127\.0\.0\.1:40000 dst=198\.51\.100\.25:25 in=lan len=54/);
  });
});
