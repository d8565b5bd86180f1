// The running policy as bytes (v8's serialization), for the dry run's
// worker (diff-worker.ts). The appliance keeps only the compact rule book
// (rule-book.ts), not the rule model: the checker that loaded the
// configuration serializes the model beside the book, and the appliance
// keeps those bytes, compressed, as they arrived. A dry run copies them to its worker
// (a memcpy of a few MB; cloning the model's object graph on the forwarding
// thread took ~150 ms for 10,000 rules, that long without a frame forwarded).
import v8 from "node:v8";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { Policy } from "../model/rule.ts";

/**
 * Serialize a policy, compressed (in the checker, off the forwarding path):
 * a model's serialization repeats itself a great deal, and the appliance
 * keeps the bytes for as long as the rules run, so they cost it a tenth.
 */
export function policyBytes(policy: Policy): Uint8Array {
  return new Uint8Array(deflateRawSync(v8.serialize(policy), { level: 6 }));
}

/** The policy back from its bytes (in the dry run's worker). */
export function readPolicyImage(image: Uint8Array): Policy {
  return v8.deserialize(inflateRawSync(image)) as Policy;
}
