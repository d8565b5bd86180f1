// covers(..., {firstFragmentsOnly}): an earlier deny with port tests does not
// cover a later permit for non-first fragments (they carry no ports and skip
// the deny), but does for everything else. The option lets a linter report
// such a permit as shadowed, as InstaGate's order check does.
import { describe, it, expect } from "vitest";
import { covers, findCoveredRules } from "../host/model/lint.ts";
import { anyRule, type Rule } from "../host/model/rule.ts";
import { parsePrefix } from "../host/model/addr.ts";
import { verdict } from "./helpers/instagate.ts";

const origin = { dialect: "test", file: "t", line: 1, column: 1, text: "" };
function rule(action: "permit" | "deny", f: Partial<Rule> = {}): Rule {
  return { ...anyRule(action, origin), ...f };
}
const smtp = { proto: 6, dport: { op: "eq" as const, port: 25 } };
const mail = { src: { prefix: parsePrefix("192.168.0.25/32")!, negate: false } };

describe("covers with firstFragmentsOnly", () => {
  it("deny with ports over a permit with ports: only when fragments are ignored", () => {
    const deny = rule("deny", smtp);
    const permit = rule("permit", { ...smtp, ...mail });
    expect(covers(deny, permit)).toBe(false);
    expect(covers(deny, permit, { firstFragmentsOnly: true })).toBe(true);
    expect(findCoveredRules([deny, permit])).toEqual([]);
  });
  it("the option never invents a cover the fields do not give", () => {
    const deny = rule("deny", { ...smtp, ...mail });
    const permit = rule("permit", smtp);
    expect(covers(deny, permit, { firstFragmentsOnly: true })).toBe(false);
    expect(covers(rule("deny", { proto: 17, dport: { op: "eq", port: 25 } }), rule("permit", smtp), { firstFragmentsOnly: true })).toBe(false);
  });
  it("without port tests the option changes nothing", () => {
    const deny = rule("deny", { proto: 6 });
    const permit = rule("permit", { proto: 6, ...mail });
    expect(covers(deny, permit)).toBe(true);
    expect(covers(deny, permit, { firstFragmentsOnly: true })).toBe(true);
  });
  it("the fragment case is real: a non-first fragment from the mail server passes the swapped table", async () => {
    const f = "test/golden/instagate/internal-mail-server-swapped.txt";
    expect(await verdict(f, "tcp 192.168.0.25 > 203.0.113.5 frag=later")).toMatchObject({ verdict: "permit", label: 'LAN rule 2 "Accept Rule"' });
  });
});
