// The rule program's two slots (active and staging) and what is derived from
// the active one at load time: the hot prefilter, the classifier's indexes,
// its counters, whether anything in it keeps state, and whether its input
// stage alone decides. The host writes a new
// program into the staging slot; load() validates it (validate.ts) and only
// then swaps the slots, so a bad program leaves the running one in place.
import {
  HDR_RULE_COUNT, HDR_RULESET_COUNT, LOAD_OK, LOAD_TOO_LARGE, LOAD_CODE_MASK,
  HOT_SIZE, COUNTER_SIZE,
} from "../layout";
import { Region, reserve } from "../region";
import { validateProgram } from "./validate";
import { rulesOf, anyKeepsState, decidesAtInputOnly } from "./access";
import { buildHot } from "../match";
import { buildIndexes } from "../classifier/classifier";

const MAX_PROGRAM_BYTES: usize = 512 << 20;

const programs: StaticArray<Region> = [new Region(), new Region()];
let active: i32 = -1; // index of the active program slot, -1 before the first load
let staging: i32 = 0;
let activeLen: u32 = 0;

/** The matcher's prefilter array (match.ts), HOT_SIZE bytes per rule of the active program. */
export const hot = new Region();
/** Per rule of the active program: a counter (layout.ts, COUNTER_SIZE). */
export const counters = new Region();
/** Per ruleset of the active program: a counter of the packets its default decided. */
export const defaultCounters = new Region();

/**
 * Can any permit of the active program keep state? Computed once per load,
 * so that a stateless program's packets skip the connection table's
 * keep-state check, whose read of the deciding rule's 128-byte record is a
 * cache miss per packet on a large ruleset.
 */
export let activeKeepsState = true;

/**
 * Does the active program decide every packet at its input stage alone (no
 * interface binds an output ruleset, no monitor ruleset)? Computed once per
 * load, for the pipeline's input-only pass (pipeline/classify.ts).
 */
export let activeInputOnly = false;

/** Room for a program of `len` bytes in the staging slot (0 if too large). */
export function stagingBuffer(len: u32): usize {
  if (<usize>len > MAX_PROGRAM_BYTES) return 0;
  return reserve(programs[staging], <usize>len);
}

/**
 * Validate the staged program; on success make it active (counters start at
 * 0). Returns loadProgram's value (layout.ts: LOAD_* | rule << LOAD_RULE_SHIFT).
 */
export function loadStaged(len: u32): u32 {
  if (<usize>len > MAX_PROGRAM_BYTES || <usize>len > programs[staging].cap) return LOAD_TOO_LARGE;
  let p = programs[staging].ptr;
  let res = validateProgram(p, len);
  if ((res & LOAD_CODE_MASK) != LOAD_OK) return res;
  let prev = active;
  active = staging;
  staging = prev < 0 ? 1 - active : prev;
  activeLen = len;
  let nRules = <usize>load<u32>(p, HDR_RULE_COUNT);
  let nSets = <usize>load<u32>(p, HDR_RULESET_COUNT);
  buildHot(rulesOf(p), reserve(hot, nRules * HOT_SIZE + 16), <u32>nRules);
  buildIndexes(p);
  activeKeepsState = anyKeepsState(p);
  activeInputOnly = decidesAtInputOnly(p);
  memory.fill(reserve(counters, nRules * COUNTER_SIZE + 16), 0, nRules * COUNTER_SIZE + 16);
  memory.fill(reserve(defaultCounters, nSets * COUNTER_SIZE + 16), 0, nSets * COUNTER_SIZE + 16);
  return LOAD_OK;
}

/** The active program, 0 before the first load. */
// @ts-ignore: decorator
@inline export function activeProgram(): usize {
  return active < 0 ? 0 : programs[active].ptr;
}

export function activeLength(): u32 {
  return active < 0 ? 0 : activeLen;
}
