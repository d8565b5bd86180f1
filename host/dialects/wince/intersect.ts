// The packets two rules both match, as rules (none, one, or two when time
// windows split). Used to mark, among the rules that decide, the packets a
// logging rule with FWM_ACTION wants logged. Handles the shapes this dialect
// produces: plain (never negated) prefixes, eq/range destination ports.
import { prefixCovers } from "../../model/addr.ts";
import { type Rule, type PortTest, type TimeWindow, portRange, ruleFamily } from "../../model/rule.ts";

const EMPTY = Symbol("empty");

function both<T>(a: T | null, b: T | null, meet: (x: T, y: T) => T | typeof EMPTY): T | null | typeof EMPTY {
  if (a === null) return b;
  if (b === null) return a;
  return meet(a, b);
}

function meetAddr(a: NonNullable<Rule["src"]>, b: NonNullable<Rule["src"]>) {
  if (prefixCovers(a.prefix, b.prefix)) return b;
  if (prefixCovers(b.prefix, a.prefix)) return a;
  return EMPTY;
}

function meetPorts(a: PortTest, b: PortTest): PortTest | typeof EMPTY {
  const x = portRange(a), y = portRange(b);
  const lo = Math.max(x.lo, y.lo), hi = Math.min(x.hi, y.hi);
  if (lo > hi) return EMPTY;
  return lo === hi ? { op: "eq", port: lo } : { op: "range", lo, hi };
}

function eq<T>(a: T, b: T): T | typeof EMPTY {
  return a === b ? a : EMPTY;
}

/** A window's minutes as inclusive intervals within one day. */
function minutes(w: TimeWindow): [number, number][] {
  return w.minuteFrom <= w.minuteTo ? [[w.minuteFrom, w.minuteTo]] : [[w.minuteFrom, 1439], [0, w.minuteTo]];
}

function meetTimes(a: TimeWindow, b: TimeWindow): TimeWindow[] {
  const daysOfWeek = a.daysOfWeek & b.daysOfWeek, days = (a.days & b.days) >>> 0, months = a.months & b.months;
  if (!daysOfWeek || !days || !months) return [];
  const parts: [number, number][] = [];
  for (const [p, q] of minutes(a)) for (const [r, s] of minutes(b)) {
    const lo = Math.max(p, r), hi = Math.min(q, s);
    if (lo <= hi) parts.push([lo, hi]);
  }
  parts.sort((x, y) => x[0] - y[0]);
  // An interval ending at 23:59 and one starting at 00:00 are one window across midnight.
  const last = parts[parts.length - 1];
  if (parts.length >= 2 && parts[0][0] === 0 && last[1] === 1439) {
    const first = parts.shift()!;
    parts.pop();
    parts.push([last[0], first[1]]);
  }
  return parts.map(([lo, hi]) => ({ minuteFrom: lo, minuteTo: hi, daysOfWeek, days, months }));
}

/** Rules matching exactly the packets both `a` and `b` match; action and marks come from `a`. */
export function intersectRules(a: Rule, b: Rule): Rule[] {
  const fa = ruleFamily(a), fb = ruleFamily(b);
  if (fa !== null && fb !== null && fa !== fb) return [];
  const src = both(a.src, b.src, meetAddr);
  const dst = both(a.dst, b.dst, meetAddr);
  const proto = both(a.proto, b.proto, eq);
  const dport = both(a.dport, b.dport, meetPorts);
  const icmpType = both(a.icmpType, b.icmpType, eq);
  const icmpCode = both(a.icmpCode, b.icmpCode, eq);
  if ([src, dst, proto, dport, icmpType, icmpCode].includes(EMPTY)) return [];
  const base: Rule = {
    ...a, family: fa ?? fb, src: src as Rule["src"], dst: dst as Rule["dst"], proto: proto as number | null,
    dport: dport as PortTest | null, icmpType: icmpType as number | null, icmpCode: icmpCode as number | null,
  };
  if (a.time === null || b.time === null) return [{ ...base, time: a.time ?? b.time }];
  return meetTimes(a.time, b.time).map((time) => ({ ...base, time }));
}
