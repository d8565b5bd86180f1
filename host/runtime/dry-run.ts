// `portcullis status --reload --dry-run`: what a reload would change, as the
// exact diff (host/analysis) between the running policy and the
// configuration on disk, computed in a worker thread (diff-worker.ts) so
// that forwarding never waits for it. The appliance computes it, not the
// client: it holds the running policy whole (the client sees only `status`'s
// cut texts) and the load settings a reload would use (appliance file,
// dialect, options). Nothing is swapped, nothing changes.
import type { Appliance } from "../model/appliance.ts";
import type { Policy } from "../model/rule.ts";
import type { LoadSettings } from "../config/compile.ts";
import { diffInWorker, type DiffAnswer } from "./diff-in-worker.ts";
import type { WorkerJob } from "./worker-job.ts";
import { MAX_ANSWER_CHARS } from "./control.ts";

/** An appliance always has an image of its running rules (made at start and by every reload's checker). */
function noImage(): never {
  throw new Error("the running configuration's image is missing; reload it first");
}

/** What the appliance shows the dry run (LiveAppliance has all of it). */
export interface DryRunHost {
  readonly opts: { configs: string[]; load: LoadSettings; reloadTimeoutMs?: number };
  /** The running rule model, serialized (policy-image.ts). */
  readonly policyImage: Uint8Array | null;
  readonly appliance: Appliance;
  readonly dialectName: string | null;
  readonly generation: number;
}

export class DryRuns {
  private job: WorkerJob<DiffAnswer> | null = null;

  /**
   * The diff, or an error (with the configuration's first diagnostics) when
   * the files on disk would be refused. One dry run at a time: each holds a
   * worker with a heap of its own.
   */
  async run(host: DryRunHost, verdictOnly: boolean, source?: { configs: string[]; load: LoadSettings; shown: string[] }): Promise<Record<string, unknown>> {
    if (this.job) throw new Error("another dry run is in progress; try again when it is done");
    const generation = host.generation;
    const job = diffInWorker({
      configs: source?.configs ?? host.opts.configs, load: { ...(source?.load ?? host.opts.load) }, imports: [],
      running: { policy: host.policyImage ?? noImage(), dialect: host.dialectName, appliance: host.appliance },
      verdictOnly,
      maxChars: Math.floor(MAX_ANSWER_CHARS * 0.75),
    }, host.opts.reloadTimeoutMs ?? 120_000);
    this.job = job;
    let a: DiffAnswer;
    try {
      a = await job.answer;
    } finally {
      this.job = null;
    }
    if (!a.ok) throw new Error([`dry run: ${a.error ?? "the configuration could not be compared"}`, ...a.diagnostics].join("\n"));
    if (host.generation !== generation) throw new Error(`the appliance reloaded (generation ${generation} -> ${host.generation}) while the dry run compared; run it again`);
    return {
      generation, configs: source?.shown ?? host.opts.configs, oldDialect: host.dialectName, newDialect: a.newDialect,
      oldRules: a.oldRules, newRules: a.newRules, verdictOnly: a.verdictOnly, differentDialects: a.differentDialects,
      diff: a.json, words: a.words, omitted: a.omitted,
    };
  }

  cancel(): void {
    this.job?.cancel();
  }
}
