// Registers every dialect front end. Import this once (the CLI does).
import { registerDialect } from "./registry.ts";
import { instagateDialect } from "./instagate/index.ts";

// Each dialect adds one line here.
export function registerAllDialects(): void {
  void registerDialect;
  registerDialect(instagateDialect);
}
