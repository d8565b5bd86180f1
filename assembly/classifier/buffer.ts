// Growable raw buffers for the classifier's index and build scratch. They
// keep their capacity across program loads, so a reload of a similar
// program allocates nothing; the stub runtime never frees, so growth is
// geometric to bound what an abandoned buffer wastes.
export class Buf {
  ptr: usize = 0;
  cap: usize = 0; // bytes
}

/** Make `b` hold at least `need` bytes; contents are NOT kept. */
export function reserveBuf(b: Buf, need: usize): usize {
  if (need > b.cap) {
    let cap: usize = need < 4096 ? <usize>4096 : need + (need >> 1);
    b.ptr = heap.alloc(cap);
    b.cap = cap;
  }
  return b.ptr;
}

/** Make `b` hold at least `need` bytes, keeping the first `used` bytes. */
export function growBuf(b: Buf, need: usize, used: usize): usize {
  if (need > b.cap) {
    let cap: usize = need < 4096 ? <usize>4096 : need << 1;
    let p = heap.alloc(cap);
    if (used > 0) memory.copy(p, b.ptr, used);
    b.ptr = p;
    b.cap = cap;
  }
  return b.ptr;
}
