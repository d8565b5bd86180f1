// The kernel as outside oracle for first-match classification: each
// ClassBench 1k set, exported by the same rule translation as `export --to
// nft` (host/export/nft/match.ts), runs in a netdev chain that writes the
// index of the first matching rule into the packet (host/verify/probe.ts);
// the indices the kernel finds for the full trace equal the `.expected` files.
// Where the export splits a long ruleset into address buckets (buckets.ts),
// the probe does too, so the buckets' first match is checked rule by rule.
import { describe, it, expect } from "vitest";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { noKernel, kernelWhyNot, frameFor } from "./support/kernel.ts";
import { readClassBenchRules, readClassBenchTrace, readExpected } from "../host/classbench/classbench.ts";
import { parseAppliance } from "../host/model/appliance.ts";
import { makeRouter, teardown, loadNft } from "../host/verify/namespace.ts";
import { transmit } from "../host/verify/wire.ts";
import { ipPayload } from "../host/verify/frames.ts";
import { probeScript, NO_MATCH } from "../host/verify/probe.ts";

const CB = "../shared/classbench/";

describe.skipIf(noKernel)(`ClassBench 1k sets: the kernel's first match equals .expected${kernelWhyNot ? ` (skipped: ${kernelWhyNot})` : ""}`, () => {
  it("acl1, fw1 and ipc1 over their full traces", async () => {
    const a = parseAppliance({ interfaces: [{ name: "cb0", role: "private" }, { name: "cbout", role: "public" }] }, "test");
    const router = makeRouter(a, ["cb0", "cbout"]);
    const dir = mkdtempSync(join(tmpdir(), "pc-cb-"));
    try {
      let total = 0;
      for (const set of ["acl1", "fw1", "ipc1"]) {
        const { policy, diagnostics } = readClassBenchRules(CB + set + "_1k");
        expect(diagnostics).toEqual([]);
        const file = join(dir, set + ".nft");
        const script = probeScript(policy.rulesets[0], "cb0", "cbout", { portsAnyProtocol: true });
        // acl1 splits into address buckets as the export would; fw1 and ipc1 (many wild addresses) stay one chain.
        expect(script.includes(" vmap ")).toBe(set === "acl1");
        writeFileSync(file, script);
        expect(loadNft(router, file, "UTC")).toBeNull();
        const trace = readClassBenchTrace(CB + set + "_1k_trace").headers;
        const expected = readExpected(CB + set + "_1k_trace.expected");
        expect(trace.length).toBe(expected.length);
        const port = router.ports[0];
        // The trace number rides in the transport header's bytes 4..7 (no rule reads them).
        const sends = trace.map((h, i) => {
          const f = frameFor(h, { seq: i });
          f.set([2, 0x70, 0x63, 0, 1, 0], 0); // to the router's port
          return { port: 0, frame: f };
        });
        const got = await transmit(router.ports, sends, 200);
        const answer = new Array<number>(trace.length).fill(-2);
        for (const r of got) {
          if (r.port !== 1) continue;
          const ip = ipPayload(r.frame, 0)!;
          const n = new DataView(ip.buffer, ip.byteOffset).getUint32(24);
          const id = (ip[4] << 8) | ip[5];
          if (n < answer.length) answer[n] = id === NO_MATCH ? -1 : id;
        }
        const wrong = answer.flatMap((x, i) => (x === expected[i] ? [] : [`#${i + 1}: kernel ${x}, expected ${expected[i]}`]));
        expect(wrong.slice(0, 10)).toEqual([]);
        total += trace.length;
      }
      expect(total).toBe(15555 + 8361 + 9800);
    } finally {
      teardown(router);
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
