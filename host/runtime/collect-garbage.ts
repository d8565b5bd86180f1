// A full garbage collection at the moments the appliance knows a large
// graph just died: a reload replaced the rules (the old program, rule book
// and policy image, the checker's answer as it crossed from its process).
// V8 would take them back in its own time, when its heap or the buffers
// outside it grow enough; until then the appliance's resident memory after
// a reload depends on when that happens, several megabytes for 10,000 rules
// (test/memory.test.ts saw three reloads add 8 to 23 MB, the same code).
// Node gives gc() only under --expose-gc; the flag can be set while running
// and the function taken from a fresh context. A reload is rare and already
// stops forwarding while the index is built, so the collection's pause
// (milliseconds for the appliance's small heap) falls in the same gap.
import v8 from "node:v8";
import vm from "node:vm";

let gc: (() => void) | null = null;

/** Collect garbage now (a full collection). */
export function collectGarbage(): void {
  if (!gc) {
    v8.setFlagsFromString("--expose-gc");
    gc = vm.runInNewContext("gc") as () => void;
  }
  gc();
}
