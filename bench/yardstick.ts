// The yardstick beside the benchmark: the native linear first-match scan of
// ../shared/classbench/yardstick/linear.c (gcc -O3 -march=native), run in
// the same round as the indexed classifier, so that the benchmark can print
// the same-round ratio that the classifier's goals are stated in (the
// machine's speed drifts over minutes; a ratio from one round does not).
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface Yardstick {
  /** Median ns/packet of the native scan over the whole trace (`reps` passes). */
  ns(rulesPath: string, tracePath: string, reps?: number): number;
  dispose(): void;
}

/** Compile the yardstick of data directory `dir`; null (and why) when it cannot be built. */
export function buildYardstick(dir: string): Yardstick | string {
  const src = join(dir, "yardstick", "linear.c");
  if (!existsSync(src)) return `no ${src}`;
  const tmp = mkdtempSync(join(tmpdir(), "portcullis-yardstick-"));
  const bin = join(tmp, "linear");
  try {
    execFileSync("gcc", ["-O3", "-march=native", "-o", bin, src], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    return `gcc failed: ${(e as Error).message.split("\n")[0]}`;
  }
  return {
    ns(rulesPath, tracePath, reps = 1) {
      const out = execFileSync(bin, [rulesPath, tracePath, String(reps)], { encoding: "utf8" });
      const m = /ns_per_packet=([0-9.]+)/.exec(out);
      if (!m) throw new Error(`yardstick printed no ns_per_packet: ${out}`);
      return Number(m[1]);
    },
    dispose() {
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}
