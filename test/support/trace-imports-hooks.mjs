// The loader hooks of trace-imports.mjs (they run on Node's loader thread).
import { appendFileSync } from "node:fs";

let out;

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, next) {
  if (out) appendFileSync(out, url + "\n");
  return next(url, context);
}
