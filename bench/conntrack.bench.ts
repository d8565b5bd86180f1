// Connection-table figures: a million-SYN flood against the default 64K
// table (time per SYN, WebAssembly memory before and after) and the cost of
// a tracked-flow lookup (a packet of an established flow, passed by state)
// against the same packets classified by a one-rule stateless program.
//
//     node --import tsx bench/conntrack.bench.ts
import * as L from "../assembly/layout.ts";
import { WasmEngine } from "../host/engine/wasm.ts";
import { encodePolicy } from "../host/engine/encode.ts";
import { anyRule, type Policy } from "../host/model/rule.ts";
import { floodSyns, writeTcpTuple, FLOOD_BATCH } from "./conntrack-flood.ts";
import { conntrackOf } from "../host/conntrack/wasm-conntrack.ts";

const SEC = 1_000_000_000n;
const SERVER = 0x0a000014;
const FLOWS = 50_000;
const LOOKUPS = 2_000_000;

function policy(stateful: boolean): Policy {
  const r = anyRule("permit", { dialect: "bench", file: "-", line: 1, column: 1, text: "permit tcp in on lan" });
  r.proto = 6;
  r.ifIn = "lan";
  return {
    dialect: "bench", interfaces: ["lan", "wan"], input: [0, 0], output: [null, null],
    rulesets: [{ name: "fw", rules: [r], defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful }],
  };
}

const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

async function flood(): Promise<void> {
  const e = await WasmEngine.create();
  e.load(encodePolicy(policy(true)));
  floodSyns(e, 20_000, SEC); // warm-up: table allocated, JIT tiered up
  const before = e.memory.byteLength;
  const ns = floodSyns(e, 1_000_000, 2n * SEC);
  const after = e.memory.byteLength;
  const s = conntrackOf(e).stats();
  console.log(`flood: 1,000,000 distinct SYNs, table capacity ${s.capacity}`);
  console.log(`  ${(ns / 1e6).toFixed(0)} ms in classify, ${(ns / 1e6).toFixed(0)} ns/SYN`);
  console.log(`  memory: ${mib(before)} before, ${mib(after)} after (${after === before ? "unchanged" : "GREW"})`);
  console.log(`  flows ${s.flows}, evicted ${s.evicted}, untracked ${s.untracked}, created ${s.created}`);
}

// Tuples of the server's data segments on FLOWS established connections.
function stageReplies(e: WasmEngine, first: number, n: number): void {
  const base = e.tupleRegion(n);
  const dv = new DataView(e.memory);
  for (let i = 0; i < n; i++) {
    const k = first + i;
    writeTcpTuple(dv, base + i * L.TUPLE_SIZE, SERVER, 0xac100000 + (k >>> 12), 443, 2000 + (k & 0xfff), L.TCP_ACK | L.TCP_PSH, 901, 101, 3n * SEC, true);
  }
}

function establish(e: WasmEngine): void {
  for (let done = 0; done < FLOWS; done += 1000) {
    const base = e.tupleRegion(3000);
    const dv = new DataView(e.memory);
    for (let i = 0; i < 1000; i++) {
      const k = done + i;
      const cli = 0xac100000 + (k >>> 12);
      const port = 2000 + (k & 0xfff);
      const o = base + 3 * i * L.TUPLE_SIZE;
      writeTcpTuple(dv, o, cli, SERVER, port, 443, L.TCP_SYN, 100, 0, SEC);
      writeTcpTuple(dv, o + L.TUPLE_SIZE, SERVER, cli, 443, port, L.TCP_SYN | L.TCP_ACK, 900, 101, SEC, true);
      writeTcpTuple(dv, o + 2 * L.TUPLE_SIZE, cli, SERVER, port, 443, L.TCP_ACK, 101, 901, SEC);
    }
    e.classifyStagedTuples(3000);
  }
}

function timeBatches(e: WasmEngine, expectReason: number): number {
  let spent = 0;
  let done = 0;
  let checked = false;
  while (done < LOOKUPS) {
    const first = done % FLOWS;
    const n = Math.min(FLOOD_BATCH, FLOWS - first);
    stageReplies(e, first, n);
    const t = process.hrtime.bigint();
    e.classifyStagedTuples(n);
    spent += Number(process.hrtime.bigint() - t);
    if (!checked) {
      const r = e.readResults(n);
      if (!r.every((x) => x.reason === expectReason)) throw new Error(`unexpected reasons ${r.map((x) => x.reason).slice(0, 5)}`);
      checked = true;
    }
    done += n;
  }
  return spent / done;
}

async function lookups(): Promise<void> {
  const stateful = await WasmEngine.create();
  stateful.load(encodePolicy(policy(true)));
  establish(stateful);
  timeBatches(stateful, L.REASON_STATE); // warm-up
  const tracked = timeBatches(stateful, L.REASON_STATE);
  const stateless = await WasmEngine.create();
  stateless.load(encodePolicy(policy(false)));
  timeBatches(stateless, L.REASON_DEFAULT);
  const rules = timeBatches(stateless, L.REASON_DEFAULT);
  console.log(`tracked-flow lookup: ${tracked.toFixed(1)} ns/packet over ${FLOWS} established flows (${LOOKUPS} packets, batches of ${FLOOD_BATCH})`);
  console.log(`  same packets, stateless one-rule program: ${rules.toFixed(1)} ns/packet`);
}

await flood();
await lookups();
