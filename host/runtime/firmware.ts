// What `status` says about the firmware itself: the project's version and
// commit (host/build-info.ts, as the console's portcullis_build_info), the
// kernel, and (inside the appliance image, whose init sets them) the
// accelerator QEMU used and where the configuration came from.
import { release } from "node:os";
import { buildInfo } from "../build-info.ts";

export interface FirmwareFacts {
  version: string;
  commit: string;
  kernel: string;
  accelerator: string | null;
  origin: string | null;
}

let facts: FirmwareFacts | null = null;

export function firmwareFacts(): FirmwareFacts {
  return (facts ??= {
    ...buildInfo(),
    kernel: release(),
    accelerator: process.env.PORTCULLIS_ACCEL || null,
    origin: process.env.PORTCULLIS_ORIGIN || null,
  });
}
