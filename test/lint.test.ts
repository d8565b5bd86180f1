// The rule-order lint (host/model/lint.ts): `covers` must never claim a cover
// that is not there (every claim is checked against the reference matcher on
// sample packets), and findCoveredRules names the first covering rule.
import { describe, it, expect } from "vitest";
import { covers, findCoveredRules } from "../host/model/lint.ts";
import { ruleMatches } from "../host/engine/reference.ts";
import { emptyHeader, DEFAULT_META, type PacketHeader } from "../host/engine/header.ts";
import { load } from "./portmaster-helpers.ts";
import type { Rule } from "../host/model/rule.ts";

/** The lowered rules of filter f, written as PortMaster rule bodies. */
function rules(...bodies: string[]): Rule[] {
  const text = "add filter f\nset lan ifilter f\n" + bodies.map((b, i) => `set filter f ${i + 1} ${b}\n`).join("");
  const r = load(text);
  expect(r.policy, JSON.stringify(r.diagnostics)).not.toBeNull();
  return r.policy!.rulesets[0].rules;
}

function findings(...bodies: string[]) {
  return findCoveredRules(rules(...bodies)).map((f) => `${f.index + 1}<${f.by + 1} ${f.kind}`);
}

/** A spread of IPv4 packets: protocols, addresses, ports, flags, ICMP types, fragments. */
function samples(): PacketHeader[] {
  const out: PacketHeader[] = [];
  const addrs = [0x0a000001, 0x0a010203, 0xc0a80105, 0xc0a8010a, 0x08080808];
  for (const frag of ["none", "later"] as const) {
    for (const src of addrs) for (const dst of addrs) {
      for (const proto of [6, 17, 1, 50]) {
        const variants: Partial<PacketHeader>[] = proto === 6
          ? [0, 1023, 1024, 80, 65535].flatMap((p) => [2, 18, 16, 4, 1].map((f) => ({ sport: 1024, dport: p, tcpFlags: f })))
          : proto === 17 ? [0, 53, 1023, 1024, 65535].map((p) => ({ sport: p, dport: 53 }))
          : proto === 1 ? [0, 3, 8].map((t) => ({ icmpType: t, icmpCode: 0 })) : [{}];
        for (const v of variants) {
          const h = { ...emptyHeader(60), family: 4 as const, proto, src: [src], dst: [dst], frag, ...(frag === "later" ? {} : v) };
          out.push(h);
        }
      }
    }
  }
  return out;
}

describe("covers is sound (never claims a cover that is not there)", () => {
  const bodies = [
    "permit", "deny", "permit 10.0.0.0/8 0.0.0.0/0", "deny 10.0.0.0/8 0.0.0.0/0 tcp", "permit 10.1.0.0/16 0.0.0.0/0 tcp dst eq 80",
    "deny 0.0.0.0/0 0.0.0.0/0 tcp dst lt 1024", "permit 0.0.0.0/0 0.0.0.0/0 tcp dst lt 1024", "permit tcp dst gt 1023",
    "permit tcp established", "deny tcp established", "permit tcp dst eq 80 established", "permit udp src eq 53",
    "deny udp", "permit icmp type 0", "deny icmp", "permit esp", "permit udp established", "permit tcp dst lt 0",
    "deny 0.0.0.0/0 192.168.1.0/24 tcp dst eq 80", "permit 0.0.0.0/0 192.168.1.0/24 tcp", "permit ip",
  ];
  const all = rules(...bodies);
  const packets = samples();
  it("for every ordered pair of sample rules", () => {
    let claims = 0;
    for (let i = 0; i < all.length; i++) for (let j = 0; j < all.length; j++) {
      if (i === j || !covers(all[i], all[j])) continue;
      claims++;
      for (const h of packets) {
        if (ruleMatches(all[j], h, DEFAULT_META, ["lan", "wan"])) {
          expect(ruleMatches(all[i], h, DEFAULT_META, ["lan", "wan"]), `${bodies[i]} covers ${bodies[j]}, but not ${JSON.stringify(h)}`).toBe(true);
        }
      }
    }
    expect(claims).toBeGreaterThan(20);
  });
});

describe("findCoveredRules", () => {
  it("a broader earlier rule shadows a narrower later one", () => {
    expect(findings("deny 10.0.0.0/8 0.0.0.0/0", "permit 10.1.0.0/16 0.0.0.0/0 tcp dst eq 80")).toEqual(["2<1 shadowed"]);
  });
  it("a narrower earlier rule does not shadow a broader later one", () => {
    expect(findings("deny 10.1.0.0/16 0.0.0.0/0", "permit 10.0.0.0/8 0.0.0.0/0")).toEqual([]);
  });
  it("the same match with the same action is redundant (log and notify do not matter)", () => {
    expect(findings("permit tcp dst eq 80", "permit 0.0.0.0/0 0.0.0.0/0 tcp dst eq 80 log")).toEqual(["2<1 redundant"]);
  });
  it("the same match with the opposite action is shadowed, not redundant", () => {
    expect(findings("permit tcp dst eq 80", "deny tcp dst eq 80")).toEqual(["2<1 shadowed"]);
  });
  it("strict lt/gt: dst lt 1024 covers eq 1023, not eq 1024", () => {
    expect(findings("permit tcp dst lt 1024", "deny tcp dst eq 1023", "deny tcp dst eq 1024")).toEqual(["2<1 shadowed"]);
  });
  it("ports of another protocol do not cover", () => {
    expect(findings("permit tcp dst eq 53", "deny udp dst eq 53")).toEqual([]);
  });
  it("established covers established with ports, not a rule without the flags test", () => {
    expect(findings("permit tcp established", "deny tcp dst eq 22 established", "deny tcp dst eq 22")).toEqual(["2<1 shadowed"]);
  });
  it("icmp type: icmp covers icmp type 8; icmp type 0 does not cover icmp type 8 or icmp", () => {
    expect(findings("permit icmp", "deny icmp type 8")).toEqual(["2<1 shadowed"]);
    expect(findings("permit icmp type 0", "deny icmp type 8", "deny icmp")).toEqual([]);
  });
  it("fragments: a deny with port tests does not cover a later rule that a non-first fragment can match", () => {
    // A deny without port tests decides fragments too: it covers.
    expect(findings("deny tcp", "permit tcp dst eq 80")).toEqual(["2<1 shadowed"]);
    // A non-first fragment skips rule 1 (deny with ports) but rule 2 (permit with ports) matches it.
    expect(findings("deny tcp dst lt 1024", "permit tcp dst eq 80")).toEqual([]);
    // Both are deny rules with port tests: fragments skip both, so the cover holds.
    expect(findings("deny tcp dst lt 1024", "deny tcp dst eq 80")).toEqual(["2<1 shadowed"]);
  });
  it("names the first covering rule", () => {
    expect(findings("permit 10.0.0.0/8 0.0.0.0/0", "permit ip", "deny 10.1.0.0/16 0.0.0.0/0")).toEqual(["3<1 shadowed"]);
  });
});
