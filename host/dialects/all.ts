// Registers every dialect front end. Import this once (the CLI does).
import { registerDialect } from "./registry.ts";
import { portmaster } from "./portmaster/index.ts";
import { winfwDialect } from "./winfw/index.ts";

// Each dialect adds one line here.
export function registerAllDialects(): void {
  registerDialect(portmaster);
  registerDialect(winfwDialect);
}
