// The firmware image, built and booted for real: `npm run image` into a
// temporary folder, then `npm run vm` under QEMU (TCG) with the flash made
// from a configuration. A good configuration forwards what it permits and
// drops what it denies, seen from the host through the VM's NICs (UDP
// endpoints on 127.0.0.1) and in the counters `portcullis status` reads
// through the control channel; a broken one leaves the appliance failing
// closed and saying why. Everything (VM, disks, sockets) is removed after.
import { describe, it, expect, beforeAll, afterAll } from "vitest";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tcpPacket } from "../host/packet/build.ts";

const root = join(import.meta.dirname, "..");
const kernel = existsSync("/lib/modules") ? readdirSync("/lib/modules").some((v) => existsSync(`/boot/vmlinuz-${v}`)) : false;
const tools = ["qemu-system-x86_64", "busybox", "socat", "ethtool", "cpio", "xz"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
const available = kernel && tools;
if (!available && process.env.CI) throw new Error("the image test needs linux-image-amd64, busybox-static, qemu-system-x86, socat, ethtool, cpio and xz-utils: .ci/run installs them");

const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02";
let dir = "";
let imageDir = "";

beforeAll(() => {
  if (!available) return;
  dir = mkdtempSync(join(tmpdir(), "pc-image-"));
  imageDir = join(dir, "image");
  const r = spawnSync("bash", ["lab/image/build.sh"], { cwd: root, env: { ...process.env, IMAGE_OUT: imageDir }, encoding: "utf8", timeout: 600_000 });
  if (r.status !== 0) throw new Error(`npm run image failed:\n${r.stdout}\n${r.stderr}`);
  expect(r.stdout).toMatch(/compressed total \d+\.\d MB/);
}, 660_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Vm {
  startedMs: number;
  proc: ChildProcess;
  console: string[];
  ctl: string;
  base: number;
  stop(): Promise<void>;
}

let nextBase = 21000 + Math.floor(Math.random() * 20000);

async function boot(name: string, config: string): Promise<Vm> {
  const vmDir = join(dir, name);
  const cfg = join(dir, `${name}.cfg`);
  writeFileSync(cfg, config);
  const base = (nextBase += 10);
  const startedMs = Date.now();
  const proc = spawn("bash", ["lab/image/vm.sh", cfg], {
    cwd: root, env: { ...process.env, IMAGE_OUT: imageDir, VM_DIR: vmDir, VM_PORT_BASE: String(base), VM_ACCEL: "tcg" },
    stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  const out: string[] = [];
  proc.stdout!.on("data", (c) => out.push(String(c)));
  proc.stderr!.on("data", (c) => out.push(String(c)));
  const vm: Vm = {
    startedMs, proc, console: out, ctl: join(vmDir, "ctl.sock"), base,
    stop: async () => {
      if (proc.exitCode === null) {
        try { process.kill(-proc.pid!, "SIGKILL"); } catch { /* gone */ }
        await new Promise((r) => proc.once("exit", r));
      }
    },
  };
  const end = Date.now() + 300_000;
  while (!/portcullis: notice: running:/.test(out.join(""))) {
    if (proc.exitCode !== null || Date.now() > end) {
      await vm.stop();
      throw new Error(`the VM did not start the appliance:\n${out.join("").slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return vm;
}

function status(ctl: string): string {
  const r = spawnSync(process.execPath, ["bin/portcullis.js", "status", "--socket", ctl], { cwd: root, encoding: "utf8", timeout: 60_000 });
  if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
  return r.stdout;
}

/** Send `frame` into NIC `nic` of the VM and collect what leaves NIC `other` within `ms`. */
async function exchange(vm: Vm, frame: Uint8Array, nic: number, other: number, ms: number): Promise<Buffer[]> {
  const tx = dgram.createSocket("udp4"), rx = dgram.createSocket("udp4");
  const got: Buffer[] = [];
  rx.on("message", (m) => got.push(m));
  try {
    await new Promise<void>((r) => tx.bind(vm.base + 2 * nic + 1, "127.0.0.1", r));
    await new Promise<void>((r) => rx.bind(vm.base + 2 * other + 1, "127.0.0.1", r));
    tx.send(frame, vm.base + 2 * nic, "127.0.0.1");
    const end = Date.now() + ms;
    while (Date.now() < end && !got.some((m) => m.equals(Buffer.from(frame)))) await new Promise((r) => setTimeout(r, 50));
    return got.filter((m) => m.equals(Buffer.from(frame)));
  } finally {
    tx.close();
    rx.close();
  }
}

const GOOD = [
  "add filter inbound",
  "set filter inbound 10 permit 0.0.0.0/0 0.0.0.0/0 tcp established",
  "set filter inbound 20 permit 0.0.0.0/0 192.168.0.25/32 tcp dst eq 25",
  "set filter inbound 30 deny log",
  "set wan ifilter inbound",
  "",
].join("\n");

describe.skipIf(!available)("the appliance image under QEMU", () => {
  it("forwards what the flash's rules permit, drops what they deny, and answers status through the control channel", async () => {
    const vm = await boot("good", GOOD);
    try {
      const out = tcpPacket({ src: "192.168.0.10", dst: "10.0.0.2", sport: 40000, dport: 80, flags: "S", macSrc: MAC_L, macDst: MAC_W });
      expect(await exchange(vm, out, 0, 1, 20_000)).toHaveLength(1);
      // The figure the image issue asks for (README): from starting QEMU to the first forwarded packet.
      console.log(`image: boot to the first forwarded packet in ${((Date.now() - vm.startedMs) / 1000).toFixed(1)} s under TCG`);
      const mail = tcpPacket({ src: "10.0.0.2", dst: "192.168.0.25", sport: 40001, dport: 25, flags: "S", macSrc: MAC_W, macDst: MAC_L });
      expect(await exchange(vm, mail, 1, 0, 20_000)).toHaveLength(1);
      const ssh = tcpPacket({ src: "10.0.0.2", dst: "192.168.0.10", sport: 40002, dport: 22, flags: "S", macSrc: MAC_W, macDst: MAC_L });
      expect(await exchange(vm, ssh, 1, 0, 3000)).toHaveLength(0);
      const s = status(vm.ctl);
      expect(s).toMatch(/filter inbound rule 20 +permit packets=1 /);
      expect(s).toMatch(/filter inbound rule 30 +deny +packets=1 /);
      expect(s).toMatch(/^firmware: portcullis \d+\.\d+\.\d+ \([0-9a-f]+\), kernel \S+, accelerator tcg, configuration from flash$/m);
      expect(s).not.toMatch(/FAILING CLOSED/);
    } finally {
      await vm.stop();
    }
  }, 600_000);

  it("a configuration that fails its check at boot leaves the appliance failing closed, answering status", async () => {
    const vm = await boot("broken", GOOD + "set filter inbound 40 permit tcp dst eq banana\n");
    try {
      const s = status(vm.ctl);
      expect(s).toMatch(/FAILING CLOSED since .*: the configuration has 1 error/);
      expect(s).toMatch(/broken\.cfg:6:\d+: error\[PM\d+\]/);
      const out = tcpPacket({ src: "192.168.0.10", dst: "10.0.0.2", sport: 40000, dport: 80, flags: "S", macSrc: MAC_L, macDst: MAC_W });
      expect(await exchange(vm, out, 0, 1, 3000)).toHaveLength(0);
      expect(status(vm.ctl)).toMatch(/fail-closed +deny +packets=1 /);
    } finally {
      await vm.stop();
    }
  }, 600_000);
});
