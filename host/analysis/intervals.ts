// Sets of integers as sorted, disjoint, non-adjacent half-open intervals
// [lo0, hi0, lo1, hi1, ...] (lo inclusive, hi exclusive). One header field of
// a region is one such set. Values are numbers, except IPv6 addresses, which
// are bigints: the operations below only compare values (no arithmetic), so
// one code serves both, and half-open bounds spare every `+ 1`.

export type Value = number | bigint;
export type ISet = Value[];

export const EMPTY: ISet = [];

export function interval(lo: Value, hi: Value): ISet {
  return lo < hi ? [lo, hi] : EMPTY;
}

export function isEmpty(a: ISet): boolean {
  return a.length === 0;
}

/** Do the two sets share a value? (No allocation: this is the hot test.) */
export function intersects(a: ISet, b: ISet): boolean {
  if (a.length === 2 && b.length === 2) return a[0] < b[1] && b[0] < a[1];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (a[i + 1] <= b[j]) i += 2;
    else if (b[j + 1] <= a[i]) j += 2;
    else return true;
  }
  return false;
}

export function intersect(a: ISet, b: ISet): ISet {
  if (a.length === 2 && b.length === 2) {
    const lo = a[0] > b[0] ? a[0] : b[0];
    const hi = a[1] < b[1] ? a[1] : b[1];
    return lo < hi ? (lo === a[0] && hi === a[1] ? a : lo === b[0] && hi === b[1] ? b : [lo, hi]) : EMPTY;
  }
  const out: ISet = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = a[i] > b[j] ? a[i] : b[j];
    const hi = a[i + 1] < b[j + 1] ? a[i + 1] : b[j + 1];
    if (lo < hi) out.push(lo, hi);
    if (a[i + 1] < b[j + 1]) i += 2;
    else j += 2;
  }
  return out;
}

/** a minus b */
export function minus(a: ISet, b: ISet): ISet {
  const out: ISet = [];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    let lo = a[i];
    const hi = a[i + 1];
    while (j < b.length && b[j + 1] <= lo) j += 2;
    let k = j;
    while (k < b.length && b[k] < hi) {
      if (b[k] > lo) out.push(lo, b[k]);
      if (b[k + 1] > lo) lo = b[k + 1];
      if (lo >= hi) break;
      k += 2;
    }
    if (lo < hi) out.push(lo, hi);
  }
  return out;
}

/** Is every value of a also in b? */
export function subset(a: ISet, b: ISet): boolean {
  if (a.length === 2 && b.length === 2) return b[0] <= a[0] && a[1] <= b[1];
  let j = 0;
  for (let i = 0; i < a.length; i += 2) {
    while (j < b.length && b[j + 1] <= a[i]) j += 2;
    if (j >= b.length || b[j] > a[i] || b[j + 1] < a[i + 1]) return false;
  }
  return true;
}

export function union(a: ISet, b: ISet): ISet {
  const all: [Value, Value][] = [];
  for (let i = 0; i < a.length; i += 2) all.push([a[i], a[i + 1]]);
  for (let i = 0; i < b.length; i += 2) all.push([b[i], b[i + 1]]);
  return fromPairs(all);
}

export function equal(a: ISet, b: ISet): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Normalise any list of [lo, hi) pairs (overlapping, unsorted) into a set. */
export function fromPairs(pairs: [Value, Value][]): ISet {
  const ps = pairs.filter(([lo, hi]) => lo < hi).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: ISet = [];
  for (const [lo, hi] of ps) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]) {
      if (hi > out[n - 1]) out[n - 1] = hi;
    } else {
      out.push(lo, hi);
    }
  }
  return out;
}

/** The set of the values 0 <= v < n for which pred holds. */
export function fromPredicate(n: number, pred: (v: number) => boolean, offset = 0): ISet {
  const out: ISet = [];
  for (let v = 0; v < n; v++) {
    if (!pred(v)) continue;
    const last = out.length;
    if (last > 0 && out[last - 1] === v + offset) out[last - 1] = v + offset + 1;
    else out.push(v + offset, v + offset + 1);
  }
  return out;
}

export function key(a: ISet): string {
  return a.join(",");
}
