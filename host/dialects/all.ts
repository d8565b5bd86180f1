// Registers every dialect front end. Import this once (the CLI does).
// Only the detectors are imported here; a front end is imported when a
// configuration in its dialect is loaded (registry.ts).
import { registerLazyDialect, importAllFrontEnds } from "./registry.ts";
import { detectPortmaster } from "./portmaster/detect.ts";
import { detectWince } from "./wince/detect.ts";
import { detectWinfw } from "./winfw/detect.ts";
import { detectInstagate } from "./instagate/detect.ts";

// Each dialect adds one line here.
export function registerAllDialects(): void {
  registerLazyDialect("portmaster", detectPortmaster, async () => (await import("./portmaster/index.ts")).portmaster);
  registerLazyDialect("wince", detectWince, async () => (await import("./wince/index.ts")).wince);
  registerLazyDialect("winfw", detectWinfw, async () => (await import("./winfw/index.ts")).winfwDialect);
  registerLazyDialect("instagate", detectInstagate, async () => (await import("./instagate/index.ts")).instagateDialect);
}

/** Register and import every front end: for a long-running process, whose reloads must not wait for an import. */
export async function importAllDialects(): Promise<void> {
  registerAllDialects();
  await importAllFrontEnds();
}
