// The connection table's exports for the host: configuration, flushing,
// sweeping, and where the host reads flows, expectations and counters
// (conntrack-layout.ts). Flows (table.ts) and expectations (expect.ts)
// are emptied together.
import { ST_FLOWS, ST_CAPACITY, ST_EXPECT_LIVE } from "../conntrack-layout";
import { flows, capacity, count, clock, stats, advanceClock, resetClock, setCapacity, setTimeout, timeoutSeconds, clearFlows, sweepFlows } from "./table";
import { expCount, clearExpectations, sweepExpectations } from "./expect";

/** Set the table's capacity (flows); the table is emptied. False if out of range. */
export function ctConfigure(cap: u32): bool {
  let had = flows != 0;
  if (!setCapacity(cap)) return false;
  if (had) clearExpectations();
  return true;
}

export function ctSetTimeout(cls: u32, seconds: u32): bool {
  return setTimeout(cls, seconds);
}

export function ctTimeout(cls: u32): u32 {
  return timeoutSeconds(cls);
}

/** Forget every flow and expectation, and restart the clock (counters stay). */
export function ctFlush(): void {
  clearFlows();
  clearExpectations();
  resetClock();
}

/** Remove every expired flow and dead expectation at time `nowNs` (or the table's clock, if later). */
export function ctSweep(nowNs: u64): void {
  advanceClock(nowNs);
  sweepFlows(clock);
  sweepExpectations(clock);
}

export function ctFlowsPtr(): usize {
  return flows;
}

export function ctCapacity(): u32 {
  return flows != 0 ? capacity : 0;
}

/** The counters (ST_*), the gauges among them brought up to date. */
export function ctStatsPtr(): usize {
  store<u64>(stats + (ST_FLOWS << 3), count);
  store<u64>(stats + (ST_CAPACITY << 3), capacity);
  store<u64>(stats + (ST_EXPECT_LIVE << 3), expCount);
  return stats;
}

export function ctClock(): u64 {
  return clock;
}
