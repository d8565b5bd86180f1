// The resident memory of the real appliance process (issue 13): starts
// `node bin/portcullis.js run CONFIG --port ...` on loopback (its ports'
// peers are a sink socket that reads nothing back), waits until it runs and
// has been idle a while, and reads VmRSS and VmHWM from /proc/PID/status.
// With `fill`, it first drives distinct UDP flows through the bridge (LAN to
// WAN, one Ethernet frame per UDP datagram, as a TAP relay sends them) until
// the connection table is full (its figures come from the control socket),
// then measures. Used by bench/lean-host.bench.ts and test/memory.test.ts.
//   node --import tsx bench/appliance-rss.ts idle|full [RUNS]
import { spawn, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { udpPacket } from "../host/packet/build.ts";
import { request } from "../host/runtime/control.ts";
import { classBenchPortMaster } from "./classbench-portmaster.ts";
import { classBenchDir } from "./data-dir.ts";

export const ROOT = process.env.PORTCULLIS_ROOT ?? fileURLToPath(new URL("..", import.meta.url));

export interface RssFigure {
  rssKb: number; // VmRSS
  hwmKb: number; // VmHWM: the peak, loading included
  anonKb: number; // RssAnon: the process's own memory (the rest is the node binary's pages and other files)
  flows: number; // connections tracked when measured
  /** With `reloads`: the reading before them (the figure itself is after them). */
  beforeReloads?: { rssKb: number; hwmKb: number; anonKb: number };
  status: Record<string, any>; // the appliance's own figures (memory.heapUsed, memory.wasm, ...)
}

/** ClassBench acl1_10k as PortMaster `set filter` lines (9,774 rules, stateless): the idle figure's configuration. */
export function classBenchConfig(dir: string, set = "acl1_10k"): string {
  const path = join(dir, `${set}.pm`);
  writeFileSync(path, classBenchPortMaster(join(classBenchDir(), set)).old);
  return path;
}

/**
 * RULES Windows CE block rules for hosts that send nothing (every packet is
 * checked against all of them; the dialect is stateful, so every permitted
 * outbound flow is tracked): the full-table figure's configuration, as
 * bench/appliance-memory.ts made it.
 */
export function winceConfig(dir: string, rules = 10000): string {
  const hex = (i: number) => [172, 16 + ((i >> 16) & 15), (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(",");
  const keys: string[] = ["Windows Registry Editor Version 5.00", ""];
  for (let i = 1; i <= rules; i++) {
    keys.push(`[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\Block${i}]`, `"Mask"=dword:25`, `"Flags"=dword:11`,
      `"PrivateHost"=hex:02,00,00,00,${hex(i)}`, `"Protocol"=dword:6`, `"Port"=dword:${(1 + (i % 1000)).toString(16)}`, "");
  }
  const path = join(dir, "wince-10k.reg");
  writeFileSync(path, keys.join("\n"));
  return path;
}

export function procStatus(pid: number): { rssKb: number; hwmKb: number; anonKb: number } {
  const s = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, "m").exec(s)?.[1] ?? NaN);
  return { rssKb: kb("VmRSS"), hwmKb: kb("VmHWM"), anonKb: kb("RssAnon") };
}

async function freePort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const p = s.address().port;
  s.close();
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface RssOptions {
  config: string;
  /** Fill the connection table with this many distinct flows first (0: measure idle). */
  fill?: number;
  /** Quiet time before the reading, after the start (or the fill). */
  settleMs?: number;
  /** Extra node options (e.g. V8 flags, to compare). */
  nodeArgs?: string[];
  /** Extra `run` options. */
  runArgs?: string[];
  /** Reload the configuration this many times (control socket) before the reading; the reading before them is kept too. */
  reloads?: number;
}

/** One appliance process, measured once. Everything it makes is removed, also on failure. */
export async function measureRss(o: RssOptions): Promise<RssFigure> {
  const dir = mkdtempSync(join(tmpdir(), "pc-rss-"));
  // The LAN port's peer (the frames come from it: a port takes datagrams from its peer only) and the WAN port's (a sink).
  const peerL = dgram.createSocket("udp4"), sink = dgram.createSocket("udp4");
  let child: ChildProcess | null = null;
  try {
    await new Promise<void>((r) => sink.bind(0, "127.0.0.1", r));
    await new Promise<void>((r) => peerL.bind(0, "127.0.0.1", r));
    const sp = sink.address().port, lp = peerL.address().port;
    const lan = await freePort(), wan = await freePort();
    const socket = join(dir, "ctl.sock");
    let stderr = "";
    child = spawn(process.execPath, [...(o.nodeArgs ?? []), "bin/portcullis.js", "run", o.config,
      "--port", `lan=127.0.0.1:${lan}/127.0.0.1:${lp}`, "--port", `wan=127.0.0.1:${wan}/127.0.0.1:${sp}`,
      "--socket", socket, "--loghost", "none", "--watch", "0", ...(o.runArgs ?? [])], { cwd: ROOT, stdio: ["ignore", "ignore", "pipe"] });
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (d: string) => { stderr = (stderr + d).slice(-20000); });
    const status = () => request(socket, { cmd: "status", limit: 1 }, 20000);
    for (let t = 0; !/notice: running/.test(stderr); t++) {
      if (child.exitCode !== null || t > 1200) throw new Error(`the appliance did not start: ${stderr.slice(-2000)}`);
      await sleep(50);
    }
    let flows = 0;
    if (o.fill) {
      // Loopback drops datagrams when the appliance falls behind (a busy
      // machine): another pass of new flows (another destination port) tops
      // the table up, up to four passes.
      for (let pass = 0; pass < 4; pass++) {
        // Bursts small enough for loopback's socket buffers; the appliance reads them between bursts.
        for (let k = 0; k < o.fill; k += 64) {
          const sends: Promise<void>[] = [];
          for (let j = k; j < Math.min(o.fill, k + 64); j++) {
            const data = udpPacket({ src: `192.168.0.${1 + Math.floor(j / 60000)}`, dst: "10.0.0.2", sport: 1024 + (j % 60000), dport: 53 + pass, macSrc: "02:00:00:00:01:01", macDst: "02:00:00:00:02:02" });
            sends.push(new Promise((r) => peerL.send(data, lan, "127.0.0.1", () => r())));
          }
          await Promise.all(sends);
          await sleep(2);
        }
        await sleep(500);
        const c = (await status()).connections;
        flows = Number(c?.flows ?? 0);
        if (flows >= Number(c?.capacity ?? Infinity)) break;
      }
    }
    await sleep(o.settleMs ?? 3000);
    let beforeReloads;
    if (o.reloads) {
      beforeReloads = procStatus(child.pid!);
      for (let i = 0; i < o.reloads; i++) {
        const r = await request(socket, { cmd: "reload" }, 120000);
        if (!r.ok) throw new Error(`reload ${i + 1} failed: ${r.error}`);
      }
      await sleep(o.settleMs ?? 3000);
    }
    const figure = procStatus(child.pid!);
    const s = await status();
    return { ...figure, flows: o.fill ? flows : Number(s.connections?.flows ?? 0), status: s, beforeReloads };
  } finally {
    if (child && child.exitCode === null) {
      child.kill("SIGTERM");
      await new Promise((r) => { const t = setTimeout(() => { child!.kill("SIGKILL"); r(null); }, 10000); child!.once("exit", () => { clearTimeout(t); r(null); }); });
    }
    sink.close();
    peerL.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The node binary alone, idle (`node -e 'setInterval(()=>{},1e6)'`): the floor under every figure. */
export async function nodeBaselineKb(): Promise<number> {
  const child = spawn(process.execPath, ["-e", "setInterval(()=>{},1e6)"], { stdio: "ignore" });
  try {
    await sleep(1500);
    return procStatus(child.pid!).rssKb;
  } finally {
    child.kill("SIGKILL");
  }
}

export const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Both figures of issue 13's table, medians of `runs` processes each. */
export async function rssTable(runs: number, log: (line: string) => void = () => {}): Promise<{ idle: RssFigure[]; full: RssFigure[]; baselineKb: number }> {
  const dir = mkdtempSync(join(tmpdir(), "pc-rss-cfg-"));
  try {
    const acl = classBenchConfig(dir), ce = winceConfig(dir);
    const idle: RssFigure[] = [], full: RssFigure[] = [];
    for (let i = 0; i < runs; i++) {
      idle.push(await measureRss({ config: acl }));
      log(`  idle run ${i + 1}: rss ${(idle[i].rssKb / 1024).toFixed(1)} MB (peak ${(idle[i].hwmKb / 1024).toFixed(1)})`);
      full.push(await measureRss({ config: ce, fill: 70000 }));
      log(`  full run ${i + 1}: rss ${(full[i].rssKb / 1024).toFixed(1)} MB (peak ${(full[i].hwmKb / 1024).toFixed(1)}), ${full[i].flows} flows`);
    }
    return { idle, full, baselineKb: await nodeBaselineKb() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const what = process.argv[2] ?? "idle";
  const runs = Number(process.argv[3] ?? 3);
  const dir = mkdtempSync(join(tmpdir(), "pc-rss-cfg-"));
  try {
    const config = what === "full" ? winceConfig(dir) : classBenchConfig(dir);
    for (let i = 0; i < runs; i++) {
      const f = await measureRss({ config, fill: what === "full" ? 70000 : 0, settleMs: Number(process.env.RSS_SETTLE_MS ?? 3000), nodeArgs: process.env.RSS_NODE_ARGS?.split(" ").filter(Boolean) });
      const m = f.status.memory;
      console.log(`${what}: rss ${(f.rssKb / 1024).toFixed(1)} MB, anon ${(f.anonKb / 1024).toFixed(1)} MB, peak ${(f.hwmKb / 1024).toFixed(1)} MB, flows ${f.flows}; heapUsed ${(m.heapUsed / 1048576).toFixed(1)} MB, external ${(m.external / 1048576).toFixed(1)} MB, wasm ${(m.wasm / 1048576).toFixed(1)} MB`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
