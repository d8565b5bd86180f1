/**
 * Token-bucket rate limiter with caller-supplied time (milliseconds), so it is
 * deterministic under test and independent of any particular clock.
 *
 * The bucket starts full (`burst` tokens). Tokens refill continuously at
 * `ratePerSec`, capped at `burst`. Each successful `take` removes one token.
 * A clock that goes backwards never refills (the high-water mark is kept).
 */
export class TokenBucket {
  readonly ratePerSec: number;
  readonly burst: number;
  private tokens: number;
  private lastMs: number | undefined;

  constructor(ratePerSec: number, burst: number) {
    if (!Number.isFinite(ratePerSec) || ratePerSec < 0) {
      throw new RangeError(`TokenBucket: ratePerSec must be a finite number >= 0, got ${ratePerSec}`);
    }
    if (!Number.isFinite(burst) || burst < 1) {
      throw new RangeError(`TokenBucket: burst must be a finite number >= 1, got ${burst}`);
    }
    this.ratePerSec = ratePerSec;
    this.burst = burst;
    this.tokens = burst;
  }

  /** Take one token at time `nowMs`; true if allowed, false if rate-limited. */
  take(nowMs: number): boolean {
    if (this.lastMs === undefined) {
      this.lastMs = nowMs;
    } else if (nowMs > this.lastMs) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.lastMs) * this.ratePerSec) / 1000);
      this.lastMs = nowMs;
    }
    // Small epsilon: 50 ms at 20/s must yield exactly one token despite rounding.
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      return true;
    }
    return false;
  }
}
