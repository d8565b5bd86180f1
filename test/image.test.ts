// The firmware image, built and booted for real: `npm run image` into a
// temporary folder, then `npm run vm` under QEMU (TCG) with the flash made
// from a configuration. A good configuration forwards what it permits and
// drops what it denies, seen from the host through the VM's NICs (UDP
// endpoints on 127.0.0.1) and in the counters `portcullis status` reads
// through the control channel; the appliance's syslog leaves by its
// management NIC and reaches a receiver on the host; its web console, behind
// the same NIC, works in Chromium and refuses a browser without the token;
// `portcullis push` is refused with errors and applied without, and the flash
// keeps what it should across reboots; a broken configuration on the flash
// leaves the appliance failing closed. Everything (VMs, disks, sockets) is
// removed after, also when a test fails.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import dgram from "node:dgram";
import net from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tcpPacket } from "../host/packet/build.ts";
import { imageAvailable, buildImage, boot, stopAll, status, exchange, cli, MAC_L, MAC_W, type Vm } from "./support/image-vm.ts";

if (!imageAvailable && process.env.CI) throw new Error("the image test needs linux-image-amd64, busybox-static, qemu-system-x86, socat, ethtool, cpio, xz-utils and zstd: .ci/run installs them");
const CHROMIUM = "/usr/bin/chromium";

let dir = "";
let imageDir = "";

beforeAll(() => {
  if (!imageAvailable) return;
  dir = mkdtempSync(join(tmpdir(), "pc-image-"));
  imageDir = join(dir, "image");
  expect(buildImage(imageDir)).toMatch(/compressed total \d+\.\d MB/);
}, 960_000);

afterAll(async () => {
  await stopAll();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 60_000);

const GOOD = [
  "add filter inbound",
  "set filter inbound 10 permit 0.0.0.0/0 0.0.0.0/0 tcp established",
  "set filter inbound 20 permit 0.0.0.0/0 192.168.0.25/32 tcp dst eq 25",
  "set filter inbound 30 deny log",
  "set wan ifilter inbound",
  "",
].join("\n");

const fromLan = (dport: number, sport: number) => tcpPacket({ src: "192.168.0.10", dst: "10.0.0.2", sport, dport, flags: "S", macSrc: MAC_L, macDst: MAC_W });
const toLan = (dst: string, dport: number, sport: number) => tcpPacket({ src: "10.0.0.2", dst, sport, dport, flags: "S", macSrc: MAC_W, macDst: MAC_L });

/** A free TCP port on the host's loopback (for the console's forwarded port). */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

describe.skipIf(!imageAvailable)("the appliance image under QEMU", () => {
  // One appliance for the first three tests: its flash, the syslog receiver it logs to, its console's port.
  let vm: Vm | null = null;
  let site = "", siteArgs: string[] = [];
  const syslog: string[] = [];
  let receiver: dgram.Socket | null = null;
  let httpPort = 0;

  beforeAll(async () => {
    if (!imageAvailable) return;
    receiver = dgram.createSocket("udp4");
    receiver.on("message", (m) => syslog.push(String(m)));
    await new Promise<void>((r) => receiver!.bind(0, "127.0.0.1", r));
    // The loghost is the host as the VM's management network sees it (QEMU user networking: 10.0.2.2).
    const appliance = join(dir, "site.appliance.json");
    writeFileSync(appliance, JSON.stringify({
      interfaces: [{ name: "lan", role: "private", addresses: ["192.168.0.1/24"] }, { name: "wan", role: "public", addresses: ["10.0.0.1/24"] }],
      loghost: `10.0.2.2:${receiver.address().port}`, timezone: "UTC",
    }));
    site = join(dir, "site.cfg");
    writeFileSync(site, GOOD);
    httpPort = await freePort();
    siteArgs = [site, "--appliance", appliance, "--http", String(httpPort)];
  });
  afterAll(() => receiver?.close());

  it("forwards what the flash's rules permit, drops what they deny, answers status, and logs to the loghost through its management NIC", async () => {
    vm = await boot(imageDir, join(dir, "site"), siteArgs);
    expect(await exchange(vm, fromLan(80, 40000), 0, 1, 30_000)).toHaveLength(1);
    // The figure the image issue asks for (README): from starting QEMU to the first forwarded packet.
    console.log(`image: boot to the first forwarded packet in ${((Date.now() - vm.startedMs) / 1000).toFixed(1)} s under TCG`);
    expect(await exchange(vm, toLan("192.168.0.25", 25, 40001), 1, 0, 30_000)).toHaveLength(1);
    expect(await exchange(vm, toLan("192.168.0.10", 22, 40002), 1, 0, 3000)).toHaveLength(0);
    const s = status(vm);
    expect(s).toMatch(/filter inbound rule 20 +permit packets=1 /);
    expect(s).toMatch(/filter inbound rule 30 +deny +packets=1 /);
    expect(s).toMatch(/^firmware: portcullis \d+\.\d+\.\d+ \([0-9a-f]+\), kernel \S+, accelerator tcg, system up \d+ s, configuration from flash$/m);
    expect(s).toMatch(/^memory: rss=\d+\.\d MB/m);
    expect(s).not.toMatch(/FAILING CLOSED/);
    // Syslog, from the guest's own network stack: the start message and the log rule's event.
    const end = Date.now() + 30_000;
    while (Date.now() < end && !syslog.some((m) => /action=deny proto=tcp src=10\.0\.0\.2:40002 dst=192\.168\.0\.10:22/.test(m))) await new Promise((r) => setTimeout(r, 200));
    expect(syslog.find((m) => / portcullis \d+ - - running: 3 rules \(portmaster\) from \/flash\/site\.cfg/.test(m))).toMatch(/^<133>1 \S+ portcullis /);
    expect(syslog.find((m) => /src=10\.0\.0\.2:40002/.test(m))).toMatch(/filter=inbound rule=30 action=deny proto=tcp src=10\.0\.0\.2:40002 dst=192\.168\.0\.10:22 in=wan .*\(\/flash\/site\.cfg:4\)/);
  }, 900_000);

  it.skipIf(!existsSync(CHROMIUM))("serves the web console through the management NIC: a browser without the token is refused, with it sees the rules' counters grow and the tester answer", async () => {
    expect(vm).toBeTruthy();
    const { chromium } = await import("playwright-core");
    const browser = await chromium.launch({
      executablePath: CHROMIUM, headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
    });
    try {
      const base = `http://127.0.0.1:${httpPort}`;
      const page = await (await browser.newContext()).newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      // Bound to the guest's management address, not loopback: the token is required.
      expect((await page.goto(`${base}/api/rules`, { timeout: 60_000 }))!.status()).toBe(401);
      await page.goto(`${base}/rules`, { timeout: 60_000 });
      expect(new URL(page.url()).pathname).toBe("/login");
      await page.locator("#token").fill(readFileSync(join(dir, "site", "console.token"), "utf8").trim());
      await page.locator("button[type=submit]").click();
      await page.waitForURL(`${base}/`, { timeout: 60_000 });
      await page.goto(`${base}/rules`, { timeout: 60_000 });
      await page.waitForSelector("#rule-table tbody tr", { timeout: 60_000 });
      expect(await page.locator("#rule-table tbody tr").count()).toBe(3);
      const mail = page.locator("#rule-table tbody tr", { hasText: "dst eq 25" });
      const hits = async () => Number(await mail.locator("td.num").first().textContent());
      const before = await hits();
      expect(await exchange(vm!, toLan("192.168.0.25", 25, 40010), 1, 0, 30_000)).toHaveLength(1);
      expect(await exchange(vm!, toLan("192.168.0.25", 25, 40011), 1, 0, 30_000)).toHaveLength(1);
      const end = Date.now() + 60_000;
      while ((await hits()) !== before + 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 500));
      expect(await hits()).toBe(before + 2);
      await page.goto(`${base}/tester`, { timeout: 60_000 });
      await page.locator("#packet").fill("tcp 10.0.0.2:4000 > 192.168.0.25:25 in=wan out=lan");
      await page.locator("button[type=submit]").click();
      await page.locator("#answer .verdict").waitFor({ timeout: 60_000 });
      expect(await page.locator("#answer .verdict").textContent()).toBe("permit");
      expect(await page.locator("#answer").textContent()).toContain("site.cfg:3");
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 600_000);

  it("push: a bad configuration is refused and the flash keeps the old one across a reboot; a good one is applied and kept across a reboot", async () => {
    expect(vm).toBeTruthy();
    const bad = join(dir, "bad.cfg");
    writeFileSync(bad, GOOD.replace("tcp dst eq 25", "tcp dst eq banana"));
    const refused = cli(["push", bad, "--to", vm!.ctl]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain(`${bad}:3:`);
    expect(refused.stderr).toMatch(/error\[PM\d+\]: port "banana"/);
    expect(refused.stderr).toMatch(/push refused: .*the running rules and the flash keep/);
    expect(status(vm!)).toMatch(/generation 1\b/);

    await vm!.stop();
    vm = await boot(imageDir, join(dir, "site"), siteArgs);
    let s = status(vm);
    expect(s).toMatch(/rules from \/flash\/site\.cfg, generation 1/);
    expect(s).toMatch(/configuration from flash$/m);
    expect(await exchange(vm, toLan("192.168.0.25", 25, 40020), 1, 0, 30_000)).toHaveLength(1);

    const good = join(dir, "web.cfg");
    writeFileSync(good, GOOD.replace("192.168.0.25/32 tcp dst eq 25", "192.168.0.80/32 tcp dst eq 80"));
    const applied = cli(["push", good, "--to", vm.ctl]);
    expect(applied.stderr).toBe("");
    expect(applied.status).toBe(0);
    expect(applied.stdout).toMatch(/reloaded \(push\): generation 2, 3 rules.*written to the flash at/);
    expect(await exchange(vm, toLan("192.168.0.80", 80, 40021), 1, 0, 30_000)).toHaveLength(1);

    await vm.stop();
    vm = await boot(imageDir, join(dir, "site"), siteArgs);
    s = status(vm);
    expect(s).toMatch(/rules from \/flash\/web\.cfg, generation 1/);
    expect(s).toMatch(/configuration from flash, pushed at \d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    expect(await exchange(vm, toLan("192.168.0.80", 80, 40022), 1, 0, 30_000)).toHaveLength(1);
    expect(await exchange(vm, toLan("192.168.0.25", 25, 40023), 1, 0, 3000)).toHaveLength(0);
    await vm.stop();
  }, 1_500_000);

  it("a configuration that fails its check at boot leaves the appliance failing closed, answering status", async () => {
    const cfg = join(dir, "broken.cfg");
    writeFileSync(cfg, GOOD + "set filter inbound 40 permit tcp dst eq banana\n");
    const broken = await boot(imageDir, join(dir, "broken"), [cfg]);
    try {
      const s = status(broken);
      expect(s).toMatch(/FAILING CLOSED since .*: the configuration has 1 error/);
      expect(s).toMatch(/broken\.cfg:6:\d+: error\[PM\d+\]/);
      expect(await exchange(broken, fromLan(80, 40000), 0, 1, 3000)).toHaveLength(0);
      expect(status(broken)).toMatch(/fail-closed +deny +packets=1 /);
    } finally {
      await broken.stop();
    }
  }, 900_000);
});
