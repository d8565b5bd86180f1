// `portcullis run` as a child process, with the tiny test dialect registered
// (the runtime tests must not depend on a real dialect).
import { registerMini } from "./mini-dialect.ts";
import { main } from "../../host/cli/main.ts";

registerMini();
process.exitCode = await main(process.argv.slice(2));
