// Growable regions of linear memory (the program slots, the packet batch,
// tuples, results, counters). A region only grows when asked for more room
// than it has; the stub runtime never frees, so growth is geometric.
export class Region {
  ptr: usize = 0;
  cap: usize = 0;
}

// Make `r` hold at least `need` bytes (16-byte aligned). Old contents are not
// kept: callers refill a region after asking for it.
export function reserve(r: Region, need: usize): usize {
  if (need > r.cap) {
    let cap: usize = need < 4096 ? <usize>4096 : need + (need >> 2);
    r.ptr = heap.alloc(cap);
    r.cap = cap;
  }
  return r.ptr;
}
