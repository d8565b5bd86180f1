// Registers every dialect front end. Import this once (the CLI does).
import { registerDialect } from "./registry.ts";
import { wince } from "./wince/index.ts";

// Each dialect adds one line here.
export function registerAllDialects(): void {
  void registerDialect;
  registerDialect(wince);
}
