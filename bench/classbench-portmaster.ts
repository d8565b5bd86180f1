// A ClassBench rule set written as one PortMaster filter, and the same with
// ten rules changed: the inputs of the diff and lint benchmarks (and of the
// `check` timing for issue 16). PortMaster has no port ranges: a range that
// is neither one port nor open at one end becomes `gt LO-1` (its nearest
// PortMaster test, a superset), and ports of a rule that is not tcp or udp
// are dropped. Every fourth rule denies, the rest permit; rule N of the set
// is rule number 5*(N+1), so inserted rules fit between.
import { readFileSync } from "node:fs";

const PROTO: Record<number, string> = { 6: "tcp", 17: "udp", 1: "icmp", 50: "esp", 51: "ah", 4: "ipip" };

interface CbRule { src: string; dst: string; sp: [number, number]; dp: [number, number]; proto: number | null }

function parse(path: string): CbRule[] {
  return readFileSync(path, "utf8").split("\n").filter((l) => l.startsWith("@")).map((l) => {
    const f = l.slice(1).split("\t");
    const sp = f[2].split(":").map((x) => Number(x.trim())) as [number, number];
    const dp = f[3].split(":").map((x) => Number(x.trim())) as [number, number];
    const [p, mask] = f[4].split("/").map((x) => parseInt(x, 16));
    return { src: f[0], dst: f[1], sp, dp, proto: mask === 0 ? null : p };
  });
}

function portTest(dir: "src" | "dst", [lo, hi]: [number, number]): string {
  if (lo === 0 && hi === 65535) return "";
  if (lo === hi) return ` ${dir} eq ${lo}`;
  if (lo === 0) return ` ${dir} lt ${hi + 1}`;
  return ` ${dir} gt ${lo - 1}`;
}

function body(r: CbRule, action: string): string {
  const proto = r.proto === null ? "ip" : PROTO[r.proto] ?? `protocol ${r.proto}`;
  const ports = r.proto === 6 || r.proto === 17 ? portTest("src", r.sp) + portTest("dst", r.dp) : "";
  return `${action} ${r.src} ${r.dst} ${proto}${ports}`;
}

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

/** The filter text of the set, and of the set with `changes` rules changed (seeded). */
export function classBenchPortMaster(path: string, changes = 10, seed = 16): { old: string; new: string; rules: number } {
  const rules = parse(path);
  const action = (i: number) => (i % 4 === 3 ? "deny" : "permit");
  const lines = rules.map((r, i) => ({ n: 5 * (i + 1), text: body(r, action(i)) }));
  const head = "add filter acl\nset lan ifilter acl\n";
  const old = head + lines.map((l) => `set filter acl ${l.n} ${l.text}\n`).join("");
  const rnd = rng(seed);
  const edited: { n: number; text: string | null }[][] = lines.map((l) => [{ ...l }]);
  const picked = new Set<number>();
  for (let k = 0; k < changes; k++) {
    let i = Math.floor(rnd() * rules.length);
    while (picked.has(i)) i = (i + 1) % rules.length;
    picked.add(i);
    const r = rules[i];
    const at = edited[i];
    switch (k % 5) {
      case 0: case 1: // the other action
        at[0].text = body(r, action(i) === "deny" ? "permit" : "deny");
        break;
      case 2: // another destination port (or protocol)
        at[0].text = r.proto === 6 || r.proto === 17 ? body({ ...r, dp: [(r.dp[0] + 1) % 65536, (r.dp[0] + 1) % 65536] }, action(i)) : body({ ...r, proto: 17 }, action(i));
        break;
      case 3: // removed
        at[0].text = null;
        break;
      case 4: // a new rule before it: the same addresses, denying tcp port 23
        at.unshift({ n: 5 * (i + 1) - 1, text: `deny ${r.src} ${r.dst} tcp dst eq 23` });
        break;
    }
  }
  const neu = head + edited.flat().filter((l) => l.text !== null).map((l) => `set filter acl ${l.n} ${l.text}\n`).join("");
  return { old, new: neu, rules: rules.length };
}
