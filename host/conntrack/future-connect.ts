// IFWXSession::AllowFutureConnect (seed 002, dialects.md section 4) on the
// WebAssembly connection table: the host's part (arguments, the session's
// addresses and interfaces, ProxyExternalAddress, the site-and-content deny
// list) and the listing of live expectations. The rules check and the
// pinhole itself are the module's (assembly/conntrack/future-connect.ts).
import * as L from "../../assembly/layout.ts";
import * as C from "../../assembly/conntrack-layout.ts";
import { type Address, parseAddress } from "../model/addr.ts";
import type { WasmEngine } from "../engine/wasm.ts";
import type { SiteDenyList } from "./site-deny.ts";
import { type FlowHandle, type FlowInfo, addressAt } from "./flow.ts";

export type FutureConnectResult = "granted" | "conflicts-protocol-rules" | "conflicts-site-content" | "invalid-args";
const AFC_RESULTS: Record<number, FutureConnectResult> = {
  [C.AFC_GRANTED]: "granted", [C.AFC_CONFLICT_PROTOCOL_RULES]: "conflicts-protocol-rules",
  [C.AFC_CONFLICT_SITE_CONTENT]: "conflicts-site-content", [C.AFC_INVALID_ARGS]: "invalid-args",
};

/**
 * An address argument: the words a parser already read (the FTP helper hands
 * the packet's own addresses on as they are), or text from an API caller.
 */
export type AddressArg = Address | string;

const addressOf = (a: AddressArg): Address | null => (typeof a === "string" ? parseAddress(a) : a);

/** AllowFutureConnect's arguments (seed 002), for a filter without NAT. */
export interface FutureConnectRequest {
  /** The session (master flow); required unless flags has AFC_ADDRESS_BASED. */
  session?: FlowHandle | null;
  /** Source address of the expected connection; default: the session's originator (its client). */
  client?: AddressArg;
  destination: { address: AddressArg; port: number };
  /** ProxyExternalAddress: must be one of the appliance's own addresses (setExternalAddresses); port 0 = any. */
  external?: { address: AddressArg; port?: number } | null;
  protocol: "tcp" | "udp";
  flags: number; // AFC_* bits
  /** Where the connection's packets pass, when no session tells it: ingress, egress, DIR_*. */
  via?: { ifIn: number; ifOut: number; dir: number };
  /** Time of the call (ns); default: the table's clock (the latest packet). */
  timeNs?: bigint;
}

export interface Expectation {
  id: number; family: 4 | 6; proto: number; flags: number; client: Address; dst: Address; dport: number;
  sport: number; ifOut: number; createdNs: bigint; expiresNs: bigint; session: FlowHandle | null; uses: number;
}

export class FutureConnect {
  private siteDeny: SiteDenyList | null = null;
  private externalAddresses: { address: Address; ifIndex: number }[] = [];

  /** `flow` reads a session of the same table. */
  constructor(private readonly engine: WasmEngine, private readonly flow: (h: FlowHandle) => FlowInfo | null) {}

  /** The site-and-content deny list AllowFutureConnect checks first (null: none). */
  setSiteDenyList(list: SiteDenyList | null): void {
    this.siteDeny = list;
  }

  /** The appliance's own addresses, with their interfaces: what ProxyExternalAddress may name. */
  setExternalAddresses(list: { address: Address; ifIndex: number }[]): void {
    this.externalAddresses = list;
  }

  /** IFWXSession::AllowFutureConnect (seed 002, dialects.md section 4). */
  allowFutureConnect(req: FutureConnectRequest): { result: FutureConnectResult; id: number | null } {
    const out = (code: number, id: number | null = null) => ({ result: AFC_RESULTS[code], id });
    const dst = addressOf(req.destination.address);
    const proto = req.protocol === "tcp" ? 6 : req.protocol === "udp" ? 17 : -1;
    const port = req.destination.port;
    if (!dst || proto < 0 || !Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(req.flags) || req.flags < 0 || req.flags > 0xff) return out(C.AFC_INVALID_ARGS);
    // Site-and-content rules come first and nothing overrides them.
    if (this.siteDeny?.denies(dst, proto, port)) return out(C.AFC_CONFLICT_SITE_CONTENT);
    const session = req.session ? this.flow(req.session) : null;
    if (req.session && !session && !(req.flags & C.AFC_ADDRESS_BASED)) return out(C.AFC_INVALID_ARGS);
    const client = req.client !== undefined ? addressOf(req.client) : session?.src ?? null;
    if (!client || client.family !== dst.family) return out(C.AFC_INVALID_ARGS);
    let via = req.via ?? null;
    if (!via && session) {
      const same = (a: Address, b: Address) => a.words.every((w, i) => w === b.words[i]);
      // The session's responder connecting back (active FTP) crosses the other way.
      via = same(client, session.dst) && !same(client, session.src)
        ? { ifIn: session.ifOut, ifOut: session.ifIn, dir: session.dir === L.DIR_INBOUND ? L.DIR_OUTBOUND : session.dir === L.DIR_OUTBOUND ? L.DIR_INBOUND : session.dir }
        : { ifIn: session.ifIn, ifOut: session.ifOut, dir: session.dir };
    }
    if (!via) return out(C.AFC_INVALID_ARGS);
    let ifOut = C.ANY_IFACE;
    let sport = 0;
    if (req.external) {
      const ext = addressOf(req.external.address);
      const owner = ext && this.externalAddresses.find((x) => x.address.family === ext.family && x.address.words.every((w, i) => w === ext.words[i]));
      const p = req.external.port ?? 0;
      if (!owner || !Number.isInteger(p) || p < 0 || p > 65535) return out(C.AFC_INVALID_ARGS);
      ifOut = owner.ifIndex;
      sport = p;
      via = { ...via, ifOut };
    }
    const mem = this.engine.memory;
    const dv = new DataView(mem);
    const e = this.engine.x.ctExpectStaging();
    new Uint8Array(mem, e, C.EXP_SIZE).fill(0);
    dv.setUint8(e + C.E_FAMILY, dst.family);
    dv.setUint8(e + C.E_PROTO, proto);
    dv.setUint8(e + C.E_FLAGS, req.flags & 0xff);
    dv.setUint8(e + C.E_IF_OUT, ifOut);
    dv.setUint16(e + C.E_DPORT, port, true);
    dv.setUint16(e + C.E_SPORT, sport, true);
    client.words.forEach((w, i) => dv.setUint32(e + C.E_CLIENT + 4 * i, w >>> 0, true));
    dst.words.forEach((w, i) => dv.setUint32(e + C.E_DST + 4 * i, w >>> 0, true));
    dv.setUint32(e + C.E_MASTER, req.session ? req.session.id : C.NO_FLOW, true);
    dv.setUint32(e + C.E_MASTER_GEN, req.session ? req.session.gen : 0, true);
    dv.setUint8(e + C.E_IF_IN, via.ifIn);
    dv.setUint8(e + C.E_VIA_OUT, via.ifOut);
    dv.setUint8(e + C.E_DIR, via.dir);
    const code = this.engine.x.ctAllowFutureConnect(req.timeNs ?? 0n);
    // A grant writes the expectation's serial back into the staged record (conntrack-layout.ts).
    return out(code, code === C.AFC_GRANTED ? new DataView(this.engine.memory).getUint32(e + C.E_ID, true) : null);
  }

  /** The live expectations (some may have lapsed since the last packet; a sweep removes those). */
  expectations(): Expectation[] {
    const dv = new DataView(this.engine.memory);
    const base = this.engine.x.ctExpectPtr();
    return Array.from({ length: this.engine.x.ctExpectCount() }, (_, i) => {
      const o = base + i * C.EXP_SIZE;
      const family = dv.getUint8(o + C.E_FAMILY) === 6 ? 6 : 4;
      const master = dv.getUint32(o + C.E_MASTER, true);
      return {
        id: dv.getUint32(o + C.E_ID, true), family, proto: dv.getUint8(o + C.E_PROTO), flags: dv.getUint8(o + C.E_FLAGS),
        client: addressAt(dv, o + C.E_CLIENT, family), dst: addressAt(dv, o + C.E_DST, family), dport: dv.getUint16(o + C.E_DPORT, true), sport: dv.getUint16(o + C.E_SPORT, true),
        ifOut: dv.getUint8(o + C.E_IF_OUT), createdNs: dv.getBigUint64(o + C.E_CREATED, true), expiresNs: dv.getBigUint64(o + C.E_EXPIRES, true),
        session: master === C.NO_FLOW ? null : { id: master, gen: dv.getUint32(o + C.E_MASTER_GEN, true) }, uses: dv.getUint32(o + C.E_USES, true),
      };
    });
  }

  cancelExpectation(id: number): boolean {
    return this.engine.x.ctExpectCancel(id);
  }
}
