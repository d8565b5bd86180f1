// Seeded, structure-aware fuzzing of this branch's parsers (issue 12): the
// Windows CE .reg and JSON forms, the InstaGate text and JSON forms, and the
// appliance description. Valid files are mutated the way hostile or careless
// hands would (lines cut, duplicated, swapped; tokens replaced by extreme
// numbers, prototype names, control and bidi characters, huge tokens, deep
// brackets; the text truncated), and every case must end in a result or in
// located diagnostics: never an exception, never an error without a place in
// the file, never a message that carries a huge token whole.
//
// CI runs PORTCULLIS_FUZZ_CASES (default 1500) cases per parser from
// PORTCULLIS_FUZZ_SEED (default fixed, printed); run millions locally with
//   PORTCULLIS_FUZZ_CASES=1000000 PORTCULLIS_FUZZ_SEED=$RANDOM npx vitest run test/config-fuzz.test.ts
// A failure names the seed and the case number, and writes nothing to disk.
import { describe, it, expect } from "vitest";
import { readFileSync } from "node:fs";
import { loadWince } from "../host/dialects/wince/index.ts";
import { loadInstagate, instagateDialect } from "../host/dialects/instagate/index.ts";
import { readApplianceText, parseAppliance, BUILTIN_APPLIANCE_JSON } from "../host/model/appliance.ts";
import { decodeText } from "../host/config/load.ts";
import { encodePolicy, EncodeError } from "../host/engine/encode.ts";
import type { Diagnostic } from "../host/model/diagnostic.ts";
import { detectDialect } from "../host/dialects/registry.ts";
import { registerAllDialects } from "../host/dialects/all.ts";
import { rng } from "./support/mutate.ts";

registerAllDialects();

const CASES = Number(process.env.PORTCULLIS_FUZZ_CASES ?? 1500);
const SEED = Number(process.env.PORTCULLIS_FUZZ_SEED ?? 20261129);
console.log(`config-fuzz: ${CASES} cases per parser from seed ${SEED} (PORTCULLIS_FUZZ_CASES, PORTCULLIS_FUZZ_SEED)`);

const EXTREMES = [
  "99999999999999999999999", "-1", "0", "4294967295", "4294967296", "0x100000019", "0xffffffff", "65535", "65536", "1e400", "-0", "1.5", "NaN",
  "", "__proto__", "constructor", "toString", "hasOwnProperty", "valueOf",
  "\u0000", "\u0007", "\u001b[2J", "\u202e", "\u0085", "\r", "\n", "\t", "\ufeff", "\ud800",
  '"', "\\", "[", "]", "{", "}", ",", ":", ";", "=", "-", " - ", "/", "|",
  "dword:", "hex:", "hex(7):", "dword:ffffffff", "hex:02,00,00,00,c0,a8,00,65", "FWF_ALLOW | FWF_INBOUND", "Object - ANY", "Network - 10.0.0.1 - Subnet 255.0.0.0",
  "255.255.255.255", "0.0.0.0/0", "::", "fe80::1%eth0", "2001:db8::/129", "192.168.0.1/33",
];

/** A huge or deep token, made when needed (not kept in the list: they would dominate memory). */
function bigToken(r: () => number): string {
  switch (Math.floor(r() * 5)) {
    case 0: return "A".repeat(70_000);
    case 1: return "9".repeat(500);
    case 2: return "[".repeat(300 + Math.floor(r() * 300));
    case 3: return '{"a":'.repeat(300);
    default: return ",".repeat(5000);
  }
}

const pick = <T>(r: () => number, xs: T[]): T => xs[Math.floor(r() * xs.length)];

/** One mutation of the text: line-, token- or character-level. */
function mutate(text: string, r: () => number): string {
  const lines = text.split("\n");
  const li = Math.floor(r() * lines.length);
  switch (Math.floor(r() * 10)) {
    case 0: lines.splice(li, 1); break; // cut a line
    case 1: lines.splice(li, 0, lines[Math.floor(r() * lines.length)]); break; // duplicate a line
    case 2: { const lj = Math.floor(r() * lines.length); [lines[li], lines[lj]] = [lines[lj], lines[li]]; break; } // swap two lines
    case 3: return text.slice(0, Math.floor(r() * text.length)); // truncate
    case 4: case 5: case 6: { // replace a token of a line with an extreme one
      const parts = lines[li].split(/([\s,:=|"[\]{}()\-\\/;])/);
      const ti = Math.floor(r() * parts.length);
      parts[ti] = r() < 0.1 ? bigToken(r) : pick(r, EXTREMES);
      lines[li] = parts.join("");
      break;
    }
    case 7: { // insert an extreme token anywhere
      const at = Math.floor(r() * (text.length + 1));
      return text.slice(0, at) + (r() < 0.1 ? bigToken(r) : pick(r, EXTREMES)) + text.slice(at);
    }
    case 8: { // delete a span
      const at = Math.floor(r() * text.length);
      return text.slice(0, at) + text.slice(at + 1 + Math.floor(r() * 20));
    }
    default: { // a random character
      const at = Math.floor(r() * (text.length + 1));
      return text.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x300)) + text.slice(at);
    }
  }
  return lines.join("\n");
}

/** Every diagnostic placed inside the text (line 1..lines+1, column >= 1), with a bounded message. */
function expectLocated(ds: Diagnostic[], text: string, where: string): void {
  const lineCount = text.split(/\r\n|\n|\r/).length;
  for (const d of ds) {
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lineCount + 1, `${where}: line ${d.line} of ${lineCount}: ${d.message.slice(0, 200)}`).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1, `${where}: column ${d.column}`).toBe(true);
    expect(d.code, where).toMatch(/^[A-Z]{2,3}\d{3}$/);
    expect(d.message.length, `${where}: a message of ${d.message.length} characters: ${d.message.slice(0, 200)}`).toBeLessThan(4000);
  }
}

const appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");
const opts = { appliance, strict: false, options: {} };
const read = (p: string) => decodeText(readFileSync(p));

/** Run `cases` mutated inputs through `run`; return how many loaded and how many were refused. */
function fuzz(name: string, bases: string[], seedOffset: number, run: (text: string, where: string) => boolean): { loaded: number; refused: number } {
  let loaded = 0;
  let refused = 0;
  for (let k = 0; k < CASES; k++) {
    const r = rng(SEED + seedOffset + k * 7919);
    let text = pick(r, bases);
    const rounds = 1 + Math.floor(r() * 4);
    for (let m = 0; m < rounds; m++) text = mutate(text, r);
    const where = `${name} case ${k} (PORTCULLIS_FUZZ_SEED=${SEED})`;
    let ok: boolean;
    try {
      detectDialect(text); // what the CLI does first without --dialect: every dialect's detector sees the text
      ok = run(text, where);
    } catch (e) {
      throw new Error(`${where}: threw ${(e as Error).stack ?? e}\ninput (first 500 characters): ${JSON.stringify(text.slice(0, 500))}`);
    }
    if (ok) loaded++;
    else refused++;
  }
  console.log(`config-fuzz ${name}: ${CASES} cases, ${loaded} loaded, ${refused} refused with located errors`);
  return { loaded, refused };
}

/** A loaded policy must also compile (or be refused by the encoder with its own error). */
function compiles(policy: Parameters<typeof encodePolicy>[0]): void {
  try {
    encodePolicy(policy);
  } catch (e) {
    if (!(e instanceof EncodeError)) throw e;
  }
}

function loadedOrRefused(res: { policy: unknown; diagnostics: Diagnostic[] }, text: string, where: string): boolean {
  expectLocated(res.diagnostics, text, where);
  if (res.policy) return true;
  expect(res.diagnostics.some((d) => d.severity === "error"), `${where}: not loaded, but no error says why`).toBe(true);
  return false;
}

describe("structure-aware fuzzing (seeded): every case ends in a result or located diagnostics", () => {
  it("Windows CE, regedit form", () => {
    const bases = ["test/golden/wince/seed000.reg", "test/golden/wince/office.reg", "test/golden/wince/office-utf16.reg", "test/golden/wince/errors.reg"].map(read);
    const n = fuzz("wince .reg", bases, 1, (text, where) => {
      const res = loadWince([{ path: "f.reg", text }], opts);
      if (res.policy) compiles(res.policy);
      return loadedOrRefused(res, text, where);
    });
    expect(n.loaded + n.refused).toBe(CASES);
  });

  it("Windows CE, FW_RULE JSON form", () => {
    const bases = ["test/golden/wince/seed000-fwrule.json", "test/fixtures/wince/seed000.json"].map(read);
    fuzz("wince JSON", bases, 2, (text, where) => {
      const res = loadWince([{ path: "f.json", text }], opts);
      if (res.policy) compiles(res.policy);
      return loadedOrRefused(res, text, where);
    });
  });

  it("InstaGate, text form", () => {
    const bases = ["internal-mail-server", "internal-mail-server-placeholder", "instagate-mail-server", "zones", "antivirus", "errors-names"].map((f) => read(`test/golden/instagate/${f}.txt`));
    fuzz("instagate text", bases, 3, (text, where) => {
      const res = loadInstagate([{ path: "f.txt", text }], opts);
      if (res.policy) compiles(res.policy);
      return loadedOrRefused(res, text, where);
    });
  });

  it("InstaGate, JSON form", () => {
    const fromText = ["internal-mail-server", "zones", "instagate-mail-server"].map((f) => {
      const res = loadInstagate([{ path: `${f}.txt`, text: read(`test/golden/instagate/${f}.txt`) }], opts);
      return instagateDialect.show(res, { ...opts, options: { format: "json" } });
    });
    const bases = [read("test/golden/instagate/internal-mail-server-json.json"), ...fromText];
    fuzz("instagate JSON", bases, 4, (text, where) => {
      const res = loadInstagate([{ path: "f.json", text }], opts);
      if (res.policy) compiles(res.policy);
      return loadedOrRefused(res, text, where);
    });
  });

  it("the appliance description", () => {
    const bases = ["test/golden/wince/office.appliance.json", "test/golden/instagate/zones.appliance.json", "test/golden/winfw/ipv6.appliance.json", "examples/portmaster/office.appliance.json"].map(read);
    bases.push(JSON.stringify({ ...BUILTIN_APPLIANCE_JSON, loghost: "192.168.0.5:514", timezone: "Europe/Berlin" }, null, 1));
    fuzz("appliance", bases, 5, (text, where) => {
      const res = readApplianceText(text, "a.json");
      expectLocated(res.diagnostics, text, where);
      if (res.appliance) {
        // What loads is usable: names, addresses and the loghost hold no control characters.
        for (const i of res.appliance.interfaces) expect(i.name, where).toMatch(/^[A-Za-z0-9_.-]{1,15}$/);
        if (res.appliance.loghost) expect(res.appliance.loghost.host, where).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
        return true;
      }
      expect(res.diagnostics.some((d) => d.severity === "error"), `${where}: refused without an error`).toBe(true);
      return false;
    });
  });
});
