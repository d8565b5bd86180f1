// The site-and-content deny list of AllowFutureConnect (seed 002): sites no
// expectation may open, checked before the rules and never overridden.
//
// Format, one entry per line, `#` starts a comment:
//
//     DESTINATION [PROTOCOL [PORTS]]
//
// DESTINATION is an address or prefix (IPv4 or IPv6) or `any`; PROTOCOL is
// `tcp`, `udp` or `any` (default any); PORTS is `N` or `LO-HI` (default all).
// Errors carry file:line:col and a CT code; a list with errors is not used.
import { type Address, type Prefix, parsePrefix, prefixContains } from "../model/addr.ts";
import { DiagnosticSink, type Diagnostic, hasErrors } from "../model/diagnostic.ts";

export interface SiteDenyEntry {
  prefix: Prefix | null; // null: any destination
  proto: number | null; // 6, 17, or null for any
  lo: number;
  hi: number;
  line: number;
  text: string;
}

export class SiteDenyList {
  constructor(readonly entries: SiteDenyEntry[]) {}

  /** The first entry that denies a connection to `dst` port `port` over `proto`, or null. */
  match(dst: Address, proto: number, port: number): SiteDenyEntry | null {
    return this.entries.find((e) => (e.prefix === null || prefixContains(e.prefix, dst))
      && (e.proto === null || e.proto === proto) && port >= e.lo && port <= e.hi) ?? null;
  }

  denies(dst: Address, proto: number, port: number): boolean {
    return this.match(dst, proto, port) !== null;
  }
}

const PROTOS: Record<string, number | null> = { tcp: 6, udp: 17, any: null };

/** Parse a deny list; `list` is null when there were errors (they are in `diagnostics`). */
export function parseSiteDenyList(text: string, file: string): { list: SiteDenyList | null; diagnostics: Diagnostic[] } {
  const sink = new DiagnosticSink(file);
  const entries: SiteDenyEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const hash = raw.indexOf("#");
    const body = hash >= 0 ? raw.slice(0, hash) : raw;
    const fields: { text: string; col: number }[] = [];
    for (const m of body.matchAll(/\S+/g)) fields.push({ text: m[0], col: m.index! + 1 });
    if (fields.length === 0) return;
    if (fields.length > 3) {
      sink.error(line, fields[3].col, "CT004", `unexpected "${fields[3].text}": an entry is DESTINATION [PROTOCOL [PORTS]]`);
      return;
    }
    const [d, p, ports] = fields;
    let prefix: Prefix | null = null;
    if (d.text.toLowerCase() !== "any") {
      prefix = parsePrefix(d.text);
      if (!prefix) {
        sink.error(line, d.col, "CT001", `"${d.text}" is not an address, a prefix or "any"`);
        return;
      }
    }
    let proto: number | null = null;
    if (p) {
      const key = p.text.toLowerCase();
      if (!Object.hasOwn(PROTOS, key)) {
        sink.error(line, p.col, "CT002", `protocol "${p.text}" must be tcp, udp or any`);
        return;
      }
      proto = PROTOS[key];
    }
    let lo = 0;
    let hi = 65535;
    if (ports) {
      const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(ports.text);
      lo = m ? Number(m[1]) : -1;
      hi = m ? Number(m[2] ?? m[1]) : -1;
      if (!m || lo < 1 || hi > 65535 || lo > hi) {
        sink.error(line, ports.col, "CT003", `ports "${ports.text}" must be N or LO-HI with 1 <= LO <= HI <= 65535`);
        return;
      }
      if (proto === null) {
        sink.error(line, ports.col, "CT005", `ports need a protocol: write "tcp ${ports.text}" or "udp ${ports.text}"`);
        return;
      }
    }
    entries.push({ prefix, proto, lo, hi, line, text: raw.trim() });
  });
  return { list: hasErrors(sink.list) ? null : new SiteDenyList(entries), diagnostics: sink.list };
}
