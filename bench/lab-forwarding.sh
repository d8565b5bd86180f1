#!/usr/bin/env bash
# The live bridge's forwarding path against its ceilings, in the lab: TCP bulk
# transfer (MB/s) and 64-byte UDP packets per second through
#   relays   the two socat relays wired back to back (no appliance),
#   node     a plain Node UDP forwarder where the appliance goes, no firewall
#            (bench/lab-node-forward.mjs: what Node itself allows),
#   fw       `portcullis run` enforcing BENCH_RULES PortMaster rules (the last permits),
# BENCH_ROUNDS times, the order rotated each round, so a machine that slows
# down or speeds up weighs on every setup. Prints every round, then medians,
# each ratio per round with its spread, and the CPU time per frame of the
# forwarder and the appliance (CPU time counts only while a process runs, so
# it varies less than throughput on a shared machine).
# BENCH_BASELINE=DIR: a fourth setup, "before": the appliance of another
# built checkout (DIR/bin/portcullis.js), to compare two versions in the same rounds.
# BENCH_PROFILE=DIR: the appliance runs under `node --cpu-prof` (profiles in
# DIR), and the last one's busiest functions are printed (bench/cpu-profile-top.mjs).
# Needs what the lab needs (root, TAP, socat).
#   sudo BENCH_ROUNDS=5 BENCH_MB=200 BENCH_SECS=5 bash bench/lab-forwarding.sh
set -uo pipefail
. "$(dirname "$0")/../lab/lib.sh"
MB=${BENCH_MB:-200}
SECS=${BENCH_SECS:-5}
RULES=${BENCH_RULES:-10000}
ROUNDS=${BENCH_ROUNDS:-3}
PROFILE=${BENCH_PROFILE:-}
BASELINE=${BENCH_BASELINE:-}
SCENARIO=bench
. "$(dirname "$0")/lab-measure.sh"

bench_prepare || exit 1
RULES_FILE=$(mktemp /tmp/portcullis-bench-rules.XXXXXX)
trap 'cleanup; rm -f "$RULES_FILE"; exit 130' INT TERM
trap 'cleanup; rm -f "$RULES_FILE"' EXIT
big_rules >"$RULES_FILE"
if [ -n "$PROFILE" ]; then mkdir -p "$PROFILE" || exit 1; PORTCULLIS=(node --cpu-prof --cpu-prof-dir="$PROFILE" "$REPO/bin/portcullis.js"); fi

# Frames the two hosts sent into their TAP devices (each crosses the bridge once).
tap_frames() { echo $(( $(nsx "$NS_LAN" cat /sys/class/net/tapL/statistics/tx_packets) + $(nsx "$NS_WAN" cat /sys/class/net/tapW/statistics/tx_packets) )); }
# Each sets OUT to "MBps PPS SENT CPU_US_PER_FRAME": for the relays alone, the
# CPU of the two socat relays together; otherwise of the forwarder or appliance.
run_relays() {
  relays_back_to_back || return 1
  local c0=0 c1=0 f0 f1 m pid relays=("${PIDS[@]::2}") # the two socat relays
  f0=$(tap_frames); for pid in "${relays[@]}"; do c0=$((c0 + $(cpu_us "$pid"))); done
  read -r m < <(measure)
  f1=$(tap_frames); for pid in "${relays[@]}"; do c1=$((c1 + $(cpu_us "$pid"))); done
  OUT="$m $(node -e 'console.log(((process.argv[2] - process.argv[1]) / Math.max(1, process.argv[4] - process.argv[3])).toFixed(2))' "$c0" "$c1" "$f0" "$f1")"
}
run_node() {
  make_topology && start_node_forward || return 1
  local c0 c1 m n
  c0=$(cpu_us "$FWD_PID"); read -r m < <(measure); c1=$(cpu_us "$FWD_PID")
  stop_node_forward
  n=$(sed -n 's/^frames=//p' "$LAB_TMP/node-forward.out")
  OUT="$m $(node -e 'console.log(((process.argv[2] - process.argv[1]) / Math.max(1, process.argv[3])).toFixed(2))' "$c0" "$c1" "${n:-0}")"
}
rx_frames() { status_json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).bridge.rxFrames)'; }
run_fw() {
  make_topology || return 1
  start_appliance "$RULES_FILE" -- --loghost none || return 1
  local c0 c1 f0 f1 m
  f0=$(rx_frames); c0=$(cpu_us "$APP_PID"); read -r m < <(measure); c1=$(cpu_us "$APP_PID"); f1=$(rx_frames)
  local pid=$APP_PID
  stop_appliance
  OUT="$m $(node -e 'console.log(((process.argv[2] - process.argv[1]) / Math.max(1, process.argv[4] - process.argv[3])).toFixed(2))' "$c0" "$c1" "$f0" "$f1")"
  if [ -n "$PROFILE" ]; then # keep the appliance's profile (V8 names it by pid), not those of the status clients
    mv "$PROFILE"/CPU.*."$pid".*.cpuprofile "$PROFILE/appliance-round$k.cpuprofile" 2>/dev/null
    rm -f "$PROFILE"/CPU.*.cpuprofile
  fi
}

run_before() { # the appliance of the BENCH_BASELINE checkout
  local saved=("${PORTCULLIS[@]}") profile=$PROFILE
  PORTCULLIS=(node "$BASELINE/bin/portcullis.js"); PROFILE=""
  run_fw; local rc=$?
  PORTCULLIS=("${saved[@]}"); PROFILE=$profile
  return $rc
}

SETUPS=(relays node fw)
[ -n "$BASELINE" ] && SETUPS+=(before)
RESULTS=()
for k in $(seq 1 "$ROUNDS"); do
  n=${#SETUPS[@]}; order=""
  for j in $(seq 0 $((n - 1))); do order+=" ${SETUPS[$(((j + k - 1) % n))]}"; done # rotated each round
  for setup in $order; do
    OUT=""
    "run_$setup" && [ -n "$OUT" ] || { fail "round $k: $setup failed"; exit 1; }
    read -r mbps pps sent cpu <<<"$OUT"
    say "round $k/$ROUNDS $setup: tcp $mbps MB/s, udp $pps packets/s received ($sent sent), CPU $cpu us per frame"
    RESULTS+=("$k,$setup,$mbps,$pps,$cpu")
    fresh_lab
  done
done

node -e '
  const rows = process.argv[1].split(" ").map((r) => r.split(",")).map(([k, s, m, p, c]) => ({ k: +k, s, m: +m, p: +p, c: +c }));
  const rules = process.argv[2];
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const h = s.length >> 1; return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2; };
  const r3 = (x) => x.toFixed(3);
  const of = (s) => rows.filter((r) => r.s === s);
  const rounds = [...new Set(rows.map((r) => r.k))];
  const at = (s, k) => rows.find((r) => r.s === s && r.k === k);
  const ratio = (a, b, f) => rounds.map((k) => f(at(a, k)) / f(at(b, k)));
  const spread = (xs) => `median ${r3(med(xs))}, ${r3(Math.min(...xs))} to ${r3(Math.max(...xs))}`;
  for (const [s, name] of [["relays", "relays back to back"], ["node", "plain Node forwarder"], ["fw", `portcullis run, ${rules} rules`], ["before", `before (BENCH_BASELINE), ${rules} rules`]]) {
    const xs = of(s);
    if (!xs.length) continue;
    console.log(`lab forwarding: ${name}: tcp ${med(xs.map((r) => r.m))} MB/s (${Math.min(...xs.map((r) => r.m))} to ${Math.max(...xs.map((r) => r.m))}), udp ${med(xs.map((r) => r.p))} packets/s (${Math.min(...xs.map((r) => r.p))} to ${Math.max(...xs.map((r) => r.p))})` +
      `, CPU ${med(xs.map((r) => r.c)).toFixed(2)} us per frame${s === "relays" ? " (both socat relays)" : ""} (medians of ${xs.length} rounds)`);
  }
  console.log(`lab forwarding ratios, per round: appliance / relays: tcp ${spread(ratio("fw", "relays", (r) => r.m))}; udp ${spread(ratio("fw", "relays", (r) => r.p))}`);
  console.log(`lab forwarding ratios, per round: Node forwarder / relays (the ceiling): tcp ${spread(ratio("node", "relays", (r) => r.m))}; udp ${spread(ratio("node", "relays", (r) => r.p))}`);
  console.log(`lab forwarding ratios, per round: appliance / Node forwarder: tcp ${spread(ratio("fw", "node", (r) => r.m))}; udp ${spread(ratio("fw", "node", (r) => r.p))}; CPU per frame ${spread(ratio("fw", "node", (r) => r.c))}`);
  if (of("before").length) {
    console.log(`lab forwarding ratios, per round: before / relays: tcp ${spread(ratio("before", "relays", (r) => r.m))}; udp ${spread(ratio("before", "relays", (r) => r.p))}`);
    console.log(`lab forwarding ratios, per round: appliance / before: tcp ${spread(ratio("fw", "before", (r) => r.m))}; udp ${spread(ratio("fw", "before", (r) => r.p))}; CPU per frame ${spread(ratio("fw", "before", (r) => r.c))}`);
  }' \
  "${RESULTS[*]}" "$RULES"
if [ -n "$PROFILE" ]; then
  # From the first batch on: the start (loading and compiling the rules) is not the forwarding path.
  [ -f "$PROFILE/appliance-round$ROUNDS.cpuprofile" ] && node "$REPO/bench/cpu-profile-top.mjs" "$PROFILE/appliance-round$ROUNDS.cpuprofile" 25 processBatch
fi
