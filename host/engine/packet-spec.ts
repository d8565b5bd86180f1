// The packet syntax of `explain --packet` (cli.md):
//   PROTO SRC[:PORT] > DST[:PORT] [in=IFACE] [out=IFACE] [flags=SA] [type=8] [code=0]
//   [frag=none|first|later] [time=2026-11-22T10:00:00]
import { parseAddress, type Address } from "../model/addr.ts";
import { type Appliance, interfaceIndex } from "../model/appliance.ts";
import { pathOf } from "./direction.ts";
import { type PacketHeader, type PacketMeta, emptyHeader, type FragState } from "./header.ts";
import { TCP_FLAG_BITS } from "../model/rule.ts";
import { localTime } from "../model/localtime.ts";

export class SpecError extends Error {}

const PROTOS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmp6: 58, ipv6icmp: 58, esp: 50, ah: 51, gre: 47, ipip: 4, sctp: 132 };

export interface PacketSpec {
  header: PacketHeader;
  meta: PacketMeta;
  ifInName: string;
  ifOutName: string;
  src: Address;
  dst: Address;
}

function parseEndpoint(text: string, withPort: boolean): { addr: Address; port: number | null } {
  let host = text;
  let port: string | null = null;
  const br = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (br) {
    host = br[1];
    port = br[2] ?? null;
  } else if (text.split(":").length === 2) {
    [host, port] = text.split(":");
  }
  const addr = parseAddress(host);
  if (!addr) throw new SpecError(`bad address "${host}"`);
  if (port !== null) {
    if (!withPort) throw new SpecError(`"${text}": this protocol has no ports`);
    if (!/^\d+$/.test(port) || Number(port) > 65535) throw new SpecError(`bad port "${port}"`);
  }
  return { addr, port: port === null ? null : Number(port) };
}

/** Parse a local or absolute time into ns since the epoch, in the appliance's zone. */
export function parseSpecTime(text: string, timeZone: string): bigint {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?(Z|[+-]\d{2}:\d{2})?$/.exec(text);
  if (!m) throw new SpecError(`bad time "${text}" (use 2026-11-22T10:00:00, local to the appliance, or with Z or an offset)`);
  // Date.UTC rolls an impossible field over (month 13 is next January,
  // 34:00 is tomorrow): every field is range-checked first (issue 12).
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? "0"].map(Number);
  const bad = (what: string) => new SpecError(`bad time "${text}": ${what}`);
  if (year < 1970) throw bad("the year must be 1970 or later");
  if (month < 1 || month > 12) throw bad(`there is no month ${m[2]}`);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day < 1 || day > daysInMonth) throw bad(`${year}-${m[2]} has no day ${m[3]}`);
  if (hour > 23) throw bad(`the hour ${m[4]} is not 00..23`);
  if (minute > 59) throw bad(`the minute ${m[5]} is not 00..59`);
  if (second > 59) throw bad(`the second ${m[6]} is not 00..59`);
  if (m[7] && m[7] !== "Z" && (Number(m[7].slice(1, 3)) > 23 || Number(m[7].slice(4, 6)) > 59)) throw bad(`the offset ${m[7]} is not -23:59..+23:59`);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second);
  if (m[7]) {
    const off = m[7] === "Z" ? 0 : (m[7][0] === "-" ? -1 : 1) * (Number(m[7].slice(1, 3)) * 60 + Number(m[7].slice(4, 6)));
    return BigInt(utc - off * 60000) * 1000000n;
  }
  // Wall-clock time in the zone: find the instant whose local reading is it.
  let guess = utc;
  for (let i = 0; i < 3; i++) {
    const lt = localTime(guess, timeZone);
    const shown = Date.UTC(lt.year, lt.month - 1, lt.day, Math.floor(lt.minuteOfDay / 60), lt.minuteOfDay % 60) + (utc % 60000);
    if (shown === utc) break;
    guess += utc - shown;
  }
  return BigInt(guess) * 1000000n;
}

export function parsePacketSpec(text: string, appliance: Appliance, nowMs = Date.now()): PacketSpec {
  const words = text.trim().split(/\s+/);
  const gt = words.indexOf(">");
  if (gt !== 2 || words.length < 4) throw new SpecError(`expected "PROTO SRC[:PORT] > DST[:PORT] [key=value ...]", got "${text}"`);
  const protoWord = words[0].toLowerCase();
  const proto = (Object.hasOwn(PROTOS, protoWord) ? PROTOS[protoWord] : undefined) ?? (/^\d+$/.test(protoWord) && Number(protoWord) <= 255 ? Number(protoWord) : NaN);
  if (Number.isNaN(proto)) throw new SpecError(`unknown protocol "${words[0]}" (tcp, udp, icmp, icmp6 or a number)`);
  const hasPorts = proto === 6 || proto === 17 || proto === 132 || proto === 136; // as the parser: udplite has ports too
  const src = parseEndpoint(words[1], hasPorts);
  const dst = parseEndpoint(words[3], hasPorts);
  if (src.addr.family !== dst.addr.family) throw new SpecError("source and destination are of different address families");
  const opts: Record<string, string> = {};
  for (const w of words.slice(4)) {
    const eq = w.indexOf("=");
    if (eq <= 0) throw new SpecError(`expected key=value, got "${w}"`);
    const key = w.slice(0, eq);
    if (!["in", "out", "flags", "type", "code", "frag", "time", "len"].includes(key)) throw new SpecError(`unknown key "${key}"`);
    opts[key] = w.slice(eq + 1);
  }
  const given = (name: string | undefined): number | undefined => {
    if (name === undefined) return undefined;
    const i = interfaceIndex(appliance, name);
    if (i < 0) throw new SpecError(`no interface "${name}" (have ${appliance.interfaces.map((x) => x.name).join(", ")})`);
    return i;
  };
  const forced = { in: given(opts.in), out: given(opts.out) };
  const frag = (opts.frag ?? "none") as FragState;
  if (!["none", "first", "later"].includes(frag)) throw new SpecError(`frag must be none, first or later`);

  const h = emptyHeader(Number(opts.len ?? 60));
  h.family = src.addr.family;
  h.proto = proto;
  h.frag = frag;
  h.src = src.addr.words;
  h.dst = dst.addr.words;
  if (frag !== "later") {
    if (hasPorts) {
      h.sport = src.port ?? 1024;
      h.dport = dst.port ?? 0;
    }
    if (proto === 6) {
      let f = 0;
      for (const c of (opts.flags ?? "S").toUpperCase()) {
        if (!(c in TCP_FLAG_BITS)) throw new SpecError(`unknown TCP flag "${c}" (S A F R P U)`);
        f |= TCP_FLAG_BITS[c];
      }
      h.tcpFlags = f;
    }
    if (proto === 1 || proto === 58) {
      const type = Number(opts.type ?? (proto === 1 ? 8 : 128));
      const code = Number(opts.code ?? 0);
      if (!(type >= 0 && type <= 255) || !(code >= 0 && code <= 255)) throw new SpecError("ICMP type and code are 0..255");
      h.icmpType = type;
      h.icmpCode = code;
    }
  }
  // A missing in=/out= is inferred from the addresses exactly as replay
  // infers a captured packet's path (one function, cli.md); given ones win.
  const path = pathOf(appliance, h, forced);
  const { ifIn, ifOut } = path;
  const ifInName = appliance.interfaces[ifIn].name;
  const ifOutName = appliance.interfaces[ifOut].name;
  const timeNs = opts.time ? parseSpecTime(opts.time, appliance.timezone) : BigInt(nowMs) * 1000000n;
  const lt = localTime(Number(timeNs / 1000000n), appliance.timezone);
  const meta: PacketMeta = {
    ifIn, ifOut, dir: path.dir,
    minuteOfDay: lt.minuteOfDay, dayOfWeek: lt.dayOfWeek, day: lt.day, month: lt.month, timeNs,
  };
  return { header: h, meta, ifInName, ifOutName, src: src.addr, dst: dst.addr };
}
