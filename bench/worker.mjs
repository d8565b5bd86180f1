// Worker entry: a worker's first module is loaded before `--import tsx`
// takes effect, so register tsx here, then run the TypeScript worker.
import { register } from "tsx/esm/api";
register();
await import("./worker.ts");
