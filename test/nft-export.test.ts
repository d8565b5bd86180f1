// `export --to nft`: what it writes, what it refuses (located errors), and
// that every example and fixture configuration either loads into the kernel
// (`nft -c -f` in a scratch namespace) or fails with a located error.
import { describe, it, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { main } from "../host/cli/main.ts";
import { bufferIO } from "../host/cli/io.ts";
import { writeCaptureFile } from "../host/pcap/pcap.ts";
import { tcpPacket, udpPacket } from "../host/packet/build.ts";
import { noKernel, kernelWhyNot } from "./support/kernel.ts";

async function cli(...argv: string[]) {
  const io = bufferIO();
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

function withTmp<T>(f: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), "pc-export-"));
  return f(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

const LOCATED = /^\S+:\d+:\d+: error\[[A-Z0-9]+\]: \S/m;

describe("export --to nft", () => {
  it("needs --to nft (exit 2 otherwise)", async () => {
    expect((await cli("export", "examples/portmaster/office.cfg")).code).toBe(2);
    const r = await cli("export", "--to", "iptables", "examples/portmaster/office.cfg");
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/only nft/);
  });

  it("refuses notify with an error naming the rule; --lossy makes it a warning and a comment", async () => {
    const app = ["--appliance", "examples/portmaster/office.appliance.json"];
    const r = await cli("export", "--to", "nft", "examples/portmaster/office.cfg", ...app);
    expect(r.code).toBe(1);
    expect(r.out).toBe("");
    expect(r.err).toMatch(/^examples\/portmaster\/office\.cfg:23:1: error\[EXP001\]: filter outbound rule 30: `notify`/m);
    const l = await cli("export", "--to", "nft", "examples/portmaster/office.cfg", ...app, "--lossy");
    expect(l.code).toBe(0);
    expect(l.err).toMatch(/office\.cfg:23:1: warning\[EXP001\]/);
    expect(l.out).toMatch(/# LOSSY \(EXP001\)/);
  });

  it("writes the table, per-interface dispatch, counters, log prefixes with file:line, provenance comments", async () => {
    const r = await cli("export", "--to", "nft", "examples/portmaster/office.cfg", "--appliance", "examples/portmaster/office.appliance.json", "--lossy");
    const t = r.out;
    expect(t).toMatch(/^table inet portcullis\ndelete table inet portcullis\ntable inet portcullis \{/m);
    expect(t).toMatch(/type filter hook forward priority filter; policy accept;/);
    expect(t).toMatch(/iifname "ether1" jump rs0_inbound/);
    expect(t).toMatch(/oifname "ether1" jump rs1_outbound/);
    expect(t).toMatch(/ip daddr 192\.168\.1\.25 meta l4proto 6 th dport 25 counter return comment "examples\/portmaster\/office\.cfg:11 filter inbound rule 50: /);
    expect(t).toMatch(/log prefix "portcullis filter inbound rule 60 examples\/portmaster\/office\.cfg:12: "/);
    expect(t).toMatch(/# examples\/portmaster\/office\.cfg:25 filter outbound rule 50: set filter outbound 50 deny log/);
    // PortMaster answers a denied packet with an ICMP unreachable: so does the export, rate-limited as Portcullis.
    expect(t).toMatch(/limit rate 10\/second burst 20 packets reject with icmpx type admin-prohibited/);
    // Every rule line has a counter.
    for (const line of t.split("\n").filter((l) => /^\t\t[^#].*(return|drop|goto pc_deny_unreachable) comment/.test(l) && !l.includes("pc_"))) expect(line).toMatch(/\bcounter\b/);
  });

  it("cuts a long log prefix to nft's 127 bytes from the left of the file name, keeping the line", async () => {
    await withTmp(async (dir) => {
      const deep = join(dir, "a-very-long-directory-name-".repeat(4));
      const { mkdirSync } = await import("node:fs");
      mkdirSync(deep, { recursive: true });
      const cfg = join(deep, "filters-for-the-branch-office-with-a-long-name.cfg");
      writeFileSync(cfg, "add filter wan.in\nset filter wan.in 10 deny 0.0.0.0/0 0.0.0.0/0 tcp dst eq 23 log\nset wan ifilter wan.in\n");
      const r = await cli("export", "--to", "nft", cfg);
      expect(r.code).toBe(0);
      const prefix = /log prefix "([^"]*)"/.exec(r.out)![1];
      expect(prefix.length).toBeLessThanOrEqual(127);
      expect(prefix).toMatch(/^portcullis filter wan\.in rule 10 \.\.\..*long-name\.cfg:2: $/);
    });
  });

  it("--map renames interfaces; an unknown NAME or a clash is a usage error", async () => {
    const app = ["--appliance", "examples/portmaster/office.appliance.json", "--lossy"];
    const r = await cli("export", "--to", "nft", "examples/portmaster/office.cfg", ...app, "--map", "ether1=eth1", "--map", "ether0=br-lan");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/iifname "eth1" jump rs0_inbound/);
    expect(r.out).not.toMatch(/"ether1"/);
    expect((await cli("export", "--to", "nft", "examples/portmaster/office.cfg", ...app, "--map", "ether9=eth1")).code).toBe(2);
    expect((await cli("export", "--to", "nft", "examples/portmaster/office.cfg", ...app, "--map", "ether0=ether1")).code).toBe(2);
  });

  it("a day-of-month window is a located error (EXP002); a time window outside UTC is one too (EXP003)", async () => {
    await withTmp(async (dir) => {
      const reg = join(dir, "days.reg");
      writeFileSync(reg, [
        "REGEDIT4", "", "[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\FirstOfMonth]",
        "\"Mask\"=dword:224", "\"Flags\"=dword:a", "\"PrivateHost\"=hex:02,00", "\"Protocol\"=dword:6", "\"Port\"=dword:50", "\"Day\"=dword:1", "",
      ].join("\r\n"));
      const r = await cli("export", "--to", "nft", reg);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(new RegExp(`^${reg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:3:1: error\\[EXP002\\]: FirstOfMonth: a day-of-month or month window`, "m"));
      const app = join(dir, "berlin.json");
      writeFileSync(app, JSON.stringify({ interfaces: [{ name: "lan", role: "private", addresses: ["192.168.0.1/24"] }, { name: "wan", role: "public", addresses: ["10.0.0.1/24"] }], timezone: "Europe/Berlin" }));
      writeFileSync(reg, readFileSync(reg, "utf8").replace("\"Mask\"=dword:224", "\"Mask\"=dword:1a4").replace("\"Day\"=dword:1", "\"HourStart\"=dword:8\r\n\"HourEnd\"=dword:11\r\n\"DayOfWeek\"=dword:3e"));
      const z = await cli("export", "--to", "nft", reg, "--appliance", app);
      expect(z.code).toBe(1);
      expect(z.err).toMatch(/:3:1: error\[EXP003\]: FirstOfMonth: a time window in the appliance's zone Europe\/Berlin/);
      const u = await cli("export", "--to", "nft", reg);
      expect(u.code).toBe(0);
      expect(u.out).toMatch(/meta hour "08:00:00"-"16:59:59" meta day \{ "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" \}/);
    });
  });

  it("a long run of host rules becomes one set lookup, keeping its place in the chain", async () => {
    await withTmp(async (dir) => {
      const cfg = join(dir, "hosts.cfg");
      const lines = ["add filter wan.in"];
      for (let i = 1; i <= 20; i++) lines.push(`set filter wan.in ${i} deny 198.51.100.${i}/32 0.0.0.0/0 tcp dst eq 22`);
      lines.push("set filter wan.in 100 permit 0.0.0.0/0 0.0.0.0/0 tcp dst eq 22", "set filter wan.in 110 deny 198.51.100.200/32 0.0.0.0/0", "set wan ifilter wan.in");
      writeFileSync(cfg, lines.join("\n") + "\n");
      const r = await cli("export", "--to", "nft", cfg);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/ip saddr \{ 198\.51\.100\.1, 198\.51\.100\.2, .*198\.51\.100\.20 \} meta l4proto 6 th dport 22 counter goto pc_deny_unreachable comment ".*hosts\.cfg:2-21: 20 rules as one set"/);
      if (noKernel) return;
      const nft = join(dir, "hosts.nft");
      writeFileSync(nft, r.out);
      const pcap = join(dir, "hosts.pcap");
      const pk: Uint8Array[] = [];
      for (const i of [1, 7, 20, 21, 200]) {
        pk.push(tcpPacket({ src: `198.51.100.${i}`, dst: "192.168.0.10", sport: 40000 + i, dport: 22, flags: "S" }));
        pk.push(udpPacket({ src: `198.51.100.${i}`, dst: "192.168.0.10", sport: 40000 + i, dport: 22 }));
      }
      writeCaptureFile(pcap, pk.map((data, i) => ({ tsNs: BigInt(i) * 1_000_000n, data })));
      const v = await cli("verify", "--nft", nft, cfg, "--pcap", pcap, "--json");
      const j = JSON.parse(v.out);
      expect({ code: v.code, differ: j.differ, compared: j.compared }).toEqual({ code: 0, differ: 0, compared: 10 });
    });
  });
});

describe("a long ruleset split into address buckets", () => {
  it("acl1_1k: a vmap on the destination's top 16 bits, each bucket chain in rule order; loads with nft -c", async () => {
    const { readClassBenchRules } = await import("../host/classbench/classbench.ts");
    const { parseAppliance } = await import("../host/model/appliance.ts");
    const { exportNft } = await import("../host/export/nft/index.ts");
    const { policy } = readClassBenchRules("../shared/classbench/acl1_1k");
    const a = parseAppliance({ interfaces: [{ name: "cb0", role: "public" }, { name: "cbout", role: "private" }] }, "test");
    const text = exportNft(policy, a).text!;
    expect(text).toMatch(/\tip daddr vmap \{ [0-9./]+\/16 : goto rs0_classbench_b0, /);
    expect(text).toMatch(/\tmeta nfproto ipv4 goto rs0_classbench_brest/);
    // Within a bucket chain the rules keep their order.
    const b0 = text.slice(text.indexOf("chain rs0_classbench_b0 {"), text.indexOf("}", text.indexOf("chain rs0_classbench_b0 {")));
    const lines = [...b0.matchAll(/comment "[^"]*acl1_1k:(\d+) /g)].map((m) => Number(m[1]));
    expect(lines.length).toBeGreaterThan(1);
    expect(lines).toEqual([...lines].sort((x, y) => x - y));
    if (noKernel) return;
    await withTmp(async (dir) => {
      const ns = `pcb${process.pid}`;
      writeFileSync(join(dir, "acl1.nft"), text);
      execFileSync("ip", ["netns", "add", ns]);
      try {
        execFileSync("ip", ["netns", "exec", ns, "nft", "-c", "-f", join(dir, "acl1.nft")], { stdio: ["ignore", "pipe", "pipe"] });
      } finally {
        execFileSync("ip", ["netns", "del", ns]);
      }
    });
  });
});

/** Every configuration the project ships: examples, lab, fixtures, golden inputs. */
function configs(): { file: string; args: string[] }[] {
  const out: { file: string; args: string[] }[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) { walk(p); continue; }
      if (!/\.(cfg|pm|reg|ig|winfw|txt|json)$/.test(f) || /\.appliance\.json$/.test(f)) continue;
      if (p.startsWith("test/golden/wince/") && f.endsWith(".json") && !readFileSync(p, "utf8").includes("dwFlags")) continue;
      const stem = join(dirname(p), basename(f).replace(/\.[^.]+$/, ""));
      const args: string[] = [];
      if (existsSync(stem + ".appliance.json")) args.push("--appliance", stem + ".appliance.json");
      else if (existsSync(join(dirname(p), "office.appliance.json")) && dirname(p).startsWith("test/golden")) args.push("--appliance", join(dirname(p), "office.appliance.json"));
      if (existsSync(stem + ".args")) args.push(...readFileSync(stem + ".args", "utf8").split(/\s+/).filter(Boolean));
      out.push({ file: p, args });
    }
  };
  for (const d of ["examples", "lab/configs", "test/fixtures", "test/golden"]) if (existsSync(d)) walk(d);
  return out;
}

describe("export on every example and fixture configuration", () => {
  const all = configs();
  it("finds them", () => expect(all.length).toBeGreaterThan(20));

  it(`writes a script or fails with a located error; every script passes nft -c in a namespace${kernelWhyNot ? ` (nft -c skipped: ${kernelWhyNot})` : ""}`, async () => {
    await withTmp(async (dir) => {
      const scripts: { file: string; nft: string }[] = [];
      const failures: string[] = [];
      for (const c of all) {
        const r = await cli("export", "--to", "nft", c.file, ...c.args);
        if (r.code === 0) {
          const nft = join(dir, `${scripts.length}.nft`);
          writeFileSync(nft, r.out);
          scripts.push({ file: c.file, nft });
        } else if (r.code !== 1 || !LOCATED.test(r.err)) {
          failures.push(`${c.file}: exit ${r.code} without a located error: ${r.err.slice(0, 200)}`);
        }
      }
      expect(failures).toEqual([]);
      expect(scripts.length).toBeGreaterThan(10);
      if (noKernel) return;
      const ns = `pcx${process.pid}`;
      execFileSync("ip", ["netns", "add", ns]);
      try {
        const bad: string[] = [];
        for (const s of scripts) {
          try {
            execFileSync("ip", ["netns", "exec", ns, "nft", "-c", "-f", s.nft], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, TZ: "UTC" } });
          } catch (e) {
            bad.push(`${s.file}: ${(e as { stderr?: Buffer }).stderr?.toString().slice(0, 300)}`);
          }
        }
        expect(bad).toEqual([]);
      } finally {
        execFileSync("ip", ["netns", "del", ns]);
      }
    });
  }, 120_000);
});
