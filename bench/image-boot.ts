// The firmware image's figures (README, "The appliance image"): boot time
// under QEMU's TCG from starting `npm run vm` to the first packet forwarded
// through the VM (the median of several boots), and the appliance's memory
// inside the guest with 10,000 rules (the RSS `portcullis status` reports
// through the control channel), with the image's sizes.
//   node --import tsx bench/image-boot.ts [--boots N] [--image DIR] [--rules N]
// Without --image, the image is built into a temporary folder first.
import { mkdtempSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { tcpPacket } from "../host/packet/build.ts";
import { buildImage, boot, exchange, cli, stopAll, MAC_L, MAC_W } from "../test/support/image-vm.ts";

const { values } = parseArgs({ options: { boots: { type: "string", default: "3" }, image: { type: "string" }, rules: { type: "string", default: "10000" } } });
const dir = mkdtempSync(join(tmpdir(), "pc-image-bench-"));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

try {
  let imageDir = values.image ?? "";
  if (!imageDir) {
    imageDir = join(dir, "image");
    process.stdout.write(buildImage(imageDir));
  } else if (!existsSync(join(imageDir, "vmlinuz"))) {
    throw new Error(`${imageDir}: no image there (npm run image)`);
  }

  const cfg = join(dir, "site.cfg");
  writeFileSync(cfg, "add filter inbound\nset filter inbound 10 permit 0.0.0.0/0 0.0.0.0/0 tcp established\nset filter inbound 20 deny\nset wan ifilter inbound\n");
  const syn = tcpPacket({ src: "192.168.0.10", dst: "10.0.0.2", sport: 40000, dport: 80, flags: "S", macSrc: MAC_L, macDst: MAC_W });
  const times: number[] = [];
  for (let k = 0; k < Number(values.boots); k++) {
    const vm = await boot(imageDir, join(dir, `boot${k}`), [cfg]);
    try {
      if ((await exchange(vm, syn, 0, 1, 60_000)).length !== 1) throw new Error("no packet crossed the VM");
      times.push((Date.now() - vm.startedMs) / 1000);
      console.log(`boot ${k + 1}: first forwarded packet after ${times.at(-1)!.toFixed(1)} s`);
    } finally {
      await vm.stop();
    }
  }
  console.log(`boot to the first forwarded packet under TCG: median ${median(times).toFixed(1)} s of ${times.length} (${times.map((t) => t.toFixed(1)).join(", ")})`);

  // 10,000 rules: Windows CE blocks for hosts that send nothing (bench/appliance-memory.ts's set).
  const rules = Number(values.rules);
  const hex = (i: number) => [172, 16 + ((i >> 16) & 15), (i >> 8) & 255, i & 255].map((b) => b.toString(16).padStart(2, "0")).join(",");
  const keys: string[] = ["Windows Registry Editor Version 5.00", ""];
  for (let i = 1; i <= rules; i++) {
    keys.push(`[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\Block${i}]`, `"Mask"=dword:25`, `"Flags"=dword:11`,
      `"PrivateHost"=hex:02,00,00,00,${hex(i)}`, `"Protocol"=dword:6`, `"Port"=dword:${(1 + (i % 1000)).toString(16)}`, "");
  }
  const big = join(dir, "big.reg");
  writeFileSync(big, keys.join("\n"));
  const vm = await boot(imageDir, join(dir, "big"), [big], 900_000);
  try {
    await exchange(vm, syn, 0, 1, 60_000); // one packet through, so the engine has run
    const s = cli(["status", "--socket", vm.ctl, "--json"], 600_000);
    if (s.status !== 0) throw new Error(`status failed: ${s.stderr}`);
    const st = JSON.parse(s.stdout);
    const mb = (n: number) => (n / 1048576).toFixed(1);
    console.log(`inside the guest with ${st.rules.length} rules (${st.dialect}): rss ${mb(st.memory.rss)} MB, heap ${mb(st.memory.heapUsed)} MB, wasm ${mb(st.memory.wasm)} MB`);
  } finally {
    await vm.stop();
  }
} finally {
  await stopAll();
  rmSync(dir, { recursive: true, force: true });
}
