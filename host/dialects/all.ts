// Registers every dialect front end. Import this once (the CLI does).
import { registerDialect } from "./registry.ts";
import { portmaster } from "./portmaster/index.ts";
import { wince } from "./wince/index.ts";
import { winfwDialect } from "./winfw/index.ts";
import { instagateDialect } from "./instagate/index.ts";

// Each dialect adds one line here.
export function registerAllDialects(): void {
  registerDialect(portmaster);
  registerDialect(wince);
  registerDialect(winfwDialect);
  registerDialect(instagateDialect);
}
