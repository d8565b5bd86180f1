// What the running appliance keeps of its rules, compactly: per rule its
// action, log and notify flags, ruleset, provenance (file, line, column,
// label, text) and identity across reloads, in typed arrays and one string
// table, instead of one object graph per rule and per field (a Rule with its
// prefixes, port tests and Provenance costs about 1 KB of heap; a row here
// about 110 bytes, most of it the rule's own text). The matching itself is
// the compiled program's business; this is what logging, `status`, the
// console and the counters' carry-over read.
//
// The book is built where the configuration is checked (the checker process,
// check-worker.ts) and crosses to the appliance as a few typed arrays and two
// strings (RuleBookData, by structured clone), so the forwarding process
// never holds the parsed model, the dialect's vendor model or the lint's
// working set.
import { createHash } from "node:crypto";
import type { Defaults, Policy, Rule, Action } from "../model/rule.ts";

/** Bytes of a rule's identity digest (the first half of a SHA-256). */
export const KEY_BYTES = 16;

const PERMIT = 1, LOG = 2, NOTIFY = 4, LABEL = 8;

export interface BookRuleset {
  name: string;
  defaults: Defaults;
  stateful: boolean;
  first: number; // global index of its first rule
  count: number;
}

/** The book as plain data: what crosses from the checker. */
export interface RuleBookData {
  dialect: string;
  interfaces: string[];
  rulesets: BookRuleset[];
  input: (number | null)[];
  output: (number | null)[];
  monitor: number | null;
  unreachables: boolean;
  files: string[];
  flags: Uint8Array;
  ruleset: Uint32Array;
  file: Uint32Array;
  line: Uint32Array;
  column: Uint32Array;
  /** The dialect's own rule number (provenance `number`), -1 where rules are not numbered. */
  number: Int32Array;
  /** Every rule's label, then its text, one after the other. */
  strings: string;
  /** 2n+1 boundaries in `strings`: rule i's label is [2i, 2i+1), its text [2i+1, 2i+2). */
  offsets: Uint32Array;
  /** KEY_BYTES per rule: the digest of ruleKey. */
  keys: Uint8Array;
}

/** A rule's provenance as the model spells it, rebuilt on demand. */
export interface BookOrigin {
  dialect: string;
  file: string;
  line: number;
  column: number;
  text: string;
  label?: string;
  number?: number;
}

export class RuleBook {
  private constructor(readonly d: RuleBookData) {}

  static fromData(d: RuleBookData): RuleBook {
    return new RuleBook(d);
  }

  /** Build the book of a policy (its texts as they are: bound them first, compact-texts.ts). */
  static fromPolicy(policy: Policy): RuleBook {
    const n = policy.rulesets.reduce((k, rs) => k + rs.rules.length, 0);
    const flags = new Uint8Array(n), ruleset = new Uint32Array(n), file = new Uint32Array(n);
    const line = new Uint32Array(n), column = new Uint32Array(n), offsets = new Uint32Array(2 * n + 1), number = new Int32Array(n);
    const keys = new Uint8Array(n * KEY_BYTES);
    const files: string[] = [], fileIndex = new Map<string, number>();
    const parts: string[] = [];
    const rulesets: BookRuleset[] = [];
    let i = 0, at = 0;
    policy.rulesets.forEach((rs, k) => {
      rulesets.push({ name: rs.name, defaults: { ...rs.defaults }, stateful: rs.stateful, first: i, count: rs.rules.length });
      for (const r of rs.rules) {
        const o = r.origin;
        let f = fileIndex.get(o.file);
        if (f === undefined) { f = files.length; files.push(o.file); fileIndex.set(o.file, f); }
        flags[i] = (r.action === "permit" ? PERMIT : 0) | (r.log ? LOG : 0) | (r.notify ? NOTIFY : 0) | (o.label !== undefined ? LABEL : 0);
        ruleset[i] = k;
        file[i] = f;
        line[i] = o.line;
        column[i] = o.column;
        number[i] = o.number ?? -1;
        const label = o.label ?? "", text = String(o.text ?? "");
        parts.push(label, text);
        offsets[2 * i] = at;
        at += label.length;
        offsets[2 * i + 1] = at;
        at += text.length;
        keys.set(createHash("sha256").update(ruleKey(rs.name, r)).digest().subarray(0, KEY_BYTES), i * KEY_BYTES);
        i++;
      }
    });
    offsets[2 * n] = at;
    return new RuleBook({
      dialect: policy.dialect, interfaces: [...policy.interfaces], rulesets,
      input: [...policy.input], output: [...policy.output], monitor: policy.monitor ?? null,
      unreachables: Boolean(policy.unreachables), files, flags, ruleset, file, line, column, number,
      strings: parts.join(""), offsets, keys,
    });
  }

  get data(): RuleBookData { return this.d; }
  get count(): number { return this.d.flags.length; }
  get dialect(): string { return this.d.dialect; }
  get interfaces(): string[] { return this.d.interfaces; }
  get rulesets(): BookRuleset[] { return this.d.rulesets; }
  get input(): (number | null)[] { return this.d.input; }
  get output(): (number | null)[] { return this.d.output; }
  get monitor(): number | null { return this.d.monitor; }
  get unreachables(): boolean { return this.d.unreachables; }

  has(i: number): boolean { return Number.isInteger(i) && i >= 0 && i < this.d.flags.length; }
  action(i: number): Action { return this.d.flags[i] & PERMIT ? "permit" : "deny"; }
  log(i: number): boolean { return (this.d.flags[i] & LOG) !== 0; }
  notify(i: number): boolean { return (this.d.flags[i] & NOTIFY) !== 0; }
  rulesetOf(i: number): number { return this.d.ruleset[i]; }
  rulesetName(i: number): string { return this.d.rulesets[this.d.ruleset[i]].name; }
  file(i: number): string { return this.d.files[this.d.file[i]]; }
  line(i: number): number { return this.d.line[i]; }
  column(i: number): number { return this.d.column[i]; }
  /** The dialect's own rule number, or null. */
  number(i: number): number | null { return this.d.number[i] >= 0 ? this.d.number[i] : null; }
  label(i: number): string | undefined {
    return this.d.flags[i] & LABEL ? this.d.strings.slice(this.d.offsets[2 * i], this.d.offsets[2 * i + 1]) : undefined;
  }
  text(i: number): string { return this.d.strings.slice(this.d.offsets[2 * i + 1], this.d.offsets[2 * i + 2]); }
  origin(i: number): BookOrigin {
    const label = this.label(i);
    const number = this.number(i);
    return {
      dialect: this.d.dialect, file: this.file(i), line: this.line(i), column: this.column(i), text: this.text(i),
      ...(label !== undefined ? { label } : {}), ...(number !== null ? { number } : {}),
    };
  }
  /** Rule i's identity across reloads (ruleKey's digest) as a short string, for a Map key. */
  key(i: number): string {
    return String.fromCharCode(...this.d.keys.subarray(i * KEY_BYTES, (i + 1) * KEY_BYTES));
  }
}

/** A rule's identity across reloads: its ruleset and everything it says, but not where in the file it is. */
export function ruleKey(ruleset: string, r: Rule): string {
  const { line: _l, column: _c, ...origin } = r.origin;
  return JSON.stringify([ruleset, { ...r, origin }]);
}
