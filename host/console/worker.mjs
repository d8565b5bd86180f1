// Entry of the console's worker thread from the TypeScript sources (tests,
// benchmarks): a worker does not inherit tsx's loader, so it registers it
// first. The compiled host (dist/) starts worker.js directly.
import { register } from "tsx/esm/api";
register();
await import("./worker.ts");
