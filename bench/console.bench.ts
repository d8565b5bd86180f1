// The web console's figures with 10,000 rules (the lab benchmark's PortMaster
// set): /metrics size and time, what one poll round (what a browser on the
// pages plus a scraper ask each second) costs the forwarding thread (the
// thread that runs the bridge: its event loop's busy time and its CPU time,
// read from /proc/self/task/PID/schedstat) and the console's worker thread,
// the rules page's weight (bytes transferred for a full load) and its time to
// first render in headless Chromium. Medians of several runs.
//   node --import tsx bench/console.bench.ts [RULES]
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { ConsoleServer } from "../host/console/server.ts";

const RULES = Number(process.argv[2] ?? 10_000);
const RUNS = 7;
const PORT0 = 40000 + Math.floor(Math.random() * 20000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** CPU time of this process's main thread (the forwarding thread), in ms; null where /proc has no schedstat. */
function forwardingCpuMs(): number | null {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return null;
  }
}

interface Cost { busyMs: number; cpuMs: number; workerMs: number; bytes: number }

/**
 * The client: another process (as a browser or a scraper is), fetching the
 * URLs of each line it reads on stdin and answering with the bytes received.
 * Spawning a client per request, or reading its output here, would put the
 * client's own work on the thread being measured.
 */
const CLIENT = `
  const rl = require("node:readline").createInterface({ input: process.stdin });
  rl.on("line", async (line) => {
    const sizes = await Promise.all(JSON.parse(line).map(async (u) => (await (await fetch(u)).arrayBuffer()).byteLength));
    process.stdout.write(JSON.stringify(sizes.reduce((a, b) => a + b, 0)) + "\\n");
  });`;
let client: ChildProcess | null = null;
let clientLines: AsyncIterator<string> | null = null;

async function fetchElsewhere(urls: string[]): Promise<number> {
  if (!client) {
    client = spawn(process.execPath, ["-e", CLIENT], { stdio: ["pipe", "pipe", "inherit"] });
    clientLines = createInterface({ input: client.stdout! })[Symbol.asyncIterator]();
  }
  client.stdin!.write(JSON.stringify(urls) + "\n");
  const { value } = await clientLines!.next();
  return Number(value);
}

/**
 * Fetch `paths` from the client process and return what it cost meanwhile:
 * the forwarding thread's event-loop busy time (wall time; on a loaded
 * machine it includes time the thread waited for a CPU) and CPU time, and
 * the console worker's event-loop busy time.
 */
async function cost(base: string, paths: string[]): Promise<Cost> {
  const worker = workerPerformance();
  const before = performance.eventLoopUtilization();
  const wBefore = worker?.eventLoopUtilization();
  const cpu0 = forwardingCpuMs();
  const bytes = await fetchElsewhere(paths.map((p) => base + p));
  const cpu1 = forwardingCpuMs();
  const elu = performance.eventLoopUtilization(before);
  const welu = worker && wBefore ? worker.eventLoopUtilization(wBefore) : null;
  return { busyMs: elu.active, cpuMs: cpu0 !== null && cpu1 !== null ? cpu1 - cpu0 : NaN, workerMs: welu ? welu.active : NaN, bytes };
}

/** The console worker's performance object (absent before the console ran in a worker). */
function workerPerformance(): { eventLoopUtilization: typeof performance.eventLoopUtilization } | null {
  const w = (web as unknown as { worker?: { performance?: { eventLoopUtilization: typeof performance.eventLoopUtilization } } } | null)?.worker;
  return w?.performance ?? null;
}

function bigRules(n: number): string {
  const out = ["add filter big"];
  for (let i = 1; i < n; i++) out.push(`set filter big ${i} deny 172.${16 + ((i >> 16) % 16)}.${(i >> 8) & 255}.${i & 255}/32 0.0.0.0/0 tcp dst eq ${1 + (i % 1000)}`);
  out.push(`set filter big ${n} permit`, "set lan ifilter big", "set wan ifilter big");
  return out.join("\n") + "\n";
}

const dir = mkdtempSync(join(tmpdir(), "pc-console-bench-"));
let live: LiveAppliance | null = null;
let web: ConsoleServer | null = null;
try {
  const cfg = join(dir, "big.pm");
  writeFileSync(cfg, bigRules(RULES));
  live = await LiveAppliance.start({
    keepPolicy: true, // as `run --http` does
    configs: [cfg], load: {}, socketPath: null, watchMs: 0,
    ports: [parsePortSpec(`lan=127.0.0.1:${PORT0}/127.0.0.1:9`), parsePortSpec(`wan=127.0.0.1:${PORT0 + 1}/127.0.0.1:9`)],
  });
  web = await ConsoleServer.start(live, { host: "127.0.0.1", port: 0, token: null });
  const base = `http://127.0.0.1:${web.address.port}`;

  // /metrics: size, the scrape's wall time (curl, another process), and what it cost the forwarding thread.
  const metricsMs: number[] = [], metrics: Cost[] = [];
  for (let i = 0; i < RUNS; i++) {
    await sleep(600); // past the snapshot's cache
    const t0 = performance.now();
    metrics.push(await cost(base, ["/metrics"]));
    metricsMs.push(performance.now() - t0);
  }

  // One poll round (what the lab benchmark sends each second).
  const ROUND = ["/metrics", "/api/overview", "/api/rules?sort=hits", "/api/connections"];
  const rounds: Cost[] = [];
  for (let i = 0; i < RUNS; i++) {
    await sleep(600);
    rounds.push(await cost(base, ROUND));
  }

  const fmt = (xs: Cost[]) =>
    `forwarding thread busy ${median(xs.map((c) => c.busyMs)).toFixed(2)} ms (CPU ${median(xs.map((c) => c.cpuMs)).toFixed(2)} ms), console worker busy ${median(xs.map((c) => c.workerMs)).toFixed(1)} ms`;
  // The measurement's own cost on this thread (writing to the client, reading its answer): a request the worker answers alone.
  const own: Cost[] = [];
  for (let i = 0; i < RUNS; i++) { await sleep(600); own.push(await cost(base, ["/console.css"])); }
  console.log(`  the measurement itself (/console.css, which needs nothing from the forwarding thread): ${fmt(own)}`);
  for (const p of ROUND) {
    const xs: Cost[] = [];
    for (let i = 0; i < 5; i++) { await sleep(600); xs.push(await cost(base, [p])); }
    console.log(`  ${p}: ${fmt(xs)}`);
  }
  console.log(`console bench: ${RULES} rules`);
  console.log(`  /metrics: ${(metrics[0].bytes / 1024).toFixed(0)} KiB; scrape ${median(metricsMs).toFixed(1)} ms wall (the client); ${fmt(metrics)} (medians of ${RUNS})`);
  const roundCpu = median(rounds.map((c) => c.cpuMs)), roundBusy = median(rounds.map((c) => c.busyMs));
  console.log(`  one poll round (${ROUND.join(", ")}): ${fmt(rounds)} (medians of ${RUNS})`);
  console.log(`  forwarding thread per poll round: ${roundBusy.toFixed(2)} ms busy, ${roundCpu.toFixed(2)} ms CPU, i.e. ${(roundBusy / 10).toFixed(3)}% (busy) / ${(roundCpu / 10).toFixed(3)}% (CPU) of each second when polled every second`);

  if (existsSync("/usr/bin/chromium")) {
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    try {
      const renderMs: number[] = [];
      let weight = 0;
      for (let i = 0; i < RUNS; i++) {
        const context = await browser.newContext();
        const page = await context.newPage();
        let bytes = 0;
        page.on("response", async (r) => { try { bytes += (await r.body()).length; } catch { /* redirects have no body */ } });
        const t0 = performance.now();
        await page.goto(`${base}/rules`);
        await page.waitForSelector("#rule-table tbody tr");
        renderMs.push(performance.now() - t0);
        await sleep(200);
        weight = bytes;
        await context.close();
      }
      console.log(`  rules page: ${(weight / 1024).toFixed(0)} KiB transferred for a full load (first 200 rules), first render in ${median(renderMs).toFixed(0)} ms (median of ${RUNS}, cold browser context each)`);
    } finally {
      await browser.close();
    }
  } else {
    console.log("  rules page: /usr/bin/chromium not installed; page weight and render time not measured");
  }
} finally {
  (client as ChildProcess | null)?.kill();
  await web?.close();
  await live?.stop("bench done");
  rmSync(dir, { recursive: true, force: true });
}
