// fast-check generators of random policies and packets that exercise every
// rule feature of the core model. Values come from small pools so that rules
// and packets collide often: a random /32 would almost never be hit.
import fc from "fast-check";
import * as L from "../../assembly/layout.ts";
import { makePrefix, type Prefix } from "../../host/model/addr.ts";
import type { Policy, Rule, PortTest, FlagsTest, TimeWindow, Ruleset } from "../../host/model/rule.ts";
import type { PacketHeader, PacketMeta } from "../../host/engine/header.ts";

export const IFACES = ["lan", "wan", "dmz"];

const V4_POOL = [0x0a000001, 0x0a000002, 0x0a0000ff, 0x0a010203, 0xc0a80001, 0xc0a80065, 0xc0a80166, 0x7f000001, 0xffffffff, 0];
const V6_POOL = [
  [0x20010db8, 0, 0, 1], [0x20010db8, 0, 0, 2], [0x20010db8, 1, 0, 1], [0xfe800000, 0, 0, 1], [0, 0, 0, 1], [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
];
const PORT_POOL = [0, 1, 20, 21, 22, 23, 25, 53, 80, 110, 443, 1023, 1024, 1025, 8080, 65534, 65535];
const PROTO_POOL = [6, 17, 1, 58, 50, 51, 4, 47, 132, 0, 255];

const port = fc.oneof(fc.constantFrom(...PORT_POOL), fc.integer({ min: 0, max: 65535 }));
const v4 = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...V4_POOL) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) });
const v6 = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...V6_POOL) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 0xffffffff })) },
);

function prefix(family: 4 | 6): fc.Arbitrary<Prefix> {
  if (family === 4) {
    return fc.tuple(v4, fc.oneof(fc.constantFrom(0, 8, 16, 24, 31, 32), fc.integer({ min: 0, max: 32 })))
      .map(([w, len]) => makePrefix({ family: 4, words: [w >>> 0] }, len));
  }
  return fc.tuple(v6, fc.oneof(fc.constantFrom(0, 32, 64, 96, 127, 128), fc.integer({ min: 0, max: 128 })))
    .map(([ws, len]) => makePrefix({ family: 6, words: ws.map((w) => w >>> 0) }, len));
}

const portTest: fc.Arbitrary<PortTest> = fc.oneof(
  fc.record({ op: fc.constantFrom("eq" as const, "neq" as const, "lt" as const, "gt" as const), port }),
  fc.tuple(port, port).map(([a, b]) => ({ op: "range" as const, lo: Math.min(a, b), hi: Math.max(a, b) })),
);

const flagsTest: fc.Arbitrary<FlagsTest> = fc.oneof(
  fc.constant({ mask: 16 | 4, value: 0, mode: "any" as const }),
  fc.record({ mask: fc.integer({ min: 0, max: 63 }), value: fc.integer({ min: 0, max: 63 }), mode: fc.constantFrom("all" as const, "any" as const) }),
);

const timeWindow: fc.Arbitrary<TimeWindow> = fc.record({
  minuteFrom: fc.integer({ min: 0, max: 1439 }),
  minuteTo: fc.integer({ min: 0, max: 1439 }),
  daysOfWeek: fc.oneof(fc.constant(0x7f), fc.integer({ min: 0, max: 0x7f })),
  days: fc.oneof(fc.constant(0x7fffffff), fc.integer({ min: 0, max: 0x7fffffff })),
  months: fc.oneof(fc.constant(0xfff), fc.integer({ min: 0, max: 0xfff })),
});

/** `a` one time in `oneIn`, else null. */
function maybe<T>(a: fc.Arbitrary<T>, oneIn = 2): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: a });
}

/** `a` except one time in `oneIn`, when null. */
function mostly<T>(a: fc.Arbitrary<T>, oneIn = 4): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: oneIn - 1, arbitrary: a }, { weight: 1, arbitrary: fc.constant(null) });
}

export const ruleArb: fc.Arbitrary<Rule> = fc.constantFrom<4 | 6>(4, 6).chain((family) =>
  fc.record({
    action: fc.constantFrom("permit" as const, "deny" as const),
    log: fc.boolean(),
    notify: fc.boolean(),
    keepState: fc.constant(false),
    ifIn: maybe(fc.constantFrom(...IFACES), 4),
    ifOut: maybe(fc.constantFrom(...IFACES), 4),
    family: fc.constantFrom(family, null),
    src: maybe(fc.record({ prefix: prefix(family), negate: fc.boolean() })),
    dst: maybe(fc.record({ prefix: prefix(family), negate: fc.boolean() })),
    proto: maybe(fc.constantFrom(...PROTO_POOL), 2),
    sport: maybe(portTest, 4),
    dport: maybe(portTest, 3),
    icmpType: maybe(fc.constantFrom(0, 3, 8, 11, 128, 129), 5),
    icmpCode: maybe(fc.constantFrom(0, 1, 3), 8),
    flags: maybe(flagsTest, 4),
    time: maybe(timeWindow, 8),
    origin: fc.constant({ dialect: "random", file: "random", line: 1, column: 1, text: "" }),
  }).map((r) => ({ ...r, family: r.src || r.dst ? family : r.family })),
);

const verdict = fc.constantFrom("permit" as const, "deny" as const);

const rulesetFields = {
  name: fc.constantFrom("a", "b", "c"),
  defaults: fc.record({ inbound: verdict, outbound: verdict, other: verdict }),
  stateful: fc.constant(false),
};

const rulesetArb: fc.Arbitrary<Ruleset> = fc.record({
  name: fc.constantFrom("a", "b", "c"),
  rules: fc.array(ruleArb, { minLength: 0, maxLength: 24, size: "max" }),
  defaults: fc.record({ inbound: verdict, outbound: verdict, other: verdict }),
  stateful: fc.constant(false),
});

/** Rulesets of hundreds of rules, so that an index has something to split. */
const largeRulesetArb: fc.Arbitrary<Ruleset> = fc.record({
  name: fc.constantFrom("a", "b"),
  rules: fc.array(ruleArb, { minLength: 150, maxLength: 600 }),
  defaults: fc.record({ inbound: verdict, outbound: verdict, other: verdict }),
  stateful: fc.constant(false),
});

export const policyArb: fc.Arbitrary<Policy> = policyOf(fc.array(rulesetArb, { minLength: 1, maxLength: 3 }));
/** policyArb with no output ruleset bound and no monitor ruleset: what the pipeline's input-only pass takes. */
export const inputOnlyPolicyArb: fc.Arbitrary<Policy> = policyArb.map((p) => ({ ...p, output: p.output.map(() => null), monitor: null }));
export const largePolicyArb: fc.Arbitrary<Policy> = policyOf(fc.array(largeRulesetArb, { minLength: 1, maxLength: 2 }));
/** Up to two rulesets of up to five rules: for the header-space analyses, whose answers grow fast with size. */
export const smallPolicyArb: fc.Arbitrary<Policy> = policyOf(fc.array(
  fc.record({ ...rulesetFields, rules: fc.array(ruleArb, { minLength: 0, maxLength: 5 }) }), { minLength: 1, maxLength: 2 }));

function policyOf(rulesetsArb: fc.Arbitrary<Ruleset[]>): fc.Arbitrary<Policy> {
  return rulesetsArb.chain((rulesets) => {
  const binding = fc.array(mostly(fc.integer({ min: 0, max: rulesets.length - 1 }), 3), { minLength: IFACES.length, maxLength: IFACES.length });
  return fc.record({
    dialect: fc.constant("random"),
    interfaces: fc.constant(IFACES),
    rulesets: fc.constant(rulesets),
    input: binding,
    output: binding,
    monitor: maybe(fc.integer({ min: 0, max: rulesets.length - 1 }), 3),
  });
  });
}

export const headerArb: fc.Arbitrary<PacketHeader> = fc.constantFrom<4 | 6>(4, 6).chain((family) =>
  fc.record({
    reason: fc.oneof({ weight: 20, arbitrary: fc.constant(L.REASON_OK) }, { weight: 1, arbitrary: fc.integer({ min: L.REASON_MALFORMED_FIRST, max: L.REASON_MALFORMED_LAST }) }),
    family: fc.constant(family),
    proto: fc.oneof(fc.constantFrom(...PROTO_POOL), fc.integer({ min: 0, max: 255 })),
    frag: fc.constantFrom("none" as const, "none" as const, "none" as const, "first" as const, "later" as const),
    src: family === 4 ? v4.map((w) => [w >>> 0]) : v6.map((ws) => ws.map((w) => w >>> 0)),
    dst: family === 4 ? v4.map((w) => [w >>> 0]) : v6.map((ws) => ws.map((w) => w >>> 0)),
    sport: mostly(port),
    dport: mostly(port),
    icmpType: mostly(fc.constantFrom(0, 3, 8, 11, 128, 129, 255), 2),
    icmpCode: mostly(fc.constantFrom(0, 1, 3, 255), 2),
    tcpFlags: mostly(fc.integer({ min: 0, max: 63 })),
    length: fc.integer({ min: 20, max: 1500 }),
    l4Offset: fc.constant(0),
  }).map((h) => {
    // What a parser would produce: ports both or neither, ICMP fields both or
    // neither, nothing layer-4 on a later fragment.
    if (h.sport === null || h.dport === null) { h.sport = null; h.dport = null; }
    if (h.icmpType === null || h.icmpCode === null) { h.icmpType = null; h.icmpCode = null; }
    if (h.frag === "later") { h.sport = h.dport = h.icmpType = h.icmpCode = h.tcpFlags = null; }
    return h;
  }),
);

export const metaArb: fc.Arbitrary<PacketMeta> = fc.record({
  ifIn: fc.integer({ min: 0, max: IFACES.length }), // one past the end: an unknown interface
  ifOut: fc.integer({ min: 0, max: IFACES.length }),
  dir: fc.constantFrom(L.DIR_INBOUND, L.DIR_OUTBOUND, L.DIR_OTHER),
  minuteOfDay: fc.integer({ min: 0, max: 1439 }),
  dayOfWeek: fc.integer({ min: 0, max: 6 }),
  day: fc.integer({ min: 1, max: 31 }),
  month: fc.integer({ min: 1, max: 12 }),
  timeNs: fc.constant(0n),
});

// Batch sizes spread evenly over 1..maxBatch (fast-check's default sizing
// would keep arrays short).
export const packetsArb = (maxBatch: number) =>
  fc.integer({ min: 1, max: maxBatch }).chain((n) => fc.array(fc.tuple(headerArb, metaArb), { minLength: n, maxLength: n }));
