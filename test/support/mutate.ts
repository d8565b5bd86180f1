// Structure-aware mutation of config text, for the seeded fuzz tests
// (test/fuzz-*.test.ts): cut, duplicate, swap and drop lines and tokens,
// insert extreme numbers, control characters and long tokens. Deterministic
// for a seed, so a failure is replayed from the seed and case number.

/** mulberry32: a small, fast, seedable PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const EXTREME_NUMBERS = [
  "0", "-1", "-0", "1", "255", "256", "32", "33", "65535", "65536", "4294967295", "4294967296", "4294967297",
  "99999999999999999999999", "1e3", "1e309", "0x19", "0x100000019", "NaN", "Infinity", "00000000000000000080", "+80", "8.0", "٨٠",
];
export const CONTROL = ["\u0000", "\u0007", "\u001b", "\u001b[2J", "\u202e", "\u0085", "\u2028", "\ufeff", "\r", "\t", "\ud800", "\udc00", "\u00a0", "\\", "\"", ":", ",", "/", ";", "#", "[", "]", "=", "@"];

export interface Mutator {
  name: string;
  apply(text: string, r: () => number): string;
}

const pick = <T>(xs: T[], r: () => number): T => xs[Math.floor(r() * xs.length)];
const lines = (t: string) => t.split(/\r\n|\n/);
const eol = (t: string) => (t.includes("\r\n") ? "\r\n" : "\n");

function onLines(text: string, f: (ls: string[], r: () => number) => void, r: () => number): string {
  const ls = lines(text);
  f(ls, r);
  return ls.join(eol(text));
}

/** Token boundaries of a line: runs of non-separators, separators being blanks and the dialects' punctuation. */
function tokens(line: string): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  const re = /[^\s:,/="\][]+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) out.push({ start: m.index, end: m.index + m[0].length });
  return out;
}

function onToken(text: string, r: () => number, f: (tok: string) => string): string {
  return onLines(text, (ls) => {
    const candidates = ls.map((l, i) => i).filter((i) => tokens(ls[i]).length > 0);
    if (candidates.length === 0) return;
    const i = pick(candidates, r);
    const t = pick(tokens(ls[i]), r);
    ls[i] = ls[i].slice(0, t.start) + f(ls[i].slice(t.start, t.end)) + ls[i].slice(t.end);
  }, r);
}

export const MUTATORS: Mutator[] = [
  { name: "cut the text", apply: (t, r) => t.slice(0, Math.floor(r() * t.length)) },
  { name: "cut a line", apply: (t, r) => onLines(t, (ls) => { const i = Math.floor(r() * ls.length); ls[i] = ls[i].slice(0, Math.floor(r() * ls[i].length)); }, r) },
  { name: "drop a line", apply: (t, r) => onLines(t, (ls) => { ls.splice(Math.floor(r() * ls.length), 1); }, r) },
  { name: "duplicate a line", apply: (t, r) => onLines(t, (ls) => { const i = Math.floor(r() * ls.length); ls.splice(i, 0, ls[i]); }, r) },
  { name: "swap two lines", apply: (t, r) => onLines(t, (ls) => { const i = Math.floor(r() * ls.length), j = Math.floor(r() * ls.length); [ls[i], ls[j]] = [ls[j], ls[i]]; }, r) },
  { name: "move a line to the end", apply: (t, r) => onLines(t, (ls) => { const [x] = ls.splice(Math.floor(r() * ls.length), 1); ls.push(x); }, r) },
  { name: "drop a token", apply: (t, r) => onToken(t, r, () => "") },
  { name: "duplicate a token", apply: (t, r) => onToken(t, r, (x) => `${x} ${x}`) },
  { name: "swap tokens of a line", apply: (t, r) => onLines(t, (ls) => {
    const i = Math.floor(r() * ls.length);
    const ts = tokens(ls[i]);
    if (ts.length < 2) return;
    const a = pick(ts, r), b = pick(ts, r);
    if (a === b) return;
    const [x, y] = a.start < b.start ? [a, b] : [b, a];
    const l = ls[i];
    ls[i] = l.slice(0, x.start) + l.slice(y.start, y.end) + l.slice(x.end, y.start) + l.slice(x.start, x.end) + l.slice(y.end);
  }, r) },
  { name: "replace a token by an extreme number", apply: (t, r) => onToken(t, r, () => pick(EXTREME_NUMBERS, r)) },
  { name: "replace a number by an extreme one", apply: (t, r) => onToken(t, r, (x) => (/\d/.test(x) ? x.replace(/\d+/, pick(EXTREME_NUMBERS, r)) : x)) },
  { name: "insert a control character", apply: (t, r) => { const i = Math.floor(r() * (t.length + 1)); return t.slice(0, i) + pick(CONTROL, r) + t.slice(i); } },
  { name: "replace a character by a control character", apply: (t, r) => { const i = Math.floor(r() * t.length); return t.slice(0, i) + pick(CONTROL, r) + t.slice(i + 1); } },
  // Up to about 200 KB more per application: the cases stay far below the
  // configuration size limit (a larger file is refused unread, CFG007).
  { name: "a long token", apply: (t, r) => onToken(t, r, (x) => x.repeat(Math.max(1, Math.floor((200 + Math.floor(r() * 2000)) * Math.min(1, 100 / x.length))))) },
  { name: "change the case of a token", apply: (t, r) => onToken(t, r, (x) => (r() < 0.5 ? x.toUpperCase() : x.toLowerCase())) },
  { name: "insert a line from elsewhere", apply: (t, r) => onLines(t, (ls) => { ls.splice(Math.floor(r() * (ls.length + 1)), 0, pick(ls, r)); }, r) },
  { name: "blank the text", apply: (t, r) => (r() < 0.5 ? "" : t.replace(/\S/g, " ")) },
  { name: "CR-only line ends", apply: (t) => t.replace(/\r?\n/g, "\r") },
];

/** One case: 1 to 4 mutations of a seed text. */
export function mutate(seedText: string, r: () => number): { text: string; steps: string[] } {
  let text = seedText;
  const steps: string[] = [];
  const n = 1 + Math.floor(r() * 4);
  for (let k = 0; k < n; k++) {
    const m = pick(MUTATORS, r);
    text = m.apply(text, r);
    steps.push(m.name);
  }
  return { text, steps };
}

/** How many cases to run: a few thousand in CI, PORTCULLIS_FUZZ_CASES=N for millions locally. */
export function fuzzCases(ciDefault: number): number {
  const env = Number(process.env.PORTCULLIS_FUZZ_CASES);
  return Number.isFinite(env) && env > 0 ? Math.floor(env) : ciDefault;
}

export function fuzzSeed(): number {
  const env = Number(process.env.PORTCULLIS_FUZZ_SEED);
  return Number.isFinite(env) ? Math.floor(env) : 20261129;
}
