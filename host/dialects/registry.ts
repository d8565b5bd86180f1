// The dialects the command line knows, and detection from file content.
// A dialect is known by its name and its detector, both cheap; its front end
// (parser, checks, lowering, printer) is imported only when a configuration
// in that dialect is loaded, so a command never loads the other dialects.
import type { Dialect, DialectName } from "./dialect.ts";

export interface DialectEntry {
  name: DialectName;
  /** How sure are we that this text is in this dialect? 0 = not at all, 1 = certain. */
  detect(text: string): number;
  /** Imports the front end (once). */
  importFrontEnd(): Promise<Dialect>;
  /** The front end, once imported. */
  loaded?: Dialect;
}

const dialects: DialectEntry[] = [];

function add(entry: DialectEntry): void {
  if (!dialects.some((x) => x.name === entry.name)) dialects.push(entry);
}

/** A dialect whose front end is already at hand (tests' own dialects). */
export function registerDialect(d: Dialect): void {
  add({ name: d.name, detect: (text) => d.detect(text), importFrontEnd: async () => d, loaded: d });
}

/** A dialect known by its detector, whose front end `importFrontEnd` imports on first use. */
export function registerLazyDialect(name: DialectName, detect: (text: string) => number, importFrontEnd: () => Promise<Dialect>): void {
  add({ name, detect, importFrontEnd });
}

export function dialectNamed(name: string): DialectEntry | undefined {
  return dialects.find((d) => d.name === name);
}

export function knownDialects(): DialectName[] {
  return dialects.map((d) => d.name);
}

/** The dialect whose detector is most confident, if any is above zero. */
export function detectDialect(text: string): DialectEntry | undefined {
  let best: DialectEntry | undefined;
  let bestScore = 0;
  for (const d of dialects) {
    const s = d.detect(text);
    if (s > bestScore) { best = d; bestScore = s; }
  }
  return best;
}

/** The dialect's front end, imported on first use. */
export async function frontEnd(d: DialectEntry): Promise<Dialect> {
  return (d.loaded ??= await d.importFrontEnd());
}

/** Import every registered front end: for a long-running process whose reloads must not wait. */
export async function importAllFrontEnds(): Promise<void> {
  await Promise.all(dialects.map(frontEnd));
}
