// Where the ClassBench data lives: $CLASSBENCH_DIR, else ../shared/classbench
// beside the repository (a checkout in /work/main), else two levels up (a
// worktree in /work/wt/NAME).
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

export function classBenchDir(): string {
  if (process.env.CLASSBENCH_DIR) return process.env.CLASSBENCH_DIR;
  const near = fileURLToPath(new URL("../../shared/classbench", import.meta.url));
  const far = fileURLToPath(new URL("../../../shared/classbench", import.meta.url));
  return existsSync(near) || !existsSync(far) ? near : far;
}
