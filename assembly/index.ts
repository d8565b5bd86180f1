// The WebAssembly module's interface to the host, and nothing else: every
// export, by concern. The byte layouts the host reads and writes are
// layout.ts and conntrack-layout.ts; no export leaves a result in module
// state for another to fetch (results are return values, or records in
// linear memory the layouts describe). No allocation happens per packet.
//
//   program/    the rule program: validation, the two slots, accessors, lookup
//   pipeline/   batches, tuples and results; parse -> conntrack -> stages -> monitor
//   conntrack/  the connection table: flows, TCP state, expectations (pinholes)
//   classifier/ per-ruleset decision trees (build and lookup)
//   parse.ts, match.ts, region.ts, result.ts, layout-check.ts
import { stagingBuffer as programStagingBuffer, loadStaged, activeProgram, activeLength, counters, defaultCounters } from "./program/store";
import { parseBatch } from "./pipeline/batch";
import { classifyTupleRange } from "./pipeline/classify";

// ---- the rule program --------------------------------------------------------

/** Room for a program of `len` bytes in the staging slot (0: too large); write it there, then call loadProgram. */
export function stagingBuffer(len: u32): usize {
  return programStagingBuffer(len);
}

/**
 * Validate the staged program; on success make it active (counters start at
 * 0). LOAD_OK (0), or a refusal: the LOAD_* code in the low byte and, for
 * LOAD_BAD_RULE, the rule's index + 1 above it (layout.ts, LOAD_RULE_SHIFT).
 */
export function loadProgram(len: u32): u32 {
  return loadStaged(len);
}

export function hasProgram(): bool {
  return activeProgram() != 0;
}

export function activeProgramPtr(): usize {
  return activeProgram();
}

export function activeProgramLength(): u32 {
  return activeLength();
}

/** Per-rule counters of the active program (layout.ts, COUNTER_SIZE each). */
export function countersPtr(): usize {
  return counters.ptr;
}

/** Per-ruleset counters of the packets each ruleset's default decided. */
export function defaultCountersPtr(): usize {
  return defaultCounters.ptr;
}

// ---- batches and classification ----------------------------------------------

export { batchBuffer, batchDataPtr, resultsPtr, tuplesPtr, tupleBuffer, parseBatch, answersPtr } from "./pipeline/batch";
export { classifyTupleRange, pipelineInputOnlyPasses, pipelineRepeatsReused } from "./pipeline/classify";

/** Parse and classify the batch's packets; one result per packet. */
export function classifyBatch(count: u32): u32 {
  return classifyTupleRange(0, parseBatch(count));
}

/** Classify `count` tuples already in the tuple region. */
export function classifyTuples(count: u32): u32 {
  return classifyTupleRange(0, count);
}

// ---- the connection table ----------------------------------------------------

export {
  ctConfigure, ctSetTimeout, ctTimeout, ctFlush, ctSweep, ctFlowsPtr, ctCapacity, ctStatsPtr, ctClock,
} from "./conntrack/admin";
export { ctExpectPtr, ctExpectCount, ctExpectStaging, ctExpectCancel } from "./conntrack/expect";
export { ctAllowFutureConnect } from "./conntrack/future-connect";

// ---- the classifier's options and figures ------------------------------------

export { setClassifierOptions, indexKind, indexBytes, indexReason, indexGroups, indexLeafSize } from "./classifier/classifier";
export { treeStat, classifierLaneRuns, classifierNarrowMisses } from "./classifier/classifier";

// ---- layout agreement --------------------------------------------------------

export { layoutValue } from "./layout-check";
