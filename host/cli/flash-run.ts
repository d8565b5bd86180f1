// `portcullis run --flash DIR [--flash-device DEV]`: the appliance takes its
// configuration from its flash (runtime/flash.ts: the rule files in DIR in
// name order, DIR's *.appliance.json as the appliance description) and
// accepts `portcullis push`, which replaces it there once it is checked and
// applied. With --flash-device (the firmware image's /dev/vda), a push also
// rewrites the tar on that disk, so it survives a reboot.
import { join } from "node:path";
import { UsageError } from "./args.ts";
import { Flash, FlashError } from "../runtime/flash.ts";
import { acceptPushes } from "../runtime/push.ts";
import type { LiveAppliance } from "../runtime/live.ts";

/** A name no flash file has (names never start with "("): loading it fails closed with CFG001, naming the cause. */
const NOTHING = "(the flash holds no configuration)";

export interface FlashRun {
  configs: string[];
  appliance: string | undefined;
  attach(live: LiveAppliance): void;
}

export async function flashConfiguration(values: Record<string, any>, positionals: string[]): Promise<FlashRun | null> {
  if (values.flash === undefined) {
    if (values["flash-device"] !== undefined) throw new UsageError("--flash-device goes with --flash DIR");
    return null;
  }
  if (positionals.length) throw new UsageError("--flash DIR holds the configuration: give no CONFIG files with it");
  if (values.appliance !== undefined) throw new UsageError("--flash DIR holds the appliance description (*.appliance.json): no --appliance with it");
  const flash = new Flash(values.flash, values["flash-device"] ?? null);
  let contents;
  try {
    flash.recover();
    contents = flash.contents();
  } catch (e) {
    throw new UsageError(`--flash ${values.flash}: ${e instanceof FlashError ? e.message : ((e as NodeJS.ErrnoException).code ?? (e as Error).message)}`);
  }
  return {
    configs: contents.configs.length ? contents.configs : [join(flash.dir, NOTHING)],
    appliance: contents.appliance,
    attach(live) {
      acceptPushes(live, flash);
      // The image's init names an origin of its own (the image's default) when the flash disk was blank.
      if (!process.env.PORTCULLIS_ORIGIN) live.configOrigin = flash.origin();
    },
  };
}
