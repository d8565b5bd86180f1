// Entry of the reload's worker thread: the host is TypeScript run through
// tsx's loader, which a worker does not inherit from bin/portcullis.js (or
// from a test runner), so it registers the loader itself first.
import { register } from "tsx/esm/api";
register();
await import("./check-worker.ts");
