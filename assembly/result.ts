// Writers of the result record (layout.ts, "Result record"), shared by the
// pipeline (pipeline/classify.ts) and the connection table (conntrack/).
import {
  RES_RULE, RES_VERDICT, RES_REASON, RES_STAGE, RES_MARKS, RES_INPUT_RULE, RES_OUTPUT_RULE,
  RES_MONITOR_RULE, RES_FLOW, RES_FLOW_GEN, RES_CT_FLAGS, STAGE_NONE,
} from "./layout";

// The pairs writeResult's stores write together (checked when the module starts).
assert(RES_VERDICT == RES_RULE + 4 && RES_REASON == RES_RULE + 5 && RES_STAGE == RES_RULE + 6 && RES_MARKS == RES_RULE + 7
  && RES_OUTPUT_RULE == RES_INPUT_RULE + 4 && RES_FLOW == RES_MONITOR_RULE + 4 && RES_CT_FLAGS == RES_FLOW_GEN + 4);

/**
 * A whole result: the decision, no monitor rule (yet), no flow. Four 64-bit
 * stores, one per pair of fields (the layout's order, little-endian as
 * WebAssembly memory is), instead of one per field: the pipeline writes one
 * per packet.
 */
// @ts-ignore: decorator
@inline export function writeResult(res: usize, rule: i32, verdict: u32, reason: u32, stage: u32, marks: u32, inRule: i32, outRule: i32): void {
  store<u64>(res, <u64><u32>rule | (<u64>(verdict & 0xff) << 32) | (<u64>(reason & 0xff) << 40) | (<u64>(stage & 0xff) << 48) | (<u64>(marks & 0xff) << 56), RES_RULE);
  store<u64>(res, <u64><u32>inRule | (<u64><u32>outRule << 32), RES_INPUT_RULE);
  store<u64>(res, 0xffffffffffffffff, RES_MONITOR_RULE); // monitor rule -1, flow -1
  store<u64>(res, 0, RES_FLOW_GEN); // flow generation 0, no CTR_* flags, reserved bytes 0
}

/** A decision no rule made (the connection table's): no rule, no stage; the flow fields are left alone. */
export function writeStateDecision(res: usize, verdict: u32, reason: u32): void {
  store<i32>(res, -1, RES_RULE);
  store<u8>(res, <u8>verdict, RES_VERDICT);
  store<u8>(res, <u8>reason, RES_REASON);
  store<u8>(res, STAGE_NONE, RES_STAGE);
  store<u8>(res, 0, RES_MARKS);
  store<i32>(res, -1, RES_INPUT_RULE);
  store<i32>(res, -1, RES_OUTPUT_RULE);
  store<i32>(res, -1, RES_MONITOR_RULE);
}

/** No flow: flow -1, generation 0, no CTR_* flags. */
// @ts-ignore: decorator
@inline export function clearFlow(res: usize): void {
  store<i32>(res, -1, RES_FLOW);
  store<u32>(res, 0, RES_FLOW_GEN);
  store<u8>(res, 0, RES_CT_FLAGS);
}
