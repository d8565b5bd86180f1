// The packet pipeline: for each tuple, the connection table first
// (conntrack/track.ts), then the deciding stages -- the input ruleset of the
// ingress interface, then the output ruleset of the egress interface, the
// first deny ending it -- then the monitor ruleset, which marks without
// deciding. Each stage bumps its rule's counter, or its ruleset's default
// counter (program/store.ts).
import {
  TUPLE_SIZE, T_DIR, T_IF_IN, T_IF_OUT, T_REASON, T_LENGTH, RESULT_SIZE, RES_VERDICT, RES_REASON, RES_STAGE,
  RES_RULE, RES_INPUT_RULE, RES_OUTPUT_RULE, RES_MONITOR_RULE, RS_DEFAULT_INBOUND, NO_RULESET,
  COUNTER_SIZE, COUNTER_PACKETS, COUNTER_BYTES,
  VERDICT_PERMIT, VERDICT_DENY, STAGE_INPUT, STAGE_OUTPUT, STAGE_NONE, DIR_OTHER,
  REASON_MATCHED, REASON_DEFAULT, REASON_EXPECTED, REASON_NO_FILTER, REASON_NO_PROGRAM, REASON_OK,
  REASON_NEIGHBOUR_DISCOVERY, HAS_ND, T_HAS, T_TIME_NS,
} from "../layout";
import { CT_MISS, CT_EXPECTED, CT_OUTCOME_MASK } from "../conntrack-layout";
import { ctClassify, ctAfterDecide, ctIdle } from "../conntrack/track";
import { advanceClock } from "../conntrack/table";
import { activeProgram, activeKeepsState, activeInputOnly, counters, defaultCounters } from "../program/store";
import { rulesetAt, inputRuleset, outputRuleset, monitorRuleset } from "../program/access";
import { matchRuleset, matchRulesetWord, matchRulesetWords, matchRule, matchAction, matchMarks, LANES } from "../program/lookup";
import { tuples, results, answers } from "./batch";
import { writeResult } from "../result";
import { sameRuleInputs } from "../match";

/**
 * Classify tuples [first, first + count) of the tuple region into the same
 * slots of the result region: a large trace is staged once and then
 * classified in batches of any size.
 */
export function classifyTupleRange(first: u32, count: u32): u32 {
  let res = results.ptr + <usize>first * RESULT_SIZE;
  let t = tuples.ptr + <usize>first * TUPLE_SIZE;
  let p = activeProgram();
  if (p == 0) {
    for (let i: u32 = 0; i < count; i++) {
      writeResult(res + <usize>i * RESULT_SIZE, -1, VERDICT_DENY, REASON_NO_PROGRAM, STAGE_NONE, 0, -1, -1);
    }
  } else if (ctIdle() && !activeKeepsState && activeInputOnly) {
    // No connection table made yet and none to be made this batch (no rule
    // or ruleset keeps state), and the input stage is the whole decision
    // (no output ruleset, no monitor ruleset): a rule-decided packet's
    // pipeline is its lookup and its input stage, done in one pass right
    // after each run's lookup, without classifyOne's tests of what cannot
    // happen here (acl1_10k uniform 0.87x the time of the two passes below,
    // bench/wasm-ab.ts).
    inputOnlyPasses++;
    lookUpInputs(p, t, res, answers.ptr + (<usize>first << 2), count, true);
    return count;
  } else {
    // With no connection table (a stateless program, or none of its flows
    // yet) the rules decide every packet: the input stage's lookups run
    // first, LANES packets at a time, each answer parked in its result slot;
    // then the pipeline runs on them. A lookup reads only the program and the
    // tuple, so its answer is the same whenever it runs; a flow the batch
    // creates only means later packets had a lookup they did not need.
    let pre = ctIdle();
    if (pre) lookUpInputs(p, t, res, 0, count, false);
    for (let i: u32 = 0; i < count; i++) {
      classifyOne(p, t + <usize>i * TUPLE_SIZE, res + <usize>i * RESULT_SIZE, pre);
    }
  }
  // Pack each deciding rule into the answers region while the results are
  // still in cache: the host copies the region in one go (resultRules). The
  // input-only pass stores each as it writes the result (lookUpInputs).
  packAnswers(first, count);
  return count;
}

// Each deciding rule of tuples [first, first + count), from its result, into the answers region.
function packAnswers(first: u32, count: u32): void {
  let res = results.ptr + <usize>first * RESULT_SIZE;
  let a = answers.ptr + (<usize>first << 2);
  for (let i: usize = 0; i < <usize>count; i++) store<i32>(a + (i << 2), load<i32>(res + i * RESULT_SIZE, RES_RULE));
}

/** Batches classifyTupleRange took through the input-only pass since the module started (for tests). */
let inputOnlyPasses: u32 = 0;
export function pipelineInputOnlyPasses(): u32 {
  return inputOnlyPasses;
}

/** Tuples given the input-stage word of the tuple before them (a repeat), since the module started (for tests). */
let repeatsReused: u32 = 0;
export function pipelineRepeatsReused(): u32 {
  return repeatsReused;
}

// The input stage's match word of each tuple the rules will decide (well
// formed, not neighbour discovery, an input ruleset bound), in its result
// slot's RES_RULE: runs of up to LANES tuples with the same input ruleset
// are looked up together. A tuple whose rule inputs equal those of the
// tuple before it (a packet train: the next segment of a transfer) ends the
// run before it and takes that tuple's word instead of a lookup: its
// ruleset is the same and so is its first match (match.ts,
// sameRuleInputs). 38% to 66% of the packets of the ClassBench sets' own
// traces repeat the one before; on traffic that never repeats, the test is
// one compare a packet. `decide` (the input-only pass): each run's packets
// are then finished at once (inputStage), and every other packet by
// classifyOne.
// @ts-ignore: decorator
@inline function lookUpInputs(p: usize, t: usize, res: usize, ans: usize, count: u32, decide: bool): void {
  let i: u32 = 0;
  while (i < count) {
    let ti = t + <usize>i * TUPLE_SIZE;
    let ri = res + <usize>i * RESULT_SIZE;
    let rs = inputOf(p, ti);
    if (rs == NO_RULESET) {
      if (decide) {
        classifyOne(p, ti, ri, false);
        store<i32>(ans + (<usize>i << 2), load<i32>(ri, RES_RULE));
      }
      i++;
      continue;
    }
    let n: u32 = 1;
    let repeat = false; // is tuple i + n a repeat?
    while (n < LANES && i + n < count) {
      let tn = ti + <usize>n * TUPLE_SIZE;
      repeat = sameRuleInputs(tn, tn - TUPLE_SIZE);
      if (repeat || inputOf(p, tn) != rs) break;
      n++;
    }
    matchRulesetWords(p, rs, ti, n, ri + RES_RULE, RESULT_SIZE);
    // The run's last word, for its repeats: read before inputStage puts the rule's index in its place.
    let last = load<i32>(ri + <usize>(n - 1) * RESULT_SIZE, RES_RULE);
    if (decide) {
      for (let j: u32 = 0; j < n; j++) inputStage(p, rs, ti + <usize>j * TUPLE_SIZE, ri + <usize>j * RESULT_SIZE, ans + (<usize>(i + j) << 2));
    }
    i += n;
    // The repeats that follow: same ruleset (inputOf reads only rule inputs), same word.
    if (n == LANES && i < count) repeat = sameRuleInputs(t + <usize>i * TUPLE_SIZE, t + <usize>(i - 1) * TUPLE_SIZE);
    let from = i;
    if (decide) {
      if (repeat) i = decideTrain(rs, t, res, ans, i, count);
    } else {
      while (repeat) {
        store<i32>(res + <usize>i * RESULT_SIZE, last, RES_RULE);
        i++;
        repeat = i < count && sameRuleInputs(t + <usize>i * TUPLE_SIZE, t + <usize>(i - 1) * TUPLE_SIZE);
      }
    }
    repeatsReused += i - from;
  }
}

// The input-only pass's train of repeats from tuple `i` (a repeat of tuple
// i - 1, decided already), to the first tuple that is not one; returns its
// index. Every packet of the train has the same result as tuple i - 1: the
// same ruleset and word, and the same direction (a rule input) for a
// default's verdict. So the train is counted at once (its packets and bytes
// added to the one counter in a single update) and the clock moved once, to
// its latest time (advanceClock keeps the maximum; nothing reads the clock
// within this pass): per packet what is left is the compare, the result's
// four 8-byte stores and two adds. One update a packet chained the train
// through the counter's memory (a load waiting for the store before it):
// acl1_10k's own trace, where half the packets repeat, took 0.93x the time
// with no counting at all (bench/wasm-ab.ts), a cost the train now pays once.
function decideTrain(rs: u32, t: usize, res: usize, ans: usize, i: u32, count: u32): u32 {
  let prev = res + <usize>(i - 1) * RESULT_SIZE;
  let r0 = load<u64>(prev), r1 = load<u64>(prev, 8), r2 = load<u64>(prev, 16), r3 = load<u64>(prev, 24);
  let rule = load<i32>(prev, RES_RULE);
  let c = stageCounter(rs, rule);
  let packets: u64 = 0;
  let bytes: u64 = 0;
  let latest: u64 = 0;
  let repeat = true;
  while (repeat) {
    let ti = t + <usize>i * TUPLE_SIZE;
    let rr = res + <usize>i * RESULT_SIZE;
    store<u64>(rr, r0);
    store<u64>(rr, r1, 8);
    store<u64>(rr, r2, 16);
    store<u64>(rr, r3, 24);
    store<i32>(ans + (<usize>i << 2), rule);
    packets++;
    bytes += <u64>load<u32>(ti, T_LENGTH);
    let ns = load<u64>(ti, T_TIME_NS);
    if (ns > latest) latest = ns;
    i++;
    repeat = i < count && sameRuleInputs(ti + TUPLE_SIZE, ti);
  }
  store<u64>(c, load<u64>(c, COUNTER_PACKETS) + packets, COUNTER_PACKETS);
  store<u64>(c, load<u64>(c, COUNTER_BYTES) + bytes, COUNTER_BYTES);
  advanceClock(latest);
  return i;
}

// The input ruleset that decides tuple `t`, NO_RULESET for none, a
// malformed packet or neighbour discovery (which classifyOne passes unfiltered).
// @ts-ignore: decorator
@inline function inputOf(p: usize, t: usize): u32 {
  if (<u32>load<u8>(t, T_REASON) != REASON_OK || (<u32>load<u8>(t, T_HAS) & HAS_ND) != 0) return NO_RULESET;
  return inputRuleset(p, <u32>load<u8>(t, T_IF_IN));
}

// What classifyOne does for tuple `t`, decided by input ruleset `rs` whose
// match word is in the result slot, under the input-only pass's conditions
// (the table idle, no output or monitor ruleset): the clock, then decide's
// input stage alone.
// @ts-ignore: decorator
@inline function inputStage(p: usize, rs: u32, t: usize, res: usize, ans: usize): void {
  advanceClock(load<u64>(t, T_TIME_NS));
  let s = stageOf(p, rs, t, load<i32>(res, RES_RULE));
  let rule = <i32>(s >> 1) - 1;
  writeResult(res, rule, (s & 1) ? VERDICT_DENY : VERDICT_PERMIT, rule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_INPUT, <u32>(s >> 40), rule, -1);
  store<i32>(ans, rule);
}

// Add one packet of `len` bytes to the counter at `c`.
// @ts-ignore: decorator
@inline function count(c: usize, len: u64): void {
  store<u64>(c, load<u64>(c, COUNTER_PACKETS) + 1, COUNTER_PACKETS);
  store<u64>(c, load<u64>(c, COUNTER_BYTES) + len, COUNTER_BYTES);
}

// Take that count back.
// @ts-ignore: decorator
@inline function uncount(c: usize, len: u64): void {
  store<u64>(c, load<u64>(c, COUNTER_PACKETS) - 1, COUNTER_PACKETS);
  store<u64>(c, load<u64>(c, COUNTER_BYTES) - len, COUNTER_BYTES);
}

// The counter a stage of ruleset `rs` bumped: its rule's (`rule` >= 0) or its default's.
// @ts-ignore: decorator
@inline function stageCounter(rs: u32, rule: i32): usize {
  return rule >= 0 ? counters.ptr + <usize>rule * COUNTER_SIZE : defaultCounters.ptr + <usize>rs * COUNTER_SIZE;
}

// One deciding stage: ruleset `rs` on tuple `t`, counted. Packed: bit 0 =
// deny, bits 1..39 = rule index + 1 (0 = the default decided), bits 40.. =
// the rule's marks. Action and marks come in the classifier's answer, which
// has them at hand: the matcher may not have touched the rule's records.
// @ts-ignore: decorator
@inline function runStage(p: usize, rs: u32, t: usize): i64 {
  return stageOf(p, rs, t, matchRulesetWord(p, rs, t));
}

// The same, for the classifier's match word `m` of ruleset `rs` on tuple `t`.
// @ts-ignore: decorator
@inline function stageOf(p: usize, rs: u32, t: usize, m: i32): i64 {
  let idx = matchRule(m);
  count(stageCounter(rs, idx), <u64>load<u32>(t, T_LENGTH));
  if (idx >= 0) return ((<i64>idx + 1) << 1) | <i64>matchAction(m) | (<i64>matchMarks(m) << 40);
  let dir = <u32>load<u8>(t, T_DIR);
  if (dir > <u32>DIR_OTHER) dir = <u32>DIR_OTHER;
  return <i64>load<u8>(rulesetAt(p, rs) + RS_DEFAULT_INBOUND + dir);
}

// `pre`: the input stage's match word is in the result slot (lookUpInputs).
// @ts-ignore: decorator
@inline function classifyOne(p: usize, t: usize, res: usize, pre: bool): void {
  let reason = <u32>load<u8>(t, T_REASON);
  if (reason != REASON_OK) {
    writeResult(res, -1, VERDICT_DENY, reason, STAGE_NONE, 0, -1, -1);
    return;
  }
  // Neighbour discovery passes unfiltered, as ARP does (layout.ts, HAS_ND):
  // no rule, no flow, no counter, no monitor rule.
  if (<u32>load<u8>(t, T_HAS) & HAS_ND) {
    writeResult(res, -1, VERDICT_PERMIT, REASON_NEIGHBOUR_DISCOVERY, STAGE_NONE, 0, -1, -1);
    return;
  }
  // The connection table first: a tracked flow's packets, and ICMP errors
  // about one, pass without the rules; a permit may then create a flow.
  // With no table yet (no flow was ever made) nothing is tracked: only the
  // clock moves, and the table is not called.
  let ct: u32 = CT_MISS;
  if (ctIdle()) advanceClock(load<u64>(t, T_TIME_NS));
  else ct = ctClassify(t, res);
  let outcome = ct & CT_OUTCOME_MASK;
  if (outcome == CT_MISS || outcome == CT_EXPECTED) {
    decide(p, t, res, pre);
    // Unless a pinhole matched or some rule keeps state, ctAfterDecide
    // would only clear the flow fields, which decide's result already has.
    if (outcome == CT_EXPECTED || activeKeepsState) afterDecide(p, t, res, ct);
  }
  let mon = monitorRuleset(p);
  if (mon != NO_RULESET) {
    let idx = matchRuleset(p, mon, t);
    store<i32>(res, idx, RES_MONITOR_RULE);
    if (idx >= 0) count(counters.ptr + <usize>idx * COUNTER_SIZE, <u64>load<u32>(t, T_LENGTH));
  }
}

// The connection table after the rules (ctAfterDecide): it may create a flow
// or use the pinhole; a deny it turns into a pinhole's permit takes back
// what the stages counted.
function afterDecide(p: usize, t: usize, res: usize, ct: u32): void {
  if (<u32>load<u8>(res, RES_VERDICT) == VERDICT_DENY) {
    // What the stages counted, before ctAfterDecide may overwrite it.
    let stage = <u32>load<u8>(res, RES_STAGE);
    let inRule = load<i32>(res, RES_INPUT_RULE);
    let outRule = load<i32>(res, RES_OUTPUT_RULE);
    ctAfterDecide(p, t, res, ct);
    if (<u32>load<u8>(res, RES_REASON) == REASON_EXPECTED) uncountStages(p, t, stage, inRule, outRule);
  } else {
    ctAfterDecide(p, t, res, ct);
  }
}

// A packet let in by a pinhole over a deny (a rule or a default) counts
// once, against the tracked state (REASON_EXPECTED), not also against what
// it overrode: take back what the stages counted. The input stage ran if a
// ruleset is bound there; the output stage ran only if the input one let the
// packet through (the deny was the output stage's).
function uncountStages(p: usize, t: usize, stage: u32, inRule: i32, outRule: i32): void {
  let len = <u64>load<u32>(t, T_LENGTH);
  let inRs = inputRuleset(p, <u32>load<u8>(t, T_IF_IN));
  if (inRs != NO_RULESET) uncount(stageCounter(inRs, inRule), len);
  if (stage == STAGE_OUTPUT) uncount(stageCounter(outputRuleset(p, <u32>load<u8>(t, T_IF_OUT)), outRule), len);
}

// The deciding stages: input ruleset of the ingress interface, then output
// ruleset of the egress interface; the first deny ends it.
// @ts-ignore: decorator
@inline function decide(p: usize, t: usize, res: usize, pre: bool): void {
  let inRs = inputRuleset(p, <u32>load<u8>(t, T_IF_IN));
  let outRs = outputRuleset(p, <u32>load<u8>(t, T_IF_OUT));
  let inRule: i32 = -1;
  let outRule: i32 = -1;
  let inMarks: u32 = 0;
  if (inRs != NO_RULESET) {
    let s = pre ? stageOf(p, inRs, t, load<i32>(res, RES_RULE)) : runStage(p, inRs, t);
    inRule = <i32>(s >> 1) - 1;
    inMarks = <u32>(s >> 40);
    if (s & 1) {
      writeResult(res, inRule, VERDICT_DENY, inRule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_INPUT, inMarks, inRule, -1);
      return;
    }
  }
  if (outRs != NO_RULESET) {
    let s = runStage(p, outRs, t);
    outRule = <i32>(s >> 1) - 1;
    writeResult(res, outRule, <u32>(s & 1), outRule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_OUTPUT, <u32>(s >> 40), inRule, outRule);
    return;
  }
  if (inRs != NO_RULESET) {
    writeResult(res, inRule, VERDICT_PERMIT, inRule >= 0 ? REASON_MATCHED : REASON_DEFAULT, STAGE_INPUT, inMarks, inRule, -1);
    return;
  }
  writeResult(res, -1, VERDICT_PERMIT, REASON_NO_FILTER, STAGE_NONE, 0, -1, -1);
}
