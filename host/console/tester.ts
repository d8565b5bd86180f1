// The console's packet tester: `explain` against the running program. It
// judges a packet as `explain` does (no tracked state) on an engine of its
// own loaded with the running program, so a test never touches the live
// connection table or counters; the reference engine decides too, and the
// two must agree. The reference engine needs the full rule model, which the
// appliance keeps only with its console on (LiveOptions.keepPolicy, set by
// `run --http`); without it the WebAssembly engine's answer stands alone.
import { parsePacketSpec, SpecError } from "../engine/packet-spec.ts";
import { WasmEngine } from "../engine/wasm.ts";
import { ReferenceEngine } from "../engine/reference.ts";
import { describeReason } from "../engine/reasons.ts";
import type { RuleBook } from "../runtime/rule-book.ts";
import type { LiveAppliance } from "../runtime/live.ts";

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

  constructor(private live: LiveAppliance) {}

  async test(text: string): Promise<TesterAnswer> {
    if (typeof text !== "string" || text.length === 0) return { ok: false, error: "give a packet, e.g. tcp 192.168.0.10:40000 > 10.0.0.2:80" };
    if (text.length > MAX_SPEC_LENGTH) return { ok: false, error: `a packet is at most ${MAX_SPEC_LENGTH} characters` };
    const live = this.live;
    const { policy, book } = live.fw;
    let spec;
    try {
      spec = parsePacketSpec(text, live.appliance);
    } catch (e) {
      if (e instanceof SpecError) return { ok: false, error: e.message };
      throw e;
    }
    const engine = await this.engineFor(live);
    const [w] = engine.classifyHeaders([spec.header], [spec.meta]);
    const r = policy ? new ReferenceEngine(policy).classify(spec.header, spec.meta) : w;
    if (r.verdict !== w.verdict || r.rule !== w.rule) {
      return { ok: false, error: `INTERNAL ERROR: engines disagree (wasm: ${w.verdict} rule ${w.rule}; reference: ${r.verdict} rule ${r.rule})` };
    }
    return {
      ok: true, packet: text, in: spec.ifInName, out: spec.ifOutName, verdict: w.verdict,
      reason: w.rule >= 0 ? describeReason(w.reason) : `${describeReason(w.reason)} (${w.stage} stage)`,
      rule: ruleRow(book, w.rule),
    };
  }

  private async engineFor(live: LiveAppliance): Promise<WasmEngine> {
    if (!this.engine || this.generation !== live.generation) {
      const engine = this.engine ?? (await WasmEngine.create());
      engine.load(live.fw.program);
      this.engine = engine;
      this.generation = live.generation;
    }
    return this.engine;
  }
}

function ruleRow(book: RuleBook, index: number): TesterAnswer["rule"] {
  if (!book.has(index)) return null;
  return { index, ruleset: book.rulesetName(index), name: book.label(index) ?? `#${index}`, file: book.file(index), line: book.line(index), text: book.text(index) };
}
