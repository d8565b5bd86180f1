// The host's packet batch and the tuple and result regions (layout.ts,
// "Packet batch", tuples and results), and the parsing step of the pipeline:
// descriptors and frames in, header tuples out.
import {
  DESC_SIZE, D_OFFSET, D_LENGTH, D_IF_IN, D_IF_OUT, D_DIR, D_LINK, D_MINUTE, D_DOW, D_DAY, D_MONTH, D_TIME_NS,
  TUPLE_SIZE, T_DIR, T_IF_IN, T_IF_OUT, T_MINUTE, T_DOW, T_DAY, T_MONTH, T_TIME_NS, RESULT_SIZE,
} from "../layout";
import { Region, reserve } from "../region";
import { parsePacket } from "../parse";

// The batch region is [count descriptors | dataBytes of packet data]; its
// shape is set by batchBuffer and belongs to the region, like its size.
class BatchRegion extends Region {
  count: u32 = 0;
  dataBytes: u32 = 0;
}

const batch = new BatchRegion();
/** Header tuples, TUPLE_SIZE each: parsed from the batch, or written by the host. */
export const tuples = new Region();
/** Result records, RESULT_SIZE each, one per tuple slot. */
export const results = new Region();
/** The deciding rule of each result slot, packed (i32 each): classifyTupleRange fills it. */
export const answers = new Region();

/**
 * Room for `count` packets holding `dataBytes` bytes in all. The region is
 * [descriptors | packet data]; results go to resultsPtr().
 */
export function batchBuffer(count: u32, dataBytes: u32): usize {
  batch.count = count;
  batch.dataBytes = dataBytes;
  reserve(results, <usize>count * RESULT_SIZE + 16);
  reserve(answers, <usize>count * 4 + 16);
  reserve(tuples, <usize>count * TUPLE_SIZE + 16);
  return reserve(batch, <usize>count * DESC_SIZE + <usize>dataBytes + 16);
}

export function batchDataPtr(): usize {
  return batch.ptr + <usize>batch.count * DESC_SIZE;
}

export function resultsPtr(): usize {
  return results.ptr;
}

export function answersPtr(): usize {
  return answers.ptr;
}

export function tuplesPtr(): usize {
  return tuples.ptr;
}

/** Room for `count` header tuples written directly by the host (classifyTuples). */
export function tupleBuffer(count: u32): usize {
  reserve(results, <usize>count * RESULT_SIZE + 16);
  reserve(answers, <usize>count * 4 + 16);
  return reserve(tuples, <usize>count * TUPLE_SIZE + 16);
}

/** Parse the batch's packets into tuples without classifying them (for tests and tools). */
export function parseBatch(count: u32): u32 {
  if (count > batch.count) count = batch.count;
  let data = batch.ptr + <usize>batch.count * DESC_SIZE;
  for (let i: u32 = 0; i < count; i++) {
    let d = batch.ptr + <usize>i * DESC_SIZE;
    let t = tuples.ptr + <usize>i * TUPLE_SIZE;
    let off = load<u32>(d, D_OFFSET);
    let len = load<u32>(d, D_LENGTH);
    // A descriptor pointing outside the data region is a malformed packet too.
    if (<u64>off + <u64>len > <u64>batch.dataBytes) len = 0;
    parsePacket(data + off, len, <u32>load<u8>(d, D_LINK), t);
    store<u8>(t, load<u8>(d, D_DIR), T_DIR);
    store<u8>(t, load<u8>(d, D_IF_IN), T_IF_IN);
    store<u8>(t, load<u8>(d, D_IF_OUT), T_IF_OUT);
    store<u16>(t, load<u16>(d, D_MINUTE), T_MINUTE);
    store<u8>(t, load<u8>(d, D_DOW), T_DOW);
    store<u8>(t, load<u8>(d, D_DAY), T_DAY);
    store<u32>(t, <u32>load<u8>(d, D_MONTH), T_MONTH); // and the three reserved bytes after it (match.ts, sameRuleInputs)
    store<u64>(t, load<u64>(d, D_TIME_NS), T_TIME_NS);
  }
  return count;
}
