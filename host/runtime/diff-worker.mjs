// Entry of the dry run's worker thread from the TypeScript sources (see
// check-worker.mjs): register tsx's loader first.
import { register } from "tsx/esm/api";
register();
await import("./diff-worker.ts");
