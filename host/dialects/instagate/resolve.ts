// Names to values: address objects (ANY, LANIP, user objects) to sets of
// prefixes, services (catalogue and user-defined) to protocol/port parts.
// LANIP depends on the interface, so address resolution takes it as context.
import { type Prefix, parseAddress, makePrefix, netmaskLength, isNetworkAddress, parsePrefix, formatPrefix } from "../../model/addr.ts";
import type { AddrRef, ObjectDef, Pos, ServiceDef, Table } from "./ast.ts";
import { type ServicePart, catalogueService, TCP, UDP, ICMP } from "./catalogue.ts";
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import { quoted } from "../../model/excerpt.ts";

/** A set of addresses: everything, or the union of some prefixes. */
export interface AddrSet {
  any: boolean;
  prefixes: Prefix[];
}

const RESERVED = new Set(["ANY", "LANIP"]);
const key = (name: string) => name.trim().toUpperCase();

export class Names {
  readonly objects = new Map<string, ObjectDef>();
  readonly services = new Map<string, ServiceDef>();

  constructor(t: Table, readonly rep: DiagnosticSink) {
    for (const o of t.objects) {
      const k = key(o.name);
      if (RESERVED.has(k)) rep.errorAt(o.pos, "IG032", `${quoted(o.name)} is a built-in object and cannot be redefined`);
      else if (this.objects.has(k)) rep.errorAt(o.pos, "IG032", `object ${quoted(o.name)} is defined twice (first at ${where(this.objects.get(k)!.pos)})`);
      else this.objects.set(k, o);
    }
    for (const s of t.services) {
      const k = key(s.name);
      if (k === "ANY" || catalogueService(k)) rep.errorAt(s.pos, "IG033", `${quoted(s.name)} is a built-in service and cannot be redefined; choose another name`);
      else if (this.services.has(k)) rep.errorAt(s.pos, "IG033", `service ${quoted(s.name)} is defined twice (first at ${where(this.services.get(k)!.pos)})`);
      else this.services.set(k, s);
    }
  }

  /** The protocol/port parts of a service name, or null (reported) if unknown. */
  service(name: string, pos: Pos): ServicePart[] | null {
    const k = key(name);
    const user = this.services.get(k);
    if (user) return serviceParts(user);
    const builtin = catalogueService(k);
    if (builtin) return builtin;
    this.rep.errorAt(pos, "IG031", `unknown service ${quoted(name)}: define it with "Service ${quoted(name).slice(1, -1)} - TCP - PORT" (built-in: see the catalogue in docs/instagate.md)`);
    return null;
  }

  /** The addresses a rule's address field names, with LANIP = `lanip`. */
  addr(ref: AddrRef, lanip: Prefix[]): AddrSet | null {
    if (ref.kind === "object") return this.object(ref.name, ref.pos, lanip, true);
    const direct = parseNetwork(ref.address, ref.mask, ref.pos, this.rep);
    if (direct !== undefined) return direct && { any: false, prefixes: [direct] };
    // Not an address: the seed's "Network - Server IP Address - Subnet ..." names an object holding one address.
    const o = this.objects.get(key(ref.address));
    if (!o) {
      this.rep.errorAt(ref.pos, "IG030", `${quoted(ref.address)} is neither an IP address nor a defined object (define it with "Object ${quoted(ref.address).slice(1, -1)} - Address - IP")`);
      return null;
    }
    const v = o.value;
    const single = v.kind === "address" ? v.address : v.kind === "network" && v.mask === null && !v.address.includes("/") ? v.address : null;
    if (single === null || !parseAddress(single)) {
      this.rep.errorAt(ref.pos, "IG037", `object ${quoted(o.name)} used as the address of a Network must hold one IP address (it is defined at ${where(o.pos)}); use "Object - ${quoted(o.name).slice(1, -1)}" to match the whole object`);
      return null;
    }
    const p = parseNetwork(single, ref.mask, ref.pos, this.rep);
    return p ? { any: false, prefixes: [p] } : null;
  }

  // Whether each object (by key) resolves without error, itself and everything it names; filled by validate().
  private readonly valid = new Map<string, boolean>();
  // Expanded objects per LANIP context, so that a rule naming an object on every interface costs one expansion each.
  private readonly expanded = new Map<string, AddrSet>();

  /**
   * Check an object and every object it names, each once (memoized):
   * addresses, unknown names, ANY in a list, and cycles. Iterative, with an
   * explicit stack, so a chain of thousands of lists neither overflows the
   * stack nor costs more than one visit per object.
   */
  private validate(startKey: string): boolean {
    const done = this.valid.get(startKey);
    if (done !== undefined) return done;
    interface Frame { key: string; o: ObjectDef; next: number; ok: boolean }
    const onStack = new Map<string, number>(); // key -> its index in `stack`
    const stack: Frame[] = [];
    const push = (key: string) => {
      onStack.set(key, stack.length);
      stack.push({ key, o: this.objects.get(key)!, next: 0, ok: true });
    };
    push(startKey);
    while (stack.length) {
      const top = stack[stack.length - 1];
      const v = top.o.value;
      let child: string | null = null;
      if (v.kind === "address") {
        if (!parseNetwork(v.address, null, top.o.pos, this.rep, true)) top.ok = false;
      } else if (v.kind === "network") {
        const p = parseNetwork(v.address, v.mask, top.o.pos, this.rep);
        if (p === undefined) this.rep.errorAt(top.o.pos, "IG035", `bad IP address ${quoted(v.address)}`);
        if (!p) top.ok = false;
      } else {
        while (top.next < v.members.length && child === null) {
          const m = v.members[top.next++];
          const p = parseNetwork(m.text, null, m.pos, this.rep, false, true);
          if (p) continue;
          if (p === null) { top.ok = false; continue; }
          const k = key(m.text);
          if (k === "ANY") {
            this.rep.errorAt(m.pos, "IG038", "ANY in a list makes the whole list ANY: use \"Object - ANY\" in the rule instead");
            top.ok = false;
          } else if (k === "LANIP") {
            // the appliance's LAN address, filled in per interface
          } else if (!this.objects.has(k)) {
            this.rep.errorAt(m.pos, "IG030", `unknown object ${quoted(m.text)} (built-in: ANY, LANIP; define others with "Object ${quoted(m.text, 40).slice(1, -1)} - Address - IP")`);
            top.ok = false;
          } else if (onStack.has(k)) {
            const cycle = stack.slice(onStack.get(k)!).map((f) => f.o.name);
            const shown = cycle.length > 8 ? [...cycle.slice(0, 4), `... (${cycle.length - 6} more)`, ...cycle.slice(-2)] : cycle;
            const o = this.objects.get(k)!;
            this.rep.errorAt(o.pos, "IG034", `object ${quoted(o.name)} contains itself (${[...shown, o.name].map((x) => x.length > 40 ? x.slice(0, 40) + "..." : x).join(" > ")})`);
            top.ok = false;
          } else {
            const known = this.valid.get(k);
            if (known === undefined) child = k;
            else if (!known) top.ok = false;
          }
        }
      }
      if (child !== null) { push(child); continue; }
      stack.pop();
      onStack.delete(top.key);
      this.valid.set(top.key, top.ok);
      if (stack.length && !top.ok) stack[stack.length - 1].ok = false;
    }
    // Objects of a cycle were left marked by the frames above them; all of them are invalid.
    return this.valid.get(startKey)!;
  }

  private object(name: string, pos: Pos, lanip: Prefix[], topLevel: boolean): AddrSet | null {
    const k = key(name);
    if (k === "ANY") return topLevel ? { any: true, prefixes: [] } : null;
    if (k === "LANIP") return { any: false, prefixes: lanip };
    const o = this.objects.get(k);
    if (!o) {
      this.rep.errorAt(pos, "IG030", `unknown object ${quoted(name)} (built-in: ANY, LANIP; define others with "Object ${quoted(name, 40).slice(1, -1)} - Address - IP")`);
      return null;
    }
    if (!this.validate(k)) return null;
    const memo = `${lanip.map(formatPrefix).join(",")}\0${k}`;
    const hit = this.expanded.get(memo);
    if (hit) return hit;
    // Depth first in member order (the order the rules come out in), each object once: a union needs no repeats.
    const out: Prefix[] = [];
    const seen = new Set<string>([k]);
    const stack: { o: ObjectDef; next: number }[] = [{ o, next: 0 }];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const v = top.o.value;
      if (v.kind !== "list") {
        const p = v.kind === "address" ? parseNetwork(v.address, null, top.o.pos, this.rep, true) : parseNetwork(v.address, v.mask, top.o.pos, this.rep);
        if (p) out.push(p);
        stack.pop();
        continue;
      }
      if (top.next >= v.members.length) { stack.pop(); continue; }
      const m = v.members[top.next++];
      const p = parseNetwork(m.text, null, m.pos, this.rep, false, true);
      if (p) { out.push(p); continue; }
      const mk = key(m.text);
      if (mk === "LANIP") { out.push(...lanip); continue; }
      if (seen.has(mk)) continue;
      seen.add(mk);
      stack.push({ o: this.objects.get(mk)!, next: 0 });
    }
    const set = { any: false, prefixes: out };
    this.expanded.set(memo, set);
    return set;
  }

  /** Resolve every definition once, so unused ones are checked too. */
  checkDefinitions(): void {
    for (const k of this.objects.keys()) this.validate(k);
  }
}

function where(p: Pos): string {
  return `${p.file}:${p.line}`;
}

/**
 * An address with an optional dotted mask, or ADDR/LEN. Returns undefined when
 * the text is not an address at all (when `maybeName`, or always for rules:
 * the caller then tries an object name), null when it is a bad address (reported).
 */
function parseNetwork(address: string, mask: string | null, pos: Pos, rep: DiagnosticSink, hostOnly = false, maybeName = false): Prefix | null | undefined {
  const slash = address.indexOf("/");
  const addrText = slash < 0 ? address : address.slice(0, slash);
  const addr = parseAddress(addrText);
  if (!addr) {
    if (/^[\d.:/]+$/.test(address) && /\d/.test(address)) {
      rep.errorAt(pos, "IG035", `bad IP address ${quoted(address)}`);
      return null;
    }
    return maybeName || !hostOnly ? undefined : (rep.errorAt(pos, "IG035", `bad IP address ${quoted(address)}`), null);
  }
  const max = addr.family === 4 ? 32 : 128;
  let len = max;
  if (slash >= 0) {
    if (hostOnly || mask !== null) {
      rep.errorAt(pos, "IG035", hostOnly ? `an Address object holds one address, not ${quoted(address)} (use "Network")` : `give the mask either as /LEN or as "Subnet MASK", not both`);
      return null;
    }
    const p = parsePrefix(address);
    if (!p) {
      rep.errorAt(pos, "IG035", `bad prefix length in ${quoted(address)}`);
      return null;
    }
    len = p.len;
  } else if (mask !== null) {
    const l = addr.family === 4 ? netmaskLength(mask) : null;
    if (l === null) {
      rep.errorAt(pos, "IG035", addr.family === 4 ? `bad subnet mask ${quoted(mask)} (a contiguous mask such as 255.255.255.0)` : `an IPv6 network takes /LEN, not a subnet mask`);
      return null;
    }
    len = l;
  }
  if (!isNetworkAddress(addr, len)) {
    const p = makePrefix(addr, len);
    rep.warningAt(pos, "IG036", `${address}${mask ? " with subnet " + mask : ""} has host bits set: it means the network ${formatPrefix(p)}`);
  }
  return makePrefix(addr, len);
}

function serviceParts(s: ServiceDef): ServicePart[] {
  if (typeof s.proto === "number") return [{ proto: s.proto, ports: null, icmpType: null }];
  if (s.proto === "icmp") return [{ proto: ICMP, ports: null, icmpType: s.icmpType }];
  const protos = s.proto === "tcp" ? [TCP] : s.proto === "udp" ? [UDP] : [TCP, UDP];
  return protos.map((proto) => ({ proto, ports: s.ports, icmpType: null }));
}
