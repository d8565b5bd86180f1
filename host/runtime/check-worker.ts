// The reload's checker (a child process, check-in-worker.ts): read, check and
// compile a configuration off the forwarding path (a large or hostile file may take seconds to parse; the
// event loop that forwards frames must not wait for it). It answers with the
// finished program and policy, or the diagnostics, and the fingerprint of
// the file contents it checked (the same before and after, or the files were
// being written and the answer says so). The appliance's first load comes
// here too: the parse, the lint and the dialect's model live and die in this
// process, and the appliance receives only the program and the
// compact rule book (rule-book.ts), never the object graph they came from.
import { loadAllLazily, type LoadSettings } from "../config/compile.ts";
import { fingerprintFiles } from "./fingerprint.ts";
import { compactPolicyTexts } from "./compact-texts.ts";
import { RuleBook, type RuleBookData } from "./rule-book.ts";
import { policyBytes } from "./policy-image.ts";

export interface CheckRequest {
  configs: string[];
  load: LoadSettings;
  /** Modules imported first (tests register their dialects this way). */
  imports: string[];
  /** Send the full rule model too (the web console's packet tester runs the reference matcher on it). */
  keepPolicy?: boolean;
  /** Rule files to name otherwise in the rules' provenance (a push is checked in a staging directory, runs from the flash). */
  rename?: Record<string, string>;
}

export interface CheckAnswer {
  ok: boolean;
  /** The files changed while they were being checked: nothing else here counts. */
  unstable: boolean;
  fingerprint: string;
  diagnostics: import("../model/diagnostic.ts").Diagnostic[];
  program: Uint8Array | null;
  /** What the running appliance keeps of the rules (null unless ok). */
  book: RuleBookData | null;
  /** The full rule model, only when asked for (keepPolicy) and ok. */
  policy: import("../model/rule.ts").Policy | null;
  appliance: import("../model/appliance.ts").Appliance | null;
  dialect: string | null;
  /** A failure that is not a diagnostic (a bad --appliance file, a crash in a front end). */
  error: string | null;
  /** The policy serialized (policy-image.ts), for a later dry run's diff; null unless ok. */
  image: Uint8Array | null;
}

async function check(req: CheckRequest): Promise<CheckAnswer> {
  for (const m of req.imports) await import(m);
  const before = await fingerprintFiles(req.configs);
  const base = { unstable: false, fingerprint: before, diagnostics: [], program: null, book: null, policy: null, appliance: null, dialect: null, error: null, image: null };
  let l;
  try {
    l = await loadAllLazily(req.configs, req.load);
  } catch (e) {
    return { ...base, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const after = await fingerprintFiles(req.configs);
  if (after !== before) return { ...base, ok: false, unstable: true, fingerprint: after };
  const policy = l.config.policy && compactPolicyTexts(l.config.policy);
  if (policy && req.rename) {
    for (const rs of policy.rulesets) for (const r of rs.rules) r.origin.file = req.rename[r.origin.file] ?? r.origin.file;
  }
  const ok = l.ok && l.program !== null && policy !== null;
  return {
    ...base, ok, diagnostics: l.diagnostics,
    program: ok ? l.program : null, book: ok ? RuleBook.fromPolicy(policy!).data : null,
    policy: ok && req.keepPolicy ? policy : null, appliance: l.appliance, dialect: l.config.dialect?.name ?? null,
    image: ok ? policyBytes(policy!) : null,
  };
}

// One request (on the command line), one answer, then exit (the parent's IPC channel closing ends it too).
const answer = (a: CheckAnswer) => process.send!(a, () => process.exit(0));
process.once("disconnect", () => process.exit(0));
check(JSON.parse(process.argv[2]) as CheckRequest).then(answer, (e) => answer({
  ok: false, unstable: false, fingerprint: "", diagnostics: [], program: null, book: null, policy: null, appliance: null, dialect: null, error: String(e?.message ?? e), image: null,
}));
