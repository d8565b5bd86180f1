#!/usr/bin/env node
// The `portcullis` command. The host is TypeScript run through tsx's loader,
// so a fresh clone needs no separate build step beside the WebAssembly one.
import { register } from "tsx/esm/api";
register();
const { main } = await import("../host/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
