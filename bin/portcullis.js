#!/usr/bin/env node
// The `portcullis` command: runs the host compiled ahead of time into dist/
// (`npm run build`, which `npm ci` runs as its prepare step). Nothing here
// needs TypeScript at run time.
import { existsSync } from "node:fs";

const main = new URL("../dist/host/cli/main.js", import.meta.url);
if (!existsSync(main)) {
  process.stderr.write(`portcullis: the compiled host is missing (${main.pathname}); run "npm run build" (npm ci does it)\n`);
  process.exit(1);
}
const { main: run } = await import(main.href);
process.exitCode = await run(process.argv.slice(2));
