// A tracked flow as the host sees it: a handle naming a session, and the
// decoded flow record (assembly/conntrack-layout.ts, "Flow record").
import * as C from "../../assembly/conntrack-layout.ts";
import type { Address } from "../model/addr.ts";

/** A session: a tracked flow, valid while its generation is current. */
export interface FlowHandle {
  id: number;
  gen: number;
}

/** The flow states' names (CT_*), as the reference and `show state` spell them. */
export const STATE_NAMES: Record<number, string> = {
  [C.CT_NONE]: "none", [C.CT_SYN_SENT]: "syn-sent", [C.CT_SYN_RECV]: "syn-recv",
  [C.CT_ESTABLISHED]: "established", [C.CT_FIN_WAIT]: "fin-wait", [C.CT_CLOSING]: "closing", [C.CT_CLOSED]: "closed",
};

export interface FlowInfo {
  handle: FlowHandle;
  family: 4 | 6;
  proto: number;
  state: string; // STATE_NAMES
  flags: number; // CTF_*
  src: Address;
  dst: Address;
  sport: number;
  dport: number;
  lastSeenNs: bigint;
  createdNs: bigint;
  packets: bigint;
  bytes: bigint;
  rule: number;
  ifIn: number;
  ifOut: number;
  dir: number;
}

/** The address of `family` whose words start at byte `at` of linear memory. */
export function addressAt(dv: DataView, at: number, family: 4 | 6): Address {
  return { family, words: Array.from({ length: family === 6 ? 4 : 1 }, (_, i) => dv.getUint32(at + 4 * i, true)) };
}

/** Flow record `id` of the table at `base`, or null for a free record. */
export function readFlow(dv: DataView, base: number, id: number): FlowInfo | null {
  const o = base + id * C.FLOW_SIZE;
  const state = dv.getUint8(o + C.F_STATE);
  if (state === C.CT_FREE) return null;
  const family = dv.getUint8(o + C.F_FAMILY) === 6 ? 6 : 4;
  return {
    handle: { id, gen: dv.getUint32(o + C.F_GEN, true) }, family, proto: dv.getUint8(o + C.F_PROTO),
    state: STATE_NAMES[state] ?? `state ${state}`, flags: dv.getUint8(o + C.F_FLAGS),
    src: addressAt(dv, o + C.F_SRC, family), dst: addressAt(dv, o + C.F_DST, family),
    sport: dv.getUint16(o + C.F_SPORT, true), dport: dv.getUint16(o + C.F_DPORT, true),
    lastSeenNs: dv.getBigUint64(o + C.F_LAST_SEEN, true), createdNs: dv.getBigUint64(o + C.F_CREATED, true),
    packets: dv.getBigUint64(o + C.F_PACKETS, true), bytes: dv.getBigUint64(o + C.F_BYTES, true),
    rule: dv.getInt32(o + C.F_RULE, true), ifIn: dv.getUint8(o + C.F_IF_IN), ifOut: dv.getUint8(o + C.F_IF_OUT), dir: dv.getUint8(o + C.F_DIR),
  };
}
