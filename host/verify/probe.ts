// A first-match probe: one stateless ruleset as a netdev ingress chain in
// which each rule writes its 0-based index into the IPv4 identification field
// and forwards the frame out of another interface (no match: 65535). The far
// side reads which rule the kernel found first for each packet, not only
// whether it passed: the ClassBench answers (`.expected`) are indices.
// IPv4 only (the ID field); the router's routing is bypassed, so any
// addresses pass.
import type { Ruleset } from "../model/rule.ts";
import { translateRule, markLaterFragments, PROTO_SETS, LATER_FRAGMENT_BIT } from "../export/nft/match.ts";
import { quote } from "../export/nft/syntax.ts";
import { planBuckets, bucketPrefix, BUCKET_MIN_RULES } from "../export/nft/buckets.ts";

export const NO_MATCH = 0xffff;

export function probeScript(rs: Ruleset, inIf: string, outIf: string, opts: { portsAnyProtocol?: boolean; bucketMinRules?: number } = {}): string {
  if (rs.rules.length >= NO_MATCH) throw new Error(`a probe holds at most ${NO_MATCH - 1} rules`);
  const lines = [
    `table netdev pcprobe`,
    `delete table netdev pcprobe`,
    `table netdev pcprobe {`,
    ...Object.entries(PROTO_SETS).flatMap(([n, p]) => [`\tset ${n} {`, `\t\ttype inet_proto`, `\t\telements = { ${p.join(", ")} }`, `\t}`]),
    `\tchain probe_frag {`,
  ];
  const body = (later: boolean, only?: number[]) => (only ?? rs.rules.map((_, i) => i)).forEach((i) => {
    const r = rs.rules[i];
    const t = translateRule(r, { ifname: () => null, portsAnyProtocol: opts.portsAnyProtocol });
    const m = later ? t.later : t.main;
    if (!m) return;
    // netdev has no nfproto; `meta protocol` says the same for an untagged frame.
    const e = m.map((x) => x.replace("meta nfproto ipv4", "meta protocol ip").replace("meta nfproto ipv6", "meta protocol ip6"));
    lines.push(`\t\t${[...e, `ip id set ${i} fwd to ${quote(outIf)}`].join(" ")}`);
  });
  body(true);
  lines.push(`\t\tip id set ${NO_MATCH} fwd to ${quote(outIf)}`, `\t}`);
  lines.push(
    `\tchain probe {`,
    `\t\ttype filter hook ingress device ${quote(inIf)} priority filter; policy accept;`,
    `\t\tmeta protocol != ip drop`,
    ...markLaterFragments().map((m) => `\t\t${m}`),
    `\t\tmeta mark & ${LATER_FRAGMENT_BIT} == ${LATER_FRAGMENT_BIT} goto probe_frag`,
  );
  // The export's address buckets (buckets.ts), so their first match is what the kernel is asked about too.
  const plan = planBuckets(rs.rules, opts.bucketMinRules ?? BUCKET_MIN_RULES);
  if (plan) {
    lines.push(`\t\tip ${plan.field} vmap { ${plan.buckets.map((b, j) => `${bucketPrefix(b.value, plan.bits)} : goto probe_b${j}`).join(", ")} }`);
    lines.push(`\t\tgoto probe_brest`);
  }
  body(false);
  lines.push(`\t\tip id set ${NO_MATCH} fwd to ${quote(outIf)}`, `\t}`);
  if (plan) {
    const sub = (name: string, only: number[]) => {
      lines.push(`\tchain ${name} {`);
      body(false, only);
      lines.push(`\t\tip id set ${NO_MATCH} fwd to ${quote(outIf)}`, `\t}`);
    };
    plan.buckets.forEach((b, j) => sub(`probe_b${j}`, b.rules));
    sub("probe_brest", plan.rest);
  }
  lines.push(`}`);
  return lines.join("\n") + "\n";
}
