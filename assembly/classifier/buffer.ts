// Growable raw buffers for the classifier's index and build scratch: the
// matcher's regions (region.ts), which keep their capacity across program
// loads, so a reload of a similar program allocates nothing. The index's
// lists and nodes grow while a tree is built, so they also need growBuf,
// which keeps what is already there.
import { Region, reserve } from "../region";

export { Region as Buf, reserve as reserveBuf };

/** Make `b` hold at least `need` bytes, keeping the first `used` bytes. */
export function growBuf(b: Region, need: usize, used: usize): usize {
  if (need > b.cap) {
    let cap: usize = need < 4096 ? <usize>4096 : need << 1;
    let p = heap.alloc(cap);
    if (used > 0) memory.copy(p, b.ptr, used);
    b.ptr = p;
    b.cap = cap;
  }
  return b.ptr;
}
