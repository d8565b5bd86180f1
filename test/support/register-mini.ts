// Imported by the live appliance's reload worker (check-worker.ts): registers
// the tiny test dialect there too.
import { registerMini } from "./mini-dialect.ts";

registerMini();
