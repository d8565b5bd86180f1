// `node --import ./test/support/trace-imports.mjs ...`: appends the URL of
// every module the process loads, one a line, to $PORTCULLIS_IMPORT_TRACE
// (test/lazy-load.test.ts reads it to see what a command loads).
import { register } from "node:module";

register("./trace-imports-hooks.mjs", import.meta.url, { data: { out: process.env.PORTCULLIS_IMPORT_TRACE } });
