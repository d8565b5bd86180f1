// Where the installed package is: the nearest folder above this module whose
// package.json is named "portcullis". Built artifacts (build/*.wasm) are found
// from there, never from this file's depth, so the same code runs from the
// TypeScript sources (host/), from the compiled output (dist/host/) and from
// an image that copies either.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_NAME = "portcullis";

/** The package root above `from` (a file or folder path); throws if there is none. */
export function findPackageRoot(from: string): string {
  for (let dir = from; ; ) {
    try {
      if (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name === PACKAGE_NAME) return dir;
    } catch {
      // no package.json here, or not JSON: keep climbing
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`no package.json named "${PACKAGE_NAME}" above ${from}`);
    dir = up;
  }
}

let root: string | undefined;

/** The root of this installation, found once. */
export function packageRoot(): string {
  return (root ??= findPackageRoot(dirname(fileURLToPath(import.meta.url))));
}

/** A path inside the package, e.g. packagePath("build", "release.wasm"). */
export function packagePath(...parts: string[]): string {
  return join(packageRoot(), ...parts);
}
