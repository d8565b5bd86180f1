// A module beside this one, by URL, for what tsc's import rewriting does not
// reach (a Worker's entry point, `new URL("./x.ts", import.meta.url)`): the
// `.ts` file when the sources run (vitest, tsx), the `.js` file when the
// compiled host in dist/ runs.

/** The URL of module `name` (a relative path without extension) beside the module whose import.meta.url is `from`. */
export function siblingModule(from: string, name: string): URL {
  const ext = new URL(from).pathname.endsWith(".ts") ? ".ts" : ".js";
  return new URL(name + ext, from);
}
