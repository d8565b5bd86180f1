// Checks the malformed/wellformed corpus against its manifests, using a small
// reference classifier written from the drop-reason definitions. This proves
// each malformed frame has exactly the defect its manifest names (every check
// before it passes), and that the committed files match the generator.
import { describe, expect, it } from "vitest";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { malformed, wellformed, type ExpectedParse } from "./corpus/make-malformed.ts";
import { formatIp } from "../host/packet/build.ts";

const root = join(import.meta.dirname, "corpus");
const u16 = (b: Uint8Array, o: number) => (b[o] << 8) | b[o + 1];
const EXT = new Set([0, 43, 44, 60]);

type Result = { drop: string } | { parse: ExpectedParse };

function classify(f: Uint8Array): Result {
  const drop = (r: string): Result => ({ drop: r });
  if (f.length < 14) return drop("truncated-ethernet");
  let off = 12;
  let et = u16(f, off);
  while (et === 0x8100 || et === 0x88a8) {
    if (off + 6 > f.length) return drop("truncated-ethernet");
    off += 4;
    et = u16(f, off);
  }
  const ip = f.subarray(off + 2);
  let family: 4 | 6, proto: number, l4: Uint8Array, src: string, dst: string;
  let fragOff = 0, mf = false;
  if (et === 0x0800) {
    if (ip.length < 20) return drop("truncated-ipv4");
    if (ip[0] >> 4 !== 4) return drop("bad-version");
    const ihl = (ip[0] & 15) * 4;
    if (ihl < 20 || ihl > ip.length) return drop("bad-ihl");
    const tot = u16(ip, 2);
    if (tot < ihl || tot > ip.length) return drop("bad-total-length");
    family = 4;
    proto = ip[9];
    fragOff = u16(ip, 6) & 0x1fff;
    mf = (u16(ip, 6) & 0x2000) !== 0;
    src = formatIp(ip.subarray(12, 16));
    dst = formatIp(ip.subarray(16, 20));
    l4 = ip.subarray(ihl, tot);
  } else if (et === 0x86dd) {
    if (ip.length < 40) return drop("truncated-ipv6");
    if (ip[0] >> 4 !== 6) return drop("bad-version");
    const end = 40 + u16(ip, 4);
    if (end > ip.length) return drop("bad-payload-length");
    family = 6;
    src = formatIp(ip.subarray(8, 24));
    dst = formatIp(ip.subarray(24, 40));
    let next = ip[6], p = 40, count = 0;
    while (EXT.has(next)) {
      if (++count > 8) return drop("bad-extension-header");
      const need = next === 44 ? 8 : 2;
      if (p + need > end) return drop("bad-extension-header");
      const len = next === 44 ? 8 : (ip[p + 1] + 1) * 8;
      if (p + len > end) return drop("bad-extension-header");
      if (next === 44) { fragOff = u16(ip, p + 2) >> 3; mf = (ip[p + 3] & 1) !== 0; }
      next = ip[p];
      p += len;
    }
    proto = next;
    l4 = ip.subarray(p, end);
  } else {
    return drop("not-ip");
  }
  const isIcmp = proto === 1 || proto === 58;
  const frag: ExpectedParse["frag"] = fragOff > 0 ? "later" : mf ? "first" : "none";
  if (frag === "first") {
    if ((proto === 6 && l4.length < 14) || (proto === 17 && l4.length < 8) || (isIcmp && l4.length < 4)) return drop("tiny-fragment");
  }
  if (fragOff === 1 && proto === 6) return drop("fragment-overlap");
  if (frag === "none") {
    if ((proto === 6 && l4.length < 20) || (proto === 17 && l4.length < 8) || (isIcmp && l4.length < 8)) return drop("truncated-l4");
  }
  const out: ExpectedParse = { family, proto, src, dst, frag };
  if (frag !== "later") {
    if (proto === 6) {
      const doff = (l4[12] >> 4) * 4;
      if (doff < 20 || (frag === "none" && doff > l4.length)) return drop("bad-tcp-offset");
      Object.assign(out, { sport: u16(l4, 0), dport: u16(l4, 2), tcpFlags: l4[13] });
    } else if (proto === 17) {
      Object.assign(out, { sport: u16(l4, 0), dport: u16(l4, 2) });
    } else if (isIcmp) {
      Object.assign(out, { icmpType: l4[0], icmpCode: l4[1] });
    }
  }
  return { parse: out };
}

function loadDir(dir: string) {
  const manifest = JSON.parse(readFileSync(join(root, dir, "manifest.json"), "utf8")) as Record<string, unknown>;
  const files = readdirSync(join(root, dir)).filter((f) => f.endsWith(".bin")).sort();
  return { manifest, files };
}

const REASONS = [
  "truncated-ethernet", "not-ip", "truncated-ipv4", "bad-version", "bad-ihl", "bad-total-length", "truncated-ipv6",
  "bad-payload-length", "bad-extension-header", "tiny-fragment", "fragment-overlap", "truncated-l4", "bad-tcp-offset",
];

describe("malformed corpus", () => {
  const { manifest, files } = loadDir("malformed");

  it("manifest lists exactly the .bin files, with known reasons, at least 2 per reason", () => {
    expect(Object.keys(manifest).sort()).toEqual(files);
    const counts = new Map<string, number>();
    for (const r of Object.values(manifest)) counts.set(r as string, (counts.get(r as string) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual([...REASONS].sort());
    for (const r of REASONS) expect(counts.get(r), r).toBeGreaterThanOrEqual(2);
  });

  it("committed files match the generator", () => {
    for (const [name, reason, data] of malformed()) {
      expect(manifest[name], name).toBe(reason);
      expect(Buffer.from(readFileSync(join(root, "malformed", name))).equals(Buffer.from(data)), name).toBe(true);
    }
    expect(malformed().length).toBe(files.length);
  });

  it("every frame has exactly the named defect (reference classifier)", () => {
    for (const f of files) {
      const got = classify(new Uint8Array(readFileSync(join(root, "malformed", f))));
      expect(got, f).toEqual({ drop: manifest[f] });
    }
  });

  it("IP-independent reasons have IPv4 and IPv6 variants, and some have VLAN variants", () => {
    for (const r of ["bad-version", "tiny-fragment", "fragment-overlap", "truncated-l4", "bad-tcp-offset"]) {
      const names = files.filter((f) => manifest[f] === r);
      expect(names.some((n) => n.includes("ipv4")), r).toBe(true);
      expect(names.some((n) => n.includes("ipv6")), r).toBe(true);
    }
    expect(files.filter((f) => f.startsWith("vlan-")).length).toBeGreaterThanOrEqual(10);
  });
});

describe("wellformed corpus", () => {
  const { manifest, files } = loadDir("wellformed");

  it("manifest lists exactly the .bin files and they match the generator", () => {
    expect(Object.keys(manifest).sort()).toEqual(files);
    for (const [name, exp, data] of wellformed()) {
      expect(manifest[name], name).toEqual(exp);
      expect(Buffer.from(readFileSync(join(root, "wellformed", name))).equals(Buffer.from(data)), name).toBe(true);
    }
  });

  it("every frame parses to its manifest entry (reference classifier)", () => {
    for (const f of files) {
      const got = classify(new Uint8Array(readFileSync(join(root, "wellformed", f))));
      expect(got, f).toEqual({ parse: manifest[f] });
    }
    const frags = new Set(Object.values(manifest).map((m) => (m as ExpectedParse).frag));
    expect([...frags].sort()).toEqual(["first", "later", "none"]);
  });
});
