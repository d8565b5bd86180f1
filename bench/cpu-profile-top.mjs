// Summarise a V8 CPU profile (`node --cpu-prof`): the functions with the most
// self time, as shares of the time the process was not idle, and the same
// grouped by file. bench/lab-forwarding.sh prints this for the appliance
// when BENCH_PROFILE is set. With FROM, samples before the first one inside
// a function of that name are left out (the appliance's start, before traffic).
//   node bench/cpu-profile-top.mjs FILE.cpuprofile [N] [FROM]
import { readFileSync } from "node:fs";

const [file, n = "25", from] = process.argv.slice(2);
if (!file) {
  console.error("usage: cpu-profile-top.mjs FILE.cpuprofile [N]");
  process.exit(2);
}
const prof = JSON.parse(readFileSync(file, "utf8"));
const byId = new Map(prof.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of prof.nodes) for (const c of node.children ?? []) parent.set(c, node.id);
const inside = (id, name) => {
  for (let at = id; at !== undefined; at = parent.get(at)) if (byId.get(at).callFrame.functionName === name) return true;
  return false;
};
let first = 0;
if (from) {
  while (first < prof.samples.length && !inside(prof.samples[first], from)) first++;
  if (first === prof.samples.length) {
    console.error(`no sample inside ${from}`);
    process.exit(1);
  }
}
// Each sample names the node that was running; the time to the next sample is its cost.
const self = new Map();
for (let i = first; i < prof.samples.length; i++) {
  const dt = prof.timeDeltas[i + 1] ?? 0;
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + dt);
}
const shortUrl = (u) => (u ? u.replace(/^file:\/\//, "").replace(/^.*\/(dist|node_modules|build)\//, "$1/") : "");
const fnKey = (cf) => `${cf.functionName || "(anonymous)"} ${shortUrl(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`;
const fileKey = (cf) => shortUrl(cf.url) || cf.functionName; // "(garbage collector)", "(program)", native code
const funcs = new Map(), files = new Map();
let busy = 0, idle = 0;
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame;
  if (cf.functionName === "(idle)") { idle += us; continue; }
  busy += us;
  funcs.set(fnKey(cf), (funcs.get(fnKey(cf)) ?? 0) + us);
  files.set(fileKey(cf), (files.get(fileKey(cf)) ?? 0) + us);
}
const pct = (us) => `${((100 * us) / busy).toFixed(1).padStart(5)}%`;
console.log(`profile ${file}${from ? ` from the first sample in ${from}` : ""}: busy ${(busy / 1e6).toFixed(2)} s, idle ${(idle / 1e6).toFixed(2)} s`);
console.log("self time by function:");
for (const [k, us] of [...funcs].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) console.log(`  ${pct(us)}  ${k}`);
console.log("self time by file:");
for (const [k, us] of [...files].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`  ${pct(us)}  ${k}`);
