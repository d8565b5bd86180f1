// Imported by the live appliance's reload worker: registers the hardening
// tests' dialects there too.
import { registerHostile } from "./hostile-dialects.ts";

registerHostile();
