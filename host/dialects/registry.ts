// The dialects the command line knows, and detection from file content.
import type { Dialect, DialectName } from "./dialect.ts";

const dialects: Dialect[] = [];

export function registerDialect(d: Dialect): void {
  if (!dialects.some((x) => x.name === d.name)) dialects.push(d);
}

export function dialectNamed(name: string): Dialect | undefined {
  return dialects.find((d) => d.name === name);
}

export function knownDialects(): DialectName[] {
  return dialects.map((d) => d.name);
}

/** The dialect whose detector is most confident, if any is above zero. */
export function detectDialect(text: string): Dialect | undefined {
  let best: Dialect | undefined;
  let bestScore = 0;
  for (const d of dialects) {
    const s = d.detect(text);
    if (s > bestScore) { best = d; bestScore = s; }
  }
  return best;
}
