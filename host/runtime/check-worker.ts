// The reload's worker thread: read, check and compile a configuration off the
// forwarding path (a large or hostile file may take seconds to parse; the
// event loop that forwards frames must not wait for it). It answers with the
// finished program and policy, or the diagnostics, and the fingerprint of
// the file contents it checked (the same before and after, or the files were
// being written and the answer says so).
import { parentPort, workerData } from "node:worker_threads";
import { loadAllLazily, type LoadSettings } from "../config/compile.ts";
import { fingerprintFiles } from "./fingerprint.ts";
import { compactPolicyTexts } from "./compact-texts.ts";
import { policyRuleKeys } from "./firewall.ts";
import { makePolicyImage } from "./policy-image.ts";

export interface CheckRequest {
  configs: string[];
  load: LoadSettings;
  /** Modules imported first (tests register their dialects this way). */
  imports: string[];
}

export interface CheckAnswer {
  ok: boolean;
  /** The files changed while they were being checked: nothing else here counts. */
  unstable: boolean;
  fingerprint: string;
  diagnostics: import("../model/diagnostic.ts").Diagnostic[];
  program: Uint8Array | null;
  policy: import("../model/rule.ts").Policy | null;
  appliance: import("../model/appliance.ts").Appliance | null;
  dialect: string | null;
  /** Each rule's identity (firewall.ts policyRuleKeys), for carrying counters over. */
  keys: string[] | null;
  /** A failure that is not a diagnostic (a bad --appliance file, a crash in a front end). */
  error: string | null;
  /** The policy serialized into shared memory (policy-image.ts), for a later dry run's worker. */
  image: SharedArrayBuffer | null;
}

async function check(req: CheckRequest): Promise<CheckAnswer> {
  for (const m of req.imports) await import(m);
  const before = await fingerprintFiles(req.configs);
  const base = { unstable: false, fingerprint: before, diagnostics: [], program: null, policy: null, appliance: null, dialect: null, keys: null, error: null, image: null };
  let l;
  try {
    l = await loadAllLazily(req.configs, req.load);
  } catch (e) {
    return { ...base, ok: false, error: e instanceof Error ? e.message : String(e) };
  }
  const after = await fingerprintFiles(req.configs);
  if (after !== before) return { ...base, ok: false, unstable: true, fingerprint: after };
  const policy = l.config.policy && compactPolicyTexts(l.config.policy);
  return {
    ...base, ok: l.ok && l.program !== null && policy !== null, diagnostics: l.diagnostics,
    program: l.program, policy, appliance: l.appliance, dialect: l.config.dialect?.name ?? null,
    keys: policy && l.ok ? policyRuleKeys(policy) : null,
    image: policy && l.ok ? makePolicyImage(policy) : null,
  };
}

check(workerData as CheckRequest).then(
  (a) => parentPort!.postMessage(a, a.program ? [a.program.buffer as ArrayBuffer] : []),
  (e) => parentPort!.postMessage({ ok: false, unstable: false, fingerprint: "", diagnostics: [], program: null, policy: null, appliance: null, dialect: null, keys: null, error: String(e?.message ?? e), image: null }),
);
