// Issue 12, item 7: the parsers of this branch are linear (or n log n) in
// their input. Each case times an input 10x larger than a smaller one in the
// same run and requires the ratio to stay below 20: a quadratic parser gives
// ~100, and it is a ratio, not an absolute time, so a slow or busy machine
// does not fail it. On 364a4a7, 50,000 .reg continuation lines took 22 s and a
// chain of 6,000 InstaGate object lists overflowed the stack.
import { describe, it, expect } from "vitest";
import { loadWince } from "../host/dialects/wince/index.ts";
import { loadInstagate } from "../host/dialects/instagate/index.ts";
import { looksLikeText } from "../host/dialects/instagate/text.ts";
import { parseRegedit, registryView } from "../host/model/regedit.ts";
import { parseJson } from "../host/model/jsonpos.ts";
import { readApplianceText } from "../host/model/appliance.ts";
import { parseAppliance, BUILTIN_APPLIANCE_JSON } from "../host/model/appliance.ts";

const appliance = parseAppliance(BUILTIN_APPLIANCE_JSON, "built-in");
const opts = { appliance, strict: false, options: {} };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Time `run(make(n))` and `run(make(10n))`; the ratio must stay below 20. The
 * small input is run 10 times per measurement (its time is the mean), so that
 * both measurements allocate about as much and meet the collector alike, and
 * the two alternate over 3 rounds (medians taken), so that other work on a
 * shared machine falls on both. Other test files run beside this one, so a
 * burst of their work can still land on the large input: a ratio of 20 or
 * more is measured again, up to 3 times. A quadratic parser (~100 here) fails
 * every time; noise does not repeat.
 */
function linear<T>(name: string, n: number, make: (n: number) => T, run: (input: T) => void): void {
  const small = make(n);
  const large = make(10 * n);
  run(small); // warm-up: compile the parser (for both sizes) before timing it
  run(large);
  const ratios: string[] = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const as: number[] = [];
    const bs: number[] = [];
    for (let round = 0; round < 3; round++) {
      let t0 = performance.now();
      for (let k = 0; k < 10; k++) run(small);
      as.push((performance.now() - t0) / 10);
      t0 = performance.now();
      run(large);
      bs.push(performance.now() - t0);
    }
    const a = median(as);
    const b = median(bs);
    // Below a millisecond the timer and the call overhead decide; count such a run as 1 ms.
    const ratio = b / Math.max(a, 1);
    ratios.push(`${a.toFixed(1)} ms for ${n}, ${b.toFixed(1)} ms for ${10 * n}: ratio ${ratio.toFixed(1)}`);
    if (ratio < 20) break;
  }
  console.log(`${name}: ${ratios.join("; ")}`);
  expect(ratios[ratios.length - 1], `${name}: ${ratios.join("; ")}`).toMatch(/ratio (1?\d)\.\d$/);
}

const regContinuation = (n: number) => {
  const l = ["REGEDIT4", "", "[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\R1]", '"Flags"=dword:0000000a', '"Mask"=dword:00000001', '"PrivateHost"=hex:02,00,00,00,\\'];
  for (let i = 0; i < n; i++) l.push("  c0,\\"); // one byte a line: 50,000 lines stay under the 65,536-byte limit
  l.push("  00");
  return l.join("\r\n") + "\r\n";
};

const igChain = (n: number) => {
  const l: string[] = [];
  for (let i = 0; i < n; i++) l.push(`Object O${i} - List - 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}, O${i + 1}`);
  l.push(`Object O${n} - Address - 172.16.0.1`);
  l.push("1) Accept Rule", "Action Accept", "Interface LAN", "Source Match - Include", "Source Address or Network - Object - O0",
    "Destination Match - Include", "Destination Address or Network - Object - ANY", "Services - Selected - SMTP");
  return l.join("\n") + "\n";
};

describe("item 7: parse time grows linearly with the input", () => {
  it(".reg: hex continuation lines (wince, through the shared reader)", () => {
    linear(".reg continuation", 5000, regContinuation, (text) => {
      const r = loadWince([{ path: "c.reg", text }], opts);
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([{ ...r.diagnostics[0], code: "CE022" }]); // the long value is not an address
    });
  });

  it("InstaGate: a chain of object lists, each naming the next (no stack overflow at 6,000)", () => {
    linear("InstaGate list chain", 600, igChain, (text) => {
      const r = loadInstagate([{ path: "c.txt", text }], opts);
      expect(r.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      expect(r.policy).not.toBeNull();
    });
  });

  it("InstaGate: a chain of 6,000 that loops back is one located IG034, not a stack overflow", () => {
    const text = igChain(6000).replace("Object O6000 - Address - 172.16.0.1", "Object O6000 - List - O0");
    const r = loadInstagate([{ path: "c.txt", text }], opts);
    const e = r.diagnostics.filter((d) => d.severity === "error");
    expect(e).toHaveLength(1);
    expect(e[0]).toMatchObject({ code: "IG034", line: 1, column: 8 });
    expect(e[0].message.length).toBeLessThan(300);
  });

  it("InstaGate: one flat object list of many members (each member checked against the others)", () => {
    const flat = (n: number) => `Object L - List - ${Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`).join(", ")}\n` + igChain(0).replace("Object O0 - Address - 172.16.0.1\n", "").replace("Object - O0", "Object - L");
    linear("InstaGate flat list", 1000, flat, (text) => expect(loadInstagate([{ path: "f.txt", text }], opts).policy).not.toBeNull());
  });

  it("InstaGate: a field with a long run of blanks, and detection over many blank lines", () => {
    linear("InstaGate blank run", 20_000, (n) => `1) R\nAction${" ".repeat(n)}x\n`, (text) => loadInstagate([{ path: "b.txt", text }], opts));
    linear("InstaGate detection", 20_000, (n) => "\n".repeat(n) + "x", (text) => looksLikeText(text));
  });

  it(".reg: key lines full of ], and deleting keys ([-KEY]) among many", () => {
    linear(".reg brackets", 20_000, (n) => "[" + "]".repeat(n) + "x\n", (text) => parseRegedit(text));
    const deletes = (n: number) => Array.from({ length: n }, (_, i) => `[HKEY_LOCAL_MACHINE\\X\\K${i}]\n"v"="x"\n[-HKEY_LOCAL_MACHINE\\X\\K${i >> 1}]`).join("\n");
    linear(".reg deletions", 2000, deletes, (text) => registryView(parseRegedit(text)));
  });

  it(".reg: many values in one rule key", () => {
    const values = (n: number) => "[HKEY_LOCAL_MACHINE\\COMM\\Firewall\\Rules\\R]\n" + Array.from({ length: n }, (_, i) => `"V${i}"=dword:1`).join("\n") + '\n"Flags"=dword:a\n"Mask"=dword:0\n"PrivateHost"=hex:02,00\n';
    linear(".reg values", 2000, values, (text) => loadWince([{ path: "v.reg", text }], opts));
  });

  it("Windows CE: ALLOW and BLOCK rules of one protocol (the CE030 check, ALLOW covers BLOCK)", () => {
    const rules = (n: number) => JSON.stringify(Array.from({ length: 2 * n }, (_, i) => ({
      name: `R${i}`, dwFlags: i < n ? "FWF_ALLOW | FWF_OUTBOUND" : "FWF_BLOCK | FWF_OUTBOUND", dwMask: 37, Protocol: 6, Port: 1 + (i % n),
      PrivateHost: { Family: 2, AddressIPv4: `10.0.${((i % n) >> 8) & 255}.${(i % n) & 255}` },
    })));
    linear("Windows CE ALLOW/BLOCK", 200, rules, (text) => {
      const r = loadWince([{ path: "r.json", text }], opts);
      expect(r.diagnostics.length).toBe(r.vendor!.length / 2); // every BLOCK is covered by its ALLOW: CE030
    });
  });

  it("JSON: the shared reader, and the Windows CE and appliance readers on top of it", () => {
    linear("JSON numbers", 20_000, (n) => "[" + Array.from({ length: n }, (_, i) => i).join(",") + "]", (text) => expect(parseJson(text).problems).toEqual([]));
    const rules = (n: number) => JSON.stringify(Array.from({ length: n }, (_, i) => ({ name: `R${i}`, dwFlags: "FWF_ALLOW | FWF_OUTBOUND", dwMask: 1, PrivateHost: { Family: 2, AddressIPv4: `10.0.${(i >> 8) & 255}.${i & 255}` } })));
    linear("Windows CE JSON rules", 300, rules, (text) => expect(loadWince([{ path: "r.json", text }], opts).policy).not.toBeNull());
    const ifaces = (n: number) => JSON.stringify({ interfaces: [{ name: "lan", role: "private", addresses: Array.from({ length: n }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`) }] });
    linear("appliance addresses", 1000, ifaces, (text) => expect(readApplianceText(text, "a.json").diagnostics.filter((d) => d.severity === "error")).toEqual([]));
  });
});
