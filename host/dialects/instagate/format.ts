// The canonical text of a rule table (what `show` prints) and its JSON form:
// each element written back in the seed's wording, so that the text printed
// reads like the appliance's own screens and parses back to the same table.
import type { AddrField, ObjectDef, RuleBlock, ServiceDef, Table } from "./ast.ts";

const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

function addrText(f: AddrField): string {
  const r = f.ref;
  if (r.kind === "object") return `Object - ${r.name}`;
  return r.mask === null ? `Network - ${r.address}` : `Network - ${r.address} - Subnet ${r.mask}`;
}

export function formatRuleLines(r: RuleBlock): string[] {
  return [
    `${r.number})${r.title ? " " + r.title : ""}`,
    `Action ${cap(r.action)}`,
    `Interface ${r.zone}`,
    `Source Match - ${cap(r.src.match)}`,
    `Source Address or Network - ${addrText(r.src)}`,
    `Destination Match - ${cap(r.dst.match)}`,
    `Destination Address or Network - ${addrText(r.dst)}`,
    `Services - ${r.services === "any" ? "Any" : "Selected - " + r.services.map((s) => s.name).join(", ")}`,
  ];
}

export function formatObject(o: ObjectDef): string {
  const v = o.value;
  if (v.kind === "address") return `Object ${o.name} - Address - ${v.address}`;
  if (v.kind === "network") return `Object ${o.name} - Network - ${v.address}${v.mask === null ? "" : ` - Subnet ${v.mask}`}`;
  return `Object ${o.name} - List - ${v.members.map((m) => m.text).join(", ")}`;
}

function portsText(p: [number, number][]): string {
  return p.map(([lo, hi]) => (lo === hi ? `${lo}` : `${lo}-${hi}`)).join(", ");
}

export function formatService(s: ServiceDef): string {
  if (typeof s.proto === "number") return `Service ${s.name} - Protocol - ${s.proto}`;
  if (s.proto === "icmp") return `Service ${s.name} - ICMP${s.icmpType === null ? "" : ` - ${s.icmpType}`}`;
  return `Service ${s.name} - ${s.proto.toUpperCase()} - ${portsText(s.ports ?? [])}`;
}

function addrJson(f: AddrField): Record<string, string> {
  const r = f.ref;
  const match = cap(f.match);
  if (r.kind === "object") return { match, object: r.name };
  return r.mask === null ? { match, network: r.address } : { match, network: r.address, subnet: r.mask };
}

/** The JSON form of the table (the input format of json.ts). */
export function tableToJson(t: Table): unknown {
  return {
    instagate: {
      objects: t.objects.map((o) => {
        const v = o.value;
        if (v.kind === "address") return { name: o.name, address: v.address };
        if (v.kind === "network") return v.mask === null ? { name: o.name, network: v.address } : { name: o.name, network: v.address, subnet: v.mask };
        return { name: o.name, list: v.members.map((m) => m.text) };
      }),
      services: t.services.map((s) => {
        if (typeof s.proto === "number") return { name: s.name, protocol: s.proto };
        if (s.proto === "icmp") return s.icmpType === null ? { name: s.name, protocol: "ICMP" } : { name: s.name, protocol: "ICMP", type: s.icmpType };
        return { name: s.name, protocol: s.proto.toUpperCase(), ports: portsText(s.ports ?? []) };
      }),
      rules: t.rules.map((r) => ({
        number: r.number,
        ...(r.title ? { title: r.title } : {}),
        action: cap(r.action),
        interface: r.zone,
        source: addrJson(r.src),
        destination: addrJson(r.dst),
        services: r.services === "any" ? "Any" : r.services.map((s) => s.name),
      })),
    },
  };
}
