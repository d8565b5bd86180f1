// The console's packet tester: `explain` against the running program. It
// judges a packet as `explain` does (no tracked state) on an engine of its
// own, in the console's worker thread, loaded with the running program (the
// forwarding thread hands it over once per generation), so a test never
// touches the live connection table or counters; the reference engine
// decides too, and the two must agree.
import { parsePacketSpec, SpecError } from "../engine/packet-spec.ts";
import { WasmEngine } from "../engine/wasm.ts";
import { ReferenceEngine } from "../engine/reference.ts";
import { describeReason } from "../engine/reasons.ts";
import { ruleOf, type ConsoleState } from "./snapshot.ts";

export const MAX_SPEC_LENGTH = 512;

export interface TesterAnswer {
  ok: boolean;
  error?: string;
  packet?: string;
  in?: string;
  out?: string;
  verdict?: string;
  reason?: string;
  rule?: { index: number; ruleset: string; name: string; file: string; line: number; text: string } | null;
}

export class PacketTester {
  private engine: WasmEngine | null = null;
  private generation = -1;

  constructor(private state: ConsoleState) {}

  async test(text: string): Promise<TesterAnswer> {
    if (typeof text !== "string" || text.length === 0) return { ok: false, error: "give a packet, e.g. tcp 192.168.0.10:40000 > 10.0.0.2:80" };
    if (text.length > MAX_SPEC_LENGTH) return { ok: false, error: `a packet is at most ${MAX_SPEC_LENGTH} characters` };
    await this.state.fresh(); // the running generation, not the one of a snapshot half a second old
    const gen = this.state.current!;
    let spec;
    try {
      spec = parsePacketSpec(text, gen.appliance);
    } catch (e) {
      if (e instanceof SpecError) return { ok: false, error: e.message };
      throw e;
    }
    if (!this.engine) this.engine = await WasmEngine.create();
    if (this.generation !== gen.generation) {
      this.engine.load(gen.program);
      this.generation = gen.generation;
    }
    const [w] = this.engine.classifyHeaders([spec.header], [spec.meta]);
    const r = new ReferenceEngine(gen.policy).classify(spec.header, spec.meta);
    if (r.verdict !== w.verdict || r.rule !== w.rule) {
      return { ok: false, error: `INTERNAL ERROR: engines disagree (wasm: ${w.verdict} rule ${w.rule}; reference: ${r.verdict} rule ${r.rule})` };
    }
    return {
      ok: true, packet: text, in: spec.ifInName, out: spec.ifOutName, verdict: w.verdict,
      reason: w.rule >= 0 ? describeReason(w.reason) : `${describeReason(w.reason)} (${w.stage} stage)`,
      rule: ruleOf(gen.policy, w.rule),
    };
  }
}
