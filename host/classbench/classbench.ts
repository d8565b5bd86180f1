// ClassBench rule sets and traces (../shared/classbench/README.md) as a
// Policy and packet headers. One ruleset, bound as the input filter of a
// single interface; the `.expected` answers are pure 5-tuple first match, so
// the flags column of rules and traces is read but not used.
import { readFileSync } from "node:fs";
import { parsePrefix } from "../model/addr.ts";
import type { Policy, Rule, PortTest } from "../model/rule.ts";
import type { Diagnostic } from "../model/diagnostic.ts";
import { DiagnosticSink } from "../model/diagnostic.ts";
import type { PacketHeader, PacketMeta } from "../engine/header.ts";
import * as L from "../../assembly/layout.ts";

export const CLASSBENCH_INTERFACE = "cb0";

function portTest(lo: number, hi: number): PortTest | null {
  if (lo === 0 && hi === 65535) return null;
  return lo === hi ? { op: "eq", port: lo } : { op: "range", lo, hi };
}

const RULE_LINE = /^@(\S+)\s+(\S+)\s+(\d+)\s*:\s*(\d+)\s+(\d+)\s*:\s*(\d+)\s+0x([0-9a-fA-F]+)\/0x([0-9a-fA-F]+)(?:\s+0x[0-9a-fA-F]+\/0x[0-9a-fA-F]+)?\s*$/;

export function parseClassBenchRules(text: string, file: string): { policy: Policy; diagnostics: Diagnostic[] } {
  const sink = new DiagnosticSink(file);
  const rules: Rule[] = [];
  const lines = text.split("\n");
  lines.forEach((raw, i) => {
    const line = raw.replace(/\r$/, "");
    if (line.trim() === "") return;
    const m = RULE_LINE.exec(line);
    if (!m) return sink.error(i + 1, 1, "CB001", "not a ClassBench rule line (@SRC/LEN DST/LEN LO : HI LO : HI 0xPROTO/0xMASK 0xFLAGS/0xMASK)");
    const src = parsePrefix(m[1]);
    const dst = parsePrefix(m[2]);
    if (!src || src.family !== 4) return sink.error(i + 1, 2, "CB002", `bad source prefix "${m[1]}"`);
    if (!dst || dst.family !== 4) return sink.error(i + 1, line.indexOf(m[2]) + 1, "CB002", `bad destination prefix "${m[2]}"`);
    const [slo, shi, dlo, dhi] = [m[3], m[4], m[5], m[6]].map(Number);
    if ([slo, shi, dlo, dhi].some((p) => p > 65535) || slo > shi || dlo > dhi) return sink.error(i + 1, 1, "CB003", "bad port range");
    const proto = parseInt(m[7], 16);
    const mask = parseInt(m[8], 16);
    if (mask !== 0 && mask !== 0xff) return sink.error(i + 1, 1, "CB004", `protocol mask 0x${m[8]} is neither 0x00 nor 0xFF`);
    if (proto > 255) return sink.error(i + 1, 1, "CB004", `bad protocol 0x${m[7]}`);
    rules.push({
      action: "permit", log: false, notify: false, keepState: false, ifIn: null, ifOut: null, family: 4,
      src: src.len === 0 ? null : { prefix: src, negate: false },
      dst: dst.len === 0 ? null : { prefix: dst, negate: false },
      proto: mask === 0 ? null : proto,
      sport: portTest(slo, shi), dport: portTest(dlo, dhi),
      icmpType: null, icmpCode: null, flags: null, time: null,
      origin: { dialect: "classbench", file, line: i + 1, column: 1, text: line, label: `rule ${rules.length}` },
    });
  });
  const policy: Policy = {
    dialect: "classbench",
    interfaces: [CLASSBENCH_INTERFACE],
    rulesets: [{ name: "classbench", rules, defaults: { inbound: "deny", outbound: "deny", other: "deny" }, stateful: false }],
    input: [0],
    output: [null],
  };
  return { policy, diagnostics: sink.list };
}

export const CLASSBENCH_META: PacketMeta = {
  ifIn: 0, ifOut: 0, dir: L.DIR_OTHER, minuteOfDay: 0, dayOfWeek: 0, day: 1, month: 1, timeNs: 0n,
};

export interface Trace {
  headers: PacketHeader[];
  errors: string[];
}

export function parseClassBenchTrace(text: string, file: string): Trace {
  const headers: PacketHeader[] = [];
  const errors: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === "") continue;
    const f = line.split(/\s+/).map(Number);
    if (f.length < 5 || f.slice(0, 5).some((x) => !Number.isInteger(x) || x < 0) || f[0] > 0xffffffff || f[1] > 0xffffffff || f[2] > 65535 || f[3] > 65535 || f[4] > 255) {
      errors.push(`${file}:${i + 1}:1: not a ClassBench trace line (SRC DST SPORT DPORT PROTO ...)`);
      continue;
    }
    headers.push({
      reason: L.REASON_OK, family: 4, proto: f[4], frag: "none", src: [f[0]], dst: [f[1]],
      sport: f[2], dport: f[3], icmpType: null, icmpCode: null, tcpFlags: null, length: 64, l4Offset: 0,
    });
  }
  return { headers, errors };
}

export function readClassBenchRules(path: string) {
  return parseClassBenchRules(readFileSync(path, "utf8"), path);
}

export function readClassBenchTrace(path: string): Trace {
  return parseClassBenchTrace(readFileSync(path, "utf8"), path);
}

export function readExpected(path: string): number[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.trim() !== "").map(Number);
}
