// Build the firmware image and boot it under QEMU (TCG) for the image's tests
// and its boot-time benchmark: `npm run image` into a folder, `npm run vm`
// with a flash made from given files, frames in and out of its NICs (UDP
// endpoints on 127.0.0.1), `status` and `push` through its control channel.
// Every VM runs in its own process group and is killed with it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";

export const root = join(import.meta.dirname, "..", "..");
const kernel = existsSync("/lib/modules") ? readdirSync("/lib/modules").some((v) => existsSync(`/boot/vmlinuz-${v}`)) : false;
const tools = ["qemu-system-x86_64", "busybox", "socat", "ethtool", "cpio", "xz", "zstd"].every((t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0);
export const imageAvailable = kernel && tools;
export const MAC_L = "02:00:00:00:01:01", MAC_W = "02:00:00:00:02:02";

/** `npm run image` into `out`; returns its output (sizes). */
export function buildImage(out: string): string {
  const r = spawnSync("bash", ["lab/image/build.sh"], { cwd: root, env: { ...process.env, IMAGE_OUT: out }, encoding: "utf8", timeout: 900_000 });
  if (r.status !== 0) throw new Error(`npm run image failed:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

export interface Vm {
  startedMs: number;
  proc: ChildProcess;
  console: string[];
  dir: string;
  ctl: string;
  base: number;
  stop(): Promise<void>;
}

let nextBase = 21000 + Math.floor(Math.random() * 20000);
const running = new Set<Vm>();

/** Kill every VM still running (a test's afterAll, and process exit). */
export async function stopAll(): Promise<void> {
  for (const vm of [...running]) await vm.stop();
}
process.once("exit", () => {
  for (const vm of running) try { process.kill(-vm.proc.pid!, "SIGKILL"); } catch { /* gone */ }
});

/**
 * Boot the image in `vmDir` (its flash made from `args`' CONFIG files when it
 * has none yet) and wait until the appliance runs. `args` are vm.sh's.
 */
export async function boot(imageDir: string, vmDir: string, args: string[], waitMs = 420_000): Promise<Vm> {
  const base = (nextBase += 10);
  const startedMs = Date.now();
  const proc = spawn("bash", ["lab/image/vm.sh", ...args], {
    cwd: root, env: { ...process.env, IMAGE_OUT: imageDir, VM_DIR: vmDir, VM_PORT_BASE: String(base), VM_ACCEL: "tcg" },
    stdio: ["ignore", "pipe", "pipe"], detached: true,
  });
  const out: string[] = [];
  proc.stdout!.on("data", (c) => out.push(String(c)));
  proc.stderr!.on("data", (c) => out.push(String(c)));
  const vm: Vm = {
    startedMs, proc, console: out, dir: vmDir, ctl: join(vmDir, "ctl.sock"), base,
    stop: async () => {
      running.delete(vm);
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((r) => proc.once("exit", r));
        try { process.kill(-proc.pid!, "SIGKILL"); } catch { /* gone */ }
        await exited;
      }
    },
  };
  running.add(vm);
  const end = Date.now() + waitMs;
  while (!/portcullis: notice: running:/.test(out.join(""))) {
    if (proc.exitCode !== null || Date.now() > end) {
      await vm.stop();
      throw new Error(`the VM did not start the appliance:\n${out.join("").slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return vm;
}

/** Run the CLI (the compiled host) from the repository; returns its exit status and output. */
export function cli(args: string[], timeoutMs = 300_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/portcullis.js", ...args], { cwd: root, encoding: "utf8", timeout: timeoutMs });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function status(vm: Vm): string {
  const r = cli(["status", "--socket", vm.ctl], 60_000);
  if (r.status !== 0) throw new Error(`status failed: ${r.stderr}`);
  return r.stdout;
}

/** Send `frame` into NIC `nic` of the VM and collect the copies of it that leave NIC `other` within `ms`. */
export async function exchange(vm: Vm, frame: Uint8Array, nic: number, other: number, ms: number): Promise<Buffer[]> {
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
