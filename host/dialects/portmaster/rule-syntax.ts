// The body of one `set filter NAME N ...` command:
//   permit|deny [SRC/BITS DST/BITS] [ip | protocol N | esp | ah | ipip
//     | icmp [type N] | tcp|udp [src eq|lt|gt P] [dst eq|lt|gt P] [established]]
//     [log] [notify]
// Errors stop the rule (one clear error beats a cascade); warnings do not.
import type { DiagnosticSink } from "../../model/diagnostic.ts";
import { type Prefix, parseIpv4, parseIpv6, makePrefix, isNetworkAddress, netmaskLength, formatPrefix } from "../../model/addr.ts";
import type { PortTest } from "../../model/rule.ts";
import type { Token } from "./lex.ts";
import { PM } from "./codes.ts";
import { type PmRule, type ProtoName, PROTO_NUMBERS } from "./model.ts";
import { excerpt } from "../../model/excerpt.ts";

const PROTO_WORDS = new Set(["ip", "protocol", "tcp", "udp", "icmp", "esp", "ah", "ipip"]);
const PORT_WORDS = new Set(["src", "dst", "established"]);

class Stop extends Error {}

/** Parse `ADDRESS/BITS` or `ADDRESS/DOTTED.MASK` (IPv4 only); null after an error. */
export function parsePmPrefix(tok: Token, d: DiagnosticSink, line: number): Prefix | null {
  const bad = (msg: string): null => { d.error(line, tok.column, PM.BAD_PREFIX, msg); return null; };
  const slash = tok.text.indexOf("/");
  const addrText = slash < 0 ? tok.text : tok.text.slice(0, slash);
  const v4 = parseIpv4(addrText);
  if (v4 === null) {
    if (parseIpv6(addrText) !== null) return bad(`"${excerpt(tok.text)}": PortMaster filters are IPv4 only`);
    return bad(`"${excerpt(addrText)}" is not an IPv4 address`);
  }
  if (slash < 0) return bad(`"${excerpt(tok.text)}": a prefix is ADDRESS/BITS (${excerpt(tok.text)}/32 for one host, 0.0.0.0/0 for any)`);
  const maskText = tok.text.slice(slash + 1);
  let len: number | null;
  if (/^\d{1,3}$/.test(maskText)) {
    len = Number(maskText);
    if (len > 32) return bad(`"${excerpt(tok.text)}": the prefix length /${excerpt(maskText)} is above 32`);
  } else if (/^\d+\.\d+\.\d+\.\d+$/.test(maskText)) {
    len = netmaskLength(maskText);
    if (len === null) return bad(`"${excerpt(tok.text)}": ${excerpt(maskText)} is not a contiguous netmask`);
  } else {
    return bad(`"${excerpt(tok.text)}": the mask must be BITS (0..32) or a dotted netmask`);
  }
  const addr = { family: 4 as const, words: [v4] };
  const p = makePrefix(addr, len);
  if (!isNetworkAddress(addr, len)) {
    d.warning(line, tok.column, PM.HOST_BITS, `"${excerpt(tok.text)}" has host bits set under the mask; the mask applies: ${formatPrefix(p)}`);
  }
  return p;
}

function looksLikePrefix(t: string): boolean {
  return t.includes("/") || /^[0-9.]+$/.test(t) || t.includes(":");
}

/**
 * Parse the words after the rule number (tokens[0] is permit|deny).
 * `rule` carries the filter, number and location already.
 */
export function parseRuleBody(tokens: Token[], base: Pick<PmRule, "filter" | "number" | "numberColumn" | "loc">, d: DiagnosticSink): PmRule | null {
  const line = base.loc.line;
  let i = 0;
  const err = (tok: Token | undefined, code: string, msg: string): never => {
    d.error(line, tok ? tok.column : base.loc.column + base.loc.text.length, code, msg);
    throw new Stop();
  };
  const next = () => tokens[i];
  try {
    const act = next();
    if (act.lower !== "permit" && act.lower !== "deny") {
      if (act.lower === "delete") err(act, PM.UNKNOWN_KEYWORD, `unknown keyword "${excerpt(act.text)}": to remove rule ${base.number} write "set filter ${base.filter} ${base.number}" with nothing after it`);
      err(act, PM.UNKNOWN_KEYWORD, `unknown keyword "${excerpt(act.text)}": expected permit or deny`);
    }
    i++;
    const rule: PmRule = {
      ...base, action: act.lower as PmRule["action"], src: null, dst: null, proto: "ip", protoNumber: null,
      icmpType: null, sport: null, dport: null, established: false, log: false, notify: false,
    };

    if (next() && looksLikePrefix(next().text)) {
      const s = next(); i++;
      const src = parsePmPrefix(s, d, line);
      if (!src) throw new Stop();
      if (!next() || !looksLikePrefix(next().text)) {
        err(next() ?? undefined, PM.ONE_PREFIX, `source prefix ${excerpt(s.text)} without a destination prefix: write SRC/BITS DST/BITS (0.0.0.0/0 for any)`);
      }
      const dst = parsePmPrefix(next(), d, line);
      i++;
      if (!dst) throw new Stop();
      rule.src = src;
      rule.dst = dst;
    }

    let sawProto = false;
    const number = (tok: Token | undefined, what: string, max: number, code: string): number => {
      if (!tok) return err(undefined, PM.MISSING_VALUE, `${what} is missing`);
      if (!/^\d+$/.test(tok.text) || Number(tok.text) > max) return err(tok, code, `${what} "${excerpt(tok.text)}" must be a decimal number 0..${max}`);
      i++;
      return Number(tok.text);
    };
    while (next()) {
      const t = next();
      if (PROTO_WORDS.has(t.lower)) {
        if (sawProto) err(t, PM.REPEATED_PART, `"${excerpt(t.text)}": a rule has one protocol part (already ${rule.proto})`);
        if (rule.log || rule.notify) err(t, PM.UNKNOWN_KEYWORD, `"${excerpt(t.text)}": the protocol comes before log and notify`);
        sawProto = true;
        i++;
        rule.proto = t.lower as ProtoName;
        if (t.lower === "protocol") {
          rule.protoNumber = number(next(), "protocol number", 255, PM.NUMBER_RANGE);
        } else {
          rule.protoNumber = PROTO_NUMBERS[t.lower as Exclude<ProtoName, "protocol">];
        }
        if (t.lower === "icmp" && next()?.lower === "type") {
          i++;
          rule.icmpType = number(next(), "ICMP type", 255, PM.NUMBER_RANGE);
        }
        if (t.lower === "tcp" || t.lower === "udp") parsePorts(rule, t.lower);
        continue;
      }
      if (t.lower === "log" || t.lower === "notify") {
        if (rule[t.lower]) err(t, PM.REPEATED_PART, `"${excerpt(t.text)}" given twice`);
        rule[t.lower] = true;
        i++;
        continue;
      }
      if (PORT_WORDS.has(t.lower)) err(t, PM.UNKNOWN_KEYWORD, `"${excerpt(t.text)}" belongs to a tcp or udp protocol part, right after tcp or udp`);
      if (t.lower === "type") {
        if (rule.icmpType !== null) err(t, PM.REPEATED_PART, `"type" given twice`);
        err(t, PM.UNKNOWN_KEYWORD, `"type" belongs right after icmp`);
      }
      if (looksLikePrefix(t.text)) err(t, PM.UNKNOWN_KEYWORD, `"${excerpt(t.text)}": the two prefixes come right after ${rule.action}`);
      err(t, PM.UNKNOWN_KEYWORD, `unknown keyword "${excerpt(t.text)}" (expected a protocol part: ip, protocol N, tcp, udp, icmp, esp, ah, ipip; or log, notify)`);
    }
    return rule;

    function parsePorts(r: PmRule, proto: "tcp" | "udp"): void {
      while (next() && PORT_WORDS.has(next().lower)) {
        const t = next();
        i++;
        if (t.lower === "established") {
          if (r.established) err(t, PM.REPEATED_PART, `"established" given twice`);
          r.established = true;
          if (proto === "udp") {
            d.warning(line, t.column, PM.ESTABLISHED_UDP, `"established" tests TCP flags, which a UDP packet does not carry: this rule never matches`);
          }
          continue;
        }
        const which = t.lower as "src" | "dst";
        const field = which === "src" ? "sport" : "dport";
        if (r[field]) err(t, PM.REPEATED_PART, `"${which}" port test given twice`);
        const op = next();
        if (!op) err(undefined, PM.MISSING_VALUE, `"${which}" needs eq, lt or gt and a port`);
        if (op.lower !== "eq" && op.lower !== "lt" && op.lower !== "gt") {
          err(op, PM.UNKNOWN_KEYWORD, `unknown port operator "${excerpt(op.text)}" (eq, lt or gt)`);
        }
        i++;
        const portTok = next();
        if (!portTok) err(undefined, PM.MISSING_VALUE, `"${which} ${op.lower}" needs a port number`);
        if (!/^\d+$/.test(portTok.text) || Number(portTok.text) > 65535) {
          err(portTok, PM.BAD_PORT, `port "${excerpt(portTok.text)}" must be a decimal number 0..65535`);
        }
        i++;
        const test: PortTest = { op: op.lower as "eq" | "lt" | "gt", port: Number(portTok.text) };
        if ((test.op === "lt" && test.port === 0) || (test.op === "gt" && test.port === 65535)) {
          d.warning(line, op.column, PM.PORT_NEVER, `"${which} ${test.op} ${test.port}" can never match (lt and gt are strict), so this rule never matches`);
        }
        r[field] = test;
      }
    }
  } catch (e) {
    if (e instanceof Stop) return null;
    throw e;
  }
}
