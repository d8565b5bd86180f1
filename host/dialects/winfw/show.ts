// `portcullis show` for winfw: the effective exceptions, one canonical
// definition string per PORT:TRANSPORT with the merged scope, then what it
// admits (IPv4 and IPv6) and the entries that contributed or overrode.
import type { Appliance } from "../../model/appliance.ts";
import { type Exception, scopeSummary, prefixText } from "./merge.ts";
import { localSubnets } from "./lower.ts";
import type { ListEntry, ListUse, Profile } from "./sources.ts";

export interface WinfwAnalysis {
  profile: Profile;
  uses: ListUse[];
  exceptions: Exception[];
}

function where(e: ListEntry): string {
  return `${e.file}:${e.line}${e.list === "plain" ? "" : ` (${e.list} list)`}`;
}

/** Windows' IPv6 firewall takes a scope of only * or localsubnet: what that leaves open. */
function ipv6Text(ex: Exception, a: Appliance): string {
  if (ex.any) return "IPv6: open from anywhere";
  const v6 = ex.localsubnet ? localSubnets(a).filter((l) => l.prefix.family === 6) : [];
  if (v6.length) return `IPv6: open from localsubnet (${v6.map((l) => prefixText(l.prefix)).join(", ")}) only`;
  return "IPv6: closed (an IPv6 scope can only be * or localsubnet)";
}

export function showWinfw(an: WinfwAnalysis, a: Appliance): string {
  const out: string[] = [];
  out.push(`# Windows Firewall inbound port exceptions, ${an.profile} profile`);
  for (const u of an.uses) {
    const what = u.list === "plain" ? "plain list" : `${u.list} list (line ${u.line})`;
    out.push(`# ${u.file}: ${what}, ${u.entries} valid entr${u.entries === 1 ? "y" : "ies"}: ${u.used ? "in effect" : "IGNORED"}${u.list === "plain" ? "" : `: ${u.why}`}`);
  }
  const ls = localSubnets(a);
  out.push(`# localsubnet = ${ls.length ? ls.map((l) => `${prefixText(l.prefix)} (${l.iface})`).join(", ") : "nothing (the appliance has no addresses)"}`);
  out.push("# Inbound (arriving on a public interface, for a host behind the appliance or the appliance itself):");
  out.push("# denied unless opened below. Outbound: allowed. Both rulesets are stateful: connection tracking passes replies.");
  if (an.exceptions.length === 0) out.push("# (no exceptions: every port is closed to inbound traffic)");
  for (const ex of an.exceptions) {
    out.push("");
    if (ex.open) {
      out.push(`${ex.port}:${ex.transport}:${scopeSummary(ex)}:enabled:${ex.enabled[0].def.name.trim()}`);
      out.push(`  # open; ${ipv6Text(ex, a)}`);
      if (ex.localsubnet && ex.enabled.length > 1) out.push(`  # localsubnet from ${where(ex.localsubnet)}`);
      out.push(`  # from ${ex.enabled.map(where).join(", ")}${ex.enabled.length > 1 ? " (scopes combined)" : ""}`);
      if (ex.port === 445 && ex.transport === "TCP") out.push("  # also admits ICMP echo requests (ping) from the same scope");
    } else {
      out.push(`${ex.port}:${ex.transport}:*:disabled:${ex.disabled[0].def.name.trim()}`);
      out.push(`  # closed by ${ex.disabled.map(where).join(", ")}`);
      if (ex.enabled.length) out.push(`  # overrides enabled ${ex.enabled.map(where).join(", ")}`);
    }
  }
  return out.join("\n") + "\n";
}
