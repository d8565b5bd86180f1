// The console's log: the appliance's log lines and packet log events, kept
// in a bounded ring and pushed to Server-Sent Events subscribers. A flood of
// logged packets costs one array write each; subscribers get at most
// FLUSH_LINES lines per flush and a count of what they missed.
import type { ServerResponse } from "node:http";

export interface LogLine {
  seq: number;
  atMs: number;
  severity: string;
  text: string;
}

const RING = 1000;
const FLUSH_MS = 250;
const FLUSH_LINES = 200;
export const MAX_SUBSCRIBERS = 16;

interface Subscriber {
  res: ServerResponse;
  next: number; // the next seq this subscriber has not seen
}

export class LogFeed {
  private ring: LogLine[] = [];
  private seq = 0;
  private subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;

  push(severity: string, text: string, atMs = Date.now()): void {
    this.ring.push({ seq: ++this.seq, atMs, severity, text });
    if (this.ring.length > RING) this.ring.splice(0, this.ring.length - RING);
    if (this.subscribers.size && !this.timer) {
      this.timer = setTimeout(() => this.flush(), FLUSH_MS);
      this.timer.unref();
    }
  }

  /**
   * Lines lost before they reached the feed (a flood the forwarding thread
   * could not hand over in time): their numbers are skipped, so each
   * subscriber is told how many it missed.
   */
  skip(n: number): void {
    if (n > 0) this.seq += n;
  }

  /** The last `n` lines, oldest first. */
  recent(n = RING): LogLine[] {
    return this.ring.slice(-n);
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  /** Start an event stream on `res` (the caller has checked the subscriber limit and sent the headers). */
  subscribe(res: ServerResponse): void {
    const sub: Subscriber = { res, next: this.ring.length > 100 ? this.ring[this.ring.length - 100].seq : (this.ring[0]?.seq ?? this.seq + 1) };
    this.subscribers.add(sub);
    res.on("close", () => this.subscribers.delete(sub));
    this.send(sub);
  }

  private flush(): void {
    this.timer = null;
    for (const s of this.subscribers) this.send(s);
  }

  private send(s: Subscriber): void {
    if (s.res.writableEnded || s.res.destroyed) return;
    let lines = this.ring.filter((l) => l.seq >= s.next);
    if (lines.length > FLUSH_LINES) lines = lines.slice(-FLUSH_LINES);
    // Every number from `next` on that is not sent was missed: cut here, gone from the ring, or lost before it (skip()).
    const missed = Math.max(0, this.seq + 1 - s.next - lines.length);
    let out = missed ? `event: missed\ndata: ${missed}\n\n` : "";
    for (const l of lines) out += `id: ${l.seq}\ndata: ${JSON.stringify(l)}\n\n`;
    s.next = this.seq + 1;
    // A subscriber that cannot keep up (its socket buffer full) is dropped rather than buffered without bound.
    if (out && s.res.write(out) === false && s.res.writableLength > 1 << 20) s.res.destroy();
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
  }
}
