// One million distinct SYNs against the default 64K-flow table: WebAssembly
// memory stays the same size, established flows keep working, and the
// counters say what happened.
import { expect, it } from "vitest";
import * as L from "../assembly/layout.ts";
import { floodSyns, writeTcpTuple } from "../bench/conntrack-flood.ts";
import type { WasmEngine } from "../host/engine/wasm.ts";
import { rule, policy, engineWith, SEC } from "./conntrack/helpers.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const SERVER = 0x0a000014; // 10.0.0.20
const ESTABLISHED = 1000;

// ESTABLISHED connections from 172.16.0.1 (a source the flood never uses), through the handshake.
function establish(e: WasmEngine, t: bigint): void {
  const base = e.tupleRegion(3 * ESTABLISHED);
  const dv = new DataView(e.memory);
  for (let i = 0; i < ESTABLISHED; i++) {
    const o = base + 3 * i * L.TUPLE_SIZE;
    writeTcpTuple(dv, o, 0xac100001, SERVER, 2000 + i, 443, L.TCP_SYN, 100, 0, t);
    writeTcpTuple(dv, o + L.TUPLE_SIZE, SERVER, 0xac100001, 443, 2000 + i, L.TCP_SYN | L.TCP_ACK, 900, 101, t, true);
    writeTcpTuple(dv, o + 2 * L.TUPLE_SIZE, 0xac100001, SERVER, 2000 + i, 443, L.TCP_ACK, 101, 901, t);
  }
  e.classifyStagedTuples(3 * ESTABLISHED);
}

// A data segment from the server on each established connection: how many pass by state?
function repliesPassing(e: WasmEngine, t: bigint): number {
  const base = e.tupleRegion(ESTABLISHED);
  const dv = new DataView(e.memory);
  for (let i = 0; i < ESTABLISHED; i++) writeTcpTuple(dv, base + i * L.TUPLE_SIZE, SERVER, 0xac100001, 443, 2000 + i, L.TCP_ACK | L.TCP_PSH, 901, 101, t, true);
  e.classifyStagedTuples(ESTABLISHED);
  return e.readResults(ESTABLISHED).filter((r) => r.verdict === "permit" && r.reason === L.REASON_STATE).length;
}

it("a million-SYN flood keeps memory fixed and established flows working", async () => {
  const e = await engineWith(policy([rule("permit", { proto: 6, ifIn: "lan" })]));
  expect(conntrackOf(e).stats().capacity).toBe(65536);
  establish(e, SEC);
  floodSyns(e, 10_000, 2n * SEC); // warm: every region has its final size
  const before = e.memory.byteLength;
  floodSyns(e, 1_000_000, 3n * SEC);
  expect(e.memory.byteLength).toBe(before);
  const s = conntrackOf(e).stats();
  expect(s.flows).toBe(65536);
  expect(s.untracked).toBe(0);
  expect(s.evicted).toBeGreaterThan(1_000_000 - 65536);
  expect(repliesPassing(e, 4n * SEC)).toBe(ESTABLISHED);
}, 120_000);
