// Export and verify times for a 10,000-rule set (issue 15): ClassBench's
// acl1_10k as a stateless ruleset on one interface, its trace's first N
// packets as a capture. Prints the medians of RUNS runs of: `export` (policy
// to nft text), `nft -f` (load into the scratch router), the kernel pass (send
// and observe every packet), the Portcullis pass, and verify end to end, plus
// the packet counts compared. Needs root.
//   node --import tsx bench/nft-export-verify.ts [RULES_FILE] [PACKETS] [RUNS]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readClassBenchRules, readClassBenchTrace } from "../host/classbench/classbench.ts";
import { parseAppliance } from "../host/model/appliance.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { exportNft } from "../host/export/nft/index.ts";
import { verifyCapture } from "../host/verify/run.ts";
import { frameFor } from "../test/support/kernel.ts";
import * as L from "../assembly/layout.ts";

const RULES = process.argv[2] ?? "../shared/classbench/acl1_10k";
const PACKETS = Number(process.argv[3] ?? 10000);
const RUNS = Number(process.argv[4] ?? 3);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const { policy } = readClassBenchRules(RULES);
const rules = policy.rulesets[0].rules.length;
const a = parseAppliance({ interfaces: [{ name: "cb0", role: "public" }, { name: "cbout", role: "private", addresses: ["10.0.0.0/8"] }], timezone: "UTC" }, "bench");
const trace = readClassBenchTrace(RULES + "_trace").headers.slice(0, PACKETS);
const frames = trace.map((h, i) => ({ data: frameFor(h, { seq: i }), tsNs: BigInt(i) * 1000n, linkType: L.LINK_ETHERNET }));
const program = encodePolicy(policy);
const dir = mkdtempSync(join(tmpdir(), "pc-bench-nft-"));
try {
  const exportMs: number[] = [];
  let text = "";
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    text = exportNft(policy, a).text!;
    exportMs.push(performance.now() - t);
  }
  const file = join(dir, "set.nft");
  writeFileSync(file, text);
  const runs: { load: number; kernel: number; portcullis: number; total: number }[] = [];
  let summary = "";
  for (let r = 0; r < RUNS; r++) {
    const t = performance.now();
    const v = await verifyCapture({ policy, program, appliance: a, ifnames: ["cb0", "cbout"], nftFile: file, frames, ftpHelper: false });
    runs.push({ load: v.timings.loadMs, kernel: v.timings.kernelMs, portcullis: v.timings.portcullisMs, total: performance.now() - t });
    const differ = v.compared.filter((c) => !c.agree);
    const classes = new Map<string, number>();
    for (const c of differ) classes.set(c.class ?? "unexplained", (classes.get(c.class ?? "unexplained") ?? 0) + 1);
    summary = `${v.compared.length} packets compared, ${v.compared.length - differ.length} agree, ${differ.length} differ` +
      (classes.size ? ` (${[...classes].map(([k, n]) => `${n} ${k.split(":")[0]}`).join(", ")})` : "");
  }
  const nftRules = text.split("\n").filter((l) => /^\t\t[^#]/.test(l)).length;
  console.log(`${RULES}: ${rules} rules -> ${nftRules} nft rule lines (${(text.length / 1024).toFixed(0)} KiB); ${PACKETS} packets; medians of ${RUNS} runs`);
  console.log(`export ${median(exportMs).toFixed(0)} ms; nft -f ${median(runs.map((r) => r.load)).toFixed(0)} ms; ` +
    `kernel pass ${median(runs.map((r) => r.kernel)).toFixed(0)} ms (${(PACKETS / median(runs.map((r) => r.kernel)) * 1000).toFixed(0)} packets/s incl. the wire's start and drain); ` +
    `Portcullis pass ${median(runs.map((r) => r.portcullis)).toFixed(0)} ms; verify total ${median(runs.map((r) => r.total)).toFixed(0)} ms`);
  console.log(summary);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
