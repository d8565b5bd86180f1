#!/usr/bin/env node
// The `portcullis` command: runs the host compiled ahead of time into dist/
// (`npm run build`, which `npm ci` runs as its prepare step). Nothing here
// needs TypeScript at run time.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const compiled = new URL("../dist/host/cli/main.js", import.meta.url);
if (!existsSync(compiled)) {
  process.stderr.write(`portcullis: the compiled host is missing (${fileURLToPath(compiled)}); run "npm run build" (npm ci does it)\n`);
  process.exit(1);
}
const { main } = await import(compiled.href);
process.exitCode = await main(process.argv.slice(2));
