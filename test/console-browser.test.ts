// The console in a real browser: Debian's Chromium, headless, driven by
// playwright-core, against a live appliance forwarding real frames on
// loopback. The rules page lists the rules, their counters grow after
// traffic, a never-hit rule is marked, a rule name holding <script> shows as
// text and runs nothing, the log page receives an event, the packet tester
// answers, and a console with a token refuses a browser without it.
// Writes docs/console-rules.png when PORTCULLIS_SCREENSHOT is set.
import { describe, it, expect, beforeAll, afterAll, afterEach } from "vitest";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { startRig, until, HOSTILE_NAME, type Rig } from "./support/console-rig.ts";

const CHROMIUM = "/usr/bin/chromium";
const available = existsSync(CHROMIUM);
if (!available && process.env.CI) throw new Error(`${CHROMIUM} is missing (Debian package chromium): .ci/run installs it`);

let browser: Browser | null = null;
let profile = "";
let rig: Rig | null = null;

beforeAll(async () => {
  if (!available) return;
  profile = mkdtempSync(join(tmpdir(), "pc-chromium-"));
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

afterEach(async () => {
  await rig?.close();
  rig = null;
});

/** A page that records what would betray injected script: dialogs, a changed title, console errors. */
async function openPage(): Promise<{ page: Page; dialogs: string[]; errors: string[] }> {
  const page = await browser!.newPage();
  const dialogs: string[] = [], errors: string[] = [];
  page.on("dialog", (d) => { dialogs.push(d.message()); void d.dismiss(); });
  page.on("pageerror", (e) => errors.push(e.message));
  return { page, dialogs, errors };
}

describe.skipIf(!available)("the console in Chromium", () => {
  it("shows rules with growing counters, never-hit marks and a <script> name as text", async () => {
    rig = await startRig();
    const { page, dialogs, errors } = await openPage();
    try {
      await page.goto(`${rig.base}/rules`);
      await page.waitForSelector("#rule-table tbody tr");
      const rows = page.locator("#rule-table tbody tr");
      expect(await rows.count()).toBe(3);
      expect(await page.locator("#rule-table tbody tr.never").count()).toBe(3);
      expect(await page.locator("#rule-table .tag.never").count()).toBe(3);
      // The hostile rule name is shown, character for character, as text.
      const hostile = page.locator("#rule-table td.text", { hasText: "<script>" });
      expect(await hostile.count()).toBe(1);
      expect(await hostile.textContent()).toContain(HOSTILE_NAME);
      expect(await page.locator("#rule-table script, #rule-table img").count()).toBe(0);

      // Traffic: the web server's rule is hit twice; the page updates without a reload.
      await rig.synFromWan(80, 40001);
      await rig.synFromWan(80, 40002);
      await until(() => rig!.lanGot() === 2);
      const webRow = page.locator("#rule-table tbody tr", { hasText: "Web server" });
      await until(async () => (await webRow.locator("td.num").first().textContent()) === "2", 10_000);
      expect(await webRow.getAttribute("class")).not.toContain("never");
      expect(await page.locator("#rule-table tbody tr.never").count()).toBe(2);
      expect(await webRow.locator(".tag.never").count()).toBe(0);

      // Sorting by packets puts it first; the filter box narrows the list.
      await page.locator("th.sortable", { hasText: "packets" }).click();
      await until(async () => ((await rows.first().textContent()) ?? "").includes("Web server"), 5000);
      await page.locator("#rule-filter").fill("relay");
      await until(async () => (await rows.count()) === 1, 5000);
      expect(await rows.first().textContent()).toContain("Mail from the relay only");
      await page.locator("#rule-filter").fill("");
      await until(async () => (await rows.count()) === 3, 5000);

      if (process.env.PORTCULLIS_SCREENSHOT) {
        await page.setViewportSize({ width: 1200, height: 520 });
        await page.screenshot({ path: process.env.PORTCULLIS_SCREENSHOT });
      }
      expect(await page.title()).toBe("Portcullis");
      expect(dialogs).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("receives log events live, and the packet tester answers with the deciding rule", async () => {
    rig = await startRig();
    const { page, errors } = await openPage();
    try {
      await page.goto(`${rig.base}/`);
      await page.waitForSelector(".card");
      const overview = (await page.locator("main").textContent()) ?? "";
      expect(overview).toContain("3 (3 never hit)");
      expect(overview).toContain("winfw rules from");
      expect(overview).not.toMatch(/null|undefined|NaN/);
      expect(await page.locator("svg.chart polyline.rx").count()).toBe(1);

      await page.goto(`${rig.base}/log`);
      await until(async () => (await page.locator("#log-state").textContent()) === "live", 10_000);
      rig.live.log(5, "an event for the browser <b>not bold</b>");
      const line = page.locator("#log-lines div", { hasText: "an event for the browser" });
      await line.waitFor({ timeout: 10_000 });
      expect(await line.textContent()).toContain("<b>not bold</b>");
      expect(await page.locator("#log-lines b").count()).toBe(0);

      await page.goto(`${rig.base}/tester`);
      await page.locator("#packet").fill("tcp 10.0.0.2:4000 > 192.168.0.10:25 in=wan out=lan");
      await page.locator("button[type=submit]").click();
      await page.locator("#answer .verdict").waitFor();
      expect(await page.locator("#answer .verdict").textContent()).toBe("deny");
      await page.locator("#packet").fill("tcp 10.0.0.7:4000 > 192.168.0.10:25 in=wan out=lan");
      await page.locator("button[type=submit]").click();
      await until(async () => (await page.locator("#answer .verdict").textContent()) === "permit", 5000);
      expect(await page.locator("#answer").textContent()).toContain(":3");
      expect(await page.locator("#answer").textContent()).toContain("Mail from the relay only");
      expect(errors).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it("with a token, refuses a browser that has none and lets in one that logs in", async () => {
    const token = "browser-token-0123456789abcdef";
    rig = await startRig({ token });
    const context = await browser!.newContext();
    const page = await context.newPage();
    try {
      const direct = await page.goto(`${rig.base}/api/rules`);
      expect(direct!.status()).toBe(401);
      await page.goto(`${rig.base}/rules`);
      expect(new URL(page.url()).pathname).toBe("/login");
      expect(await page.locator("#rule-table").count()).toBe(0);
      await page.locator("#token").fill(token);
      await page.locator("button[type=submit]").click();
      await page.waitForURL(`${rig.base}/`);
      await page.goto(`${rig.base}/rules`);
      await page.waitForSelector("#rule-table tbody tr");
      expect(await page.locator("#rule-table tbody tr").count()).toBe(3);
    } finally {
      await context.close();
    }
  });
});
