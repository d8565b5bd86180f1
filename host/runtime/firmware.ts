// What `status` says about the firmware itself: the project's version and
// commit, the kernel, and (inside the appliance image, whose init sets them)
// the accelerator QEMU used and where the configuration came from.
import { readFileSync } from "node:fs";
import { release } from "node:os";
import { packagePath } from "../package-root.ts";

export interface FirmwareFacts {
  version: string;
  commit: string | null;
  kernel: string;
  accelerator: string | null;
  origin: string | null;
}

let facts: FirmwareFacts | null = null;

export function firmwareFacts(): FirmwareFacts {
  if (facts) return facts;
  let version = "unknown";
  try { version = String(JSON.parse(readFileSync(packagePath("package.json"), "utf8")).version); } catch { /* unknown */ }
  facts = {
    version,
    commit: process.env.PORTCULLIS_COMMIT || null,
    kernel: release(),
    accelerator: process.env.PORTCULLIS_ACCEL || null,
    origin: process.env.PORTCULLIS_ORIGIN || null,
  };
  return facts;
}
