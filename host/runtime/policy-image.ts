// The running policy as bytes (v8's serialization) in a SharedArrayBuffer,
// for the dry run's worker (diff-worker.ts). Handing the policy object itself
// to a worker clones it on the forwarding thread: ~150 ms for 10,000 rules,
// that long without a frame forwarded. A shared buffer is handed over without
// a copy; the reload's worker makes it beside the policy it checks, and the
// appliance makes the first one at start, before it forwards anything.
import v8 from "node:v8";
import type { Policy } from "../model/rule.ts";

const images = new WeakMap<Policy, SharedArrayBuffer>();

/** Serialize a policy into a fresh SharedArrayBuffer (call it off the forwarding path). */
export function makePolicyImage(policy: Policy): SharedArrayBuffer {
  const bytes = v8.serialize(policy);
  const sab = new SharedArrayBuffer(bytes.length);
  new Uint8Array(sab).set(bytes);
  return sab;
}

/** Remember the image of a policy that runs or may run again (a commit-confirm's kept one: same object, same image). */
export function rememberPolicyImage(policy: Policy, image: SharedArrayBuffer | null): void {
  if (image) images.set(policy, image);
}

/** The image of a policy: the remembered one, else made now (on the calling thread). */
export function policyImageOf(policy: Policy): SharedArrayBuffer {
  let image = images.get(policy);
  if (!image) {
    image = makePolicyImage(policy);
    images.set(policy, image);
  }
  return image;
}

export function readPolicyImage(image: SharedArrayBuffer): Policy {
  return v8.deserialize(new Uint8Array(image)) as Policy;
}
