// The web console's figures with 10,000 rules (the lab benchmark's PortMaster
// set): /metrics size and time, the event-loop time one poll round takes
// (what a browser on the pages plus a scraper cost the data path each
// second), the rules page's weight (bytes transferred for a full load) and
// its time to first render in headless Chromium. Medians of several runs.
//   node --import tsx bench/console.bench.ts [RULES]
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LiveAppliance } from "../host/runtime/live.ts";
import { parsePortSpec } from "../host/runtime/ports.ts";
import { ConsoleServer } from "../host/console/server.ts";

const RULES = Number(process.argv[2] ?? 10_000);
const RUNS = 7;
const PORT0 = 40000 + Math.floor(Math.random() * 20000);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const run = promisify(execFile);

/**
 * Fetch `paths` with curl from another process and return the appliance's
 * event-loop busy time meanwhile (ms): the time the console took from the
 * data path, without the client's own work.
 */
async function busyMs(base: string, paths: string[]): Promise<{ ms: number; bytes: number }> {
  const before = performance.eventLoopUtilization();
  const outs = await Promise.all(paths.map((p) => run("curl", ["-s", "--max-time", "30", base + p], { maxBuffer: 1 << 26, encoding: "buffer" })));
  const elu = performance.eventLoopUtilization(before);
  return { ms: elu.active, bytes: outs.reduce((n, o) => n + o.stdout.length, 0) };
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

  // /metrics: size, the scrape's wall time (curl, another process), and the appliance's busy time for it.
  const metricsMs: number[] = [], metricsBusy: number[] = [];
  let metricsBytes = 0;
  for (let i = 0; i < RUNS; i++) {
    await sleep(600); // past the snapshot's cache
    const t0 = performance.now();
    const { ms, bytes } = await busyMs(base, ["/metrics"]);
    metricsMs.push(performance.now() - t0);
    metricsBusy.push(ms);
    metricsBytes = bytes;
  }

  // One poll round (what the lab benchmark sends each second).
  const roundBusy: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    await sleep(600);
    roundBusy.push((await busyMs(base, ["/metrics", "/api/overview", "/api/rules?sort=hits", "/api/connections"])).ms);
  }

  for (const p of ["/metrics", "/api/overview", "/api/rules?sort=hits", "/api/connections"]) {
    const xs: number[] = [];
    for (let i = 0; i < 5; i++) { await sleep(600); xs.push((await busyMs(base, [p])).ms); }
    console.log(`  ${p}: appliance busy ${median(xs).toFixed(1)} ms`);
  }
  console.log(`console bench: ${RULES} rules`);
  console.log(`  /metrics: ${(metricsBytes / 1024).toFixed(0)} KiB; scrape ${median(metricsMs).toFixed(1)} ms wall (curl), of which the appliance was busy ${median(metricsBusy).toFixed(1)} ms (medians of ${RUNS})`);
  console.log(`  one poll round (/metrics, overview, rules by hits, connections): appliance busy ${median(roundBusy).toFixed(1)} ms (median of ${RUNS}), i.e. ${(median(roundBusy) / 10).toFixed(1)}% of each second when polled every second`);

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
  await web?.close();
  await live?.stop("bench done");
  rmSync(dir, { recursive: true, force: true });
}
