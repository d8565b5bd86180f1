// Commit-confirm (`portcullis status --reload --confirm SECONDS`): a reload
// that undoes itself unless `portcullis status --confirm` arrives in time,
// as Junos's `commit confirmed` does, for the change that cuts the
// operator's own access.
//
// Before the new rules are swapped in, the running ones are kept whole: the
// policy, the compiled program, the rules' identities and their counters.
// When the deadline passes unconfirmed, the kept program is swapped back in
// between two batches, like any reload: the engine stays, and with it the
// connection table, so established flows keep passing through both swaps.
// Counters survive both: rules the two configurations share carry their
// counts over each way (Firewall.reload pairs them by identity), and a rule
// the trial configuration lacked gets back the count it had at the first
// swap (it could match nothing meanwhile).
//
// While a confirm is pending, every other reload (the control socket's, a
// changed file's, SIGHUP's) is refused and says why: the rollback must go
// back to the configuration the operator had when asking, not to one that
// replaced it meanwhile without a confirm of its own.
import type { Firewall } from "./firewall.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import type { Policy } from "../model/rule.ts";
import type { RuleBook } from "./rule-book.ts";
import { matchRules } from "./firewall.ts";
import { Severity } from "../log/syslog.ts";
import { excerpt } from "../log/sanitize.ts";

/** The longest confirm window asked for: a day. */
export const CONFIRM_MAX_S = 86_400;

type Counter = { packets: bigint; bytes: bigint };

/** What the live appliance shows of itself that a swap changes (LiveAppliance has all of it). */
export interface ConfirmHost {
  readonly fw: Firewall;
  policyImage: Uint8Array | null;
  generation: number;
  dialectName: string | null;
  warnings: Diagnostic[];
  failedClosed: unknown;
  loadedAtMs: number;
  log(severity: number, text: string): void;
}

/** The running configuration as it was just before the trial one replaced it. */
export interface Kept {
  generation: number;
  /** The running rules as the appliance holds them: the compact book, and the model only when kept (the console's). */
  book: RuleBook;
  policy: Policy | null;
  image: Uint8Array | null;
  program: Uint8Array;
  counters: Counter[];
  defaults: Counter[];
  dialectName: string | null;
  warnings: Diagnostic[];
  failedClosed: unknown;
  loadedAtMs: number;
}

/** What else a confirm or a rollback does (a pushed configuration is written to the flash only once confirmed). */
export interface ConfirmHooks {
  /** Called on confirm; its words end the confirm's message. */
  confirmed?(): string;
  /** Called after the rollback. */
  rolledBack?(): void;
  /** Where the trial configuration still lives after a rollback (default: the config files on disk). */
  whereKept?: string;
}

interface Pending {
  hooks: ConfirmHooks;
  sinceMs: number;
  deadlineMs: number;
  seconds: number;
  generation: number; // the trial configuration's
  kept: Kept;
  timer: NodeJS.Timeout;
}

export interface ConfirmOutcome {
  outcome: "confirmed" | "rolled back";
  atMs: number;
  /** The trial configuration's generation. */
  generation: number;
  message: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class CommitConfirm {
  private pending: Pending | null = null;
  /** How the last commit-confirm ended (status shows it). */
  last: ConfirmOutcome | null = null;

  constructor(private host: ConfirmHost) {}

  get isPending(): boolean {
    return this.pending !== null;
  }

  /** Why a reload must wait, or null when none is pending. */
  refusal(): string | null {
    const p = this.pending;
    if (!p) return null;
    return `a commit-confirm is pending: generation ${p.generation} rolls back to generation ${p.kept.generation}'s rules at ${iso(p.deadlineMs)} unless confirmed; confirm it (portcullis status --confirm) or let it roll back, then reload again`;
  }

  /** Keep the running configuration whole, just before a confirm reload swaps it out. */
  keep(): Kept {
    const h = this.host;
    return {
      generation: h.generation, book: h.fw.book, policy: h.fw.policy, image: h.policyImage, program: h.fw.program,
      counters: h.fw.counters(), defaults: h.fw.defaultCounters(),
      dialectName: h.dialectName, warnings: h.warnings, failedClosed: h.failedClosed, loadedAtMs: h.loadedAtMs,
    };
  }

  /**
   * The trial configuration (generation host.generation) is in: start the
   * clock. Returns the words the reload's message ends with.
   */
  arm(kept: Kept, seconds: number, hooks: ConfirmHooks = {}): string {
    if (this.pending) throw new Error("a commit-confirm is already pending"); // reloads are refused before they get here
    const sinceMs = Date.now();
    const deadlineMs = sinceMs + seconds * 1000;
    const timer = setTimeout(() => this.rollBack(), seconds * 1000);
    this.pending = { hooks, sinceMs, deadlineMs, seconds, generation: this.host.generation, kept, timer };
    return `; rolls back to generation ${kept.generation}'s rules at ${iso(deadlineMs)} (in ${seconds} s) unless confirmed (portcullis status --confirm)`;
  }

  /** `portcullis status --confirm`: keep the trial configuration. */
  confirm(): { message: string } {
    const p = this.pending;
    if (!p) {
      const l = this.last;
      const why = l?.outcome === "rolled back" ? `; generation ${l.generation} was already rolled back at ${iso(l.atMs)} because it was not confirmed in time` : "";
      throw new Error(`no commit-confirm is pending${why}`);
    }
    clearTimeout(p.timer);
    this.pending = null;
    const atMs = Date.now();
    let also = "";
    try {
      also = p.hooks.confirmed?.() ?? "";
    } catch (e) {
      also = `; but: ${excerpt(e instanceof Error ? e.message : String(e), 300)}`;
    }
    const message = `commit confirmed: generation ${p.generation} stays (confirmed ${Math.round((atMs - p.sinceMs) / 1000)} s after its reload, ${Math.max(0, Math.round((p.deadlineMs - atMs) / 1000))} s before the rollback)${also}`;
    this.last = { outcome: "confirmed", atMs, generation: p.generation, message };
    this.host.log(Severity.notice, message);
    return { message };
  }

  /**
   * The deadline passed: swap the kept configuration back in (between two
   * batches: a timer never runs inside one), carrying counters both ways.
   */
  private rollBack(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    const h = this.host;
    const k = p.kept;
    const trialBook = h.fw.book;
    const atMs = Date.now();
    try {
      h.fw.reload(k.policy ?? k.book, k.program);
    } catch (e) {
      // The kept program ran until the trial; the engine refusing it now would be a bug. Say so loudly.
      const message = `could not roll back generation ${p.generation} (${excerpt(e instanceof Error ? e.message : String(e), 200)}); its rules stay`;
      this.last = { outcome: "rolled back", atMs, generation: p.generation, message };
      h.log(Severity.err, message);
      return;
    }
    restoreCounters(h.fw, k, trialBook);
    h.policyImage = k.image;
    h.dialectName = k.dialectName;
    h.warnings = k.warnings;
    h.failedClosed = k.failedClosed;
    h.loadedAtMs = k.loadedAtMs;
    h.generation++;
    const message = `rolled back at ${iso(atMs)} because not confirmed within ${p.seconds} s: generation ${h.generation} runs generation ${k.generation}'s rules again (generation ${p.generation} undone; ${p.hooks.whereKept ?? "the config files on disk still hold it"})`;
    this.last = { outcome: "rolled back", atMs, generation: p.generation, message };
    h.log(Severity.warning, message);
    p.hooks.rolledBack?.();
  }

  /** The appliance is stopping: no rollback after it is gone. */
  stop(): void {
    const p = this.pending;
    if (!p) return;
    clearTimeout(p.timer);
    this.pending = null;
    this.host.log(Severity.warning, `stopping with generation ${p.generation} unconfirmed: the config files on disk hold it, and a restart loads them`);
  }

  /** For `status` (JSON): the pending confirm, if any, and how the last one ended. */
  status(): Record<string, unknown> {
    const p = this.pending;
    return {
      pending: p && { sinceMs: p.sinceMs, deadlineMs: p.deadlineMs, seconds: p.seconds, generation: p.generation, rollbackTo: p.kept.generation },
      last: this.last,
    };
  }
}

/**
 * After the kept rules are back: a rule the trial configuration did not have
 * (paired the way Firewall.reload pairs, in order, each count used once)
 * gets back its count from just before the trial; a ruleset default the
 * trial did not carry likewise.
 */
function restoreCounters(fw: Firewall, k: Kept, trial: RuleBook): void {
  // For each kept rule, the trial rule it was paired with (-1: the trial lacked it).
  const inTrial = matchRules(trial, k.book);
  for (let i = 0; i < k.book.count; i++) {
    if (inTrial[i] >= 0) continue;
    const c = k.counters[i];
    if (c) fw.engine.setCounter(i, c.packets, c.bytes);
  }
  k.book.rulesets.forEach((rs, j) => {
    const shared = trial.rulesets.some((o) => o.name === rs.name && JSON.stringify(o.defaults) === JSON.stringify(rs.defaults));
    const c = k.defaults[j];
    if (!shared && c) fw.engine.setDefaultCounter(j, c.packets, c.bytes);
  });
}
