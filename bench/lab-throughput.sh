#!/usr/bin/env bash
# Throughput through the lab: TCP bulk transfer (MB/s) and small-UDP packets
# per second, first with the two socat relays wired back to back (no
# appliance), then with `portcullis run` between them enforcing a 10,000-rule
# PortMaster set (every packet scans all 10,000 rules: the last one permits).
# Then the same with the web console on (--http) and polled every second
# (/metrics, the overview, a page of rules, as a browser and a scraper would):
# the console must not slow the data path (issue: within 5%). Phases 2 and 3
# alternate BENCH_PAIRS times (without/with, then with/without, ...), each
# pair giving a with/without ratio, so a machine that slows down or speeds up
# during the run weighs on both sides; the medians and the spread are printed.
# Needs what the lab needs (root, TAP, socat, curl).
#   BENCH_MB=200 BENCH_SECS=5 BENCH_PAIRS=3 bash bench/lab-throughput.sh
set -uo pipefail
. "$(dirname "$0")/../lab/lib.sh"
MB=${BENCH_MB:-200}
SECS=${BENCH_SECS:-5}
RULES=${BENCH_RULES:-10000}
PAIRS=${BENCH_PAIRS:-1}
SCENARIO=bench

. "$(dirname "$0")/lab-measure.sh"   # big_rules, measure

bench_prepare || exit 1

say "1/3: socat relays back to back (no appliance)"
relays_back_to_back || exit 1
read -r base_mbps base_pps base_sent < <(measure) || exit 1
say "   tcp ${base_mbps} MB/s, udp ${base_pps} packets/s received (${base_sent} sent)"
fresh_lab

big_rules_done=0
HTTP_PORT=18480
poll() { # a browser on the overview and rules pages plus a scraper, once a second, until killed (10 minutes at most)
  for _ in $(seq 1 600); do
    kill -0 "$APP_PID" 2>/dev/null || break
    # One client process a second (as a browser tab and a scraper would keep their connections), four requests.
    ip netns exec "$NS_FW" curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/metrics" "http://127.0.0.1:$HTTP_PORT/api/overview" \
      "http://127.0.0.1:$HTTP_PORT/api/rules?sort=hits" "http://127.0.0.1:$HTTP_PORT/api/connections" >/dev/null
    sleep 1
  done
}
# What the appliance's CPU did during a measurement, per frame it received:
# its forwarding thread (the main thread: the thread id is the pid) and the
# whole process (the console's worker included). CPU time counts only while
# a thread runs, so these vary far less than throughput on a busy machine.
fwd_cpu_ns() { cut -d' ' -f1 "/proc/$APP_PID/task/$APP_PID/schedstat"; }
proc_cpu_ticks() { awk '{print $14 + $15}' "/proc/$APP_PID/stat"; }
rx_frames() { status_json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0, "utf8")).bridge.rxFrames)'; }
measure_cpu() { # sets OUT to "MBps PPS SENT FWD_US_PER_FRAME PROC_US_PER_FRAME"
  local c0 p0 f0 c1 p1 f1 m
  f0=$(rx_frames); c0=$(fwd_cpu_ns); p0=$(proc_cpu_ticks)
  read -r m < <(measure)
  c1=$(fwd_cpu_ns); p1=$(proc_cpu_ticks); f1=$(rx_frames)
  [ -n "$m" ] || return 1
  OUT="$m $(node -e 'const [c0, c1, p0, p1, f0, f1, hz] = process.argv.slice(1).map(Number); const n = Math.max(1, f1 - f0);
    console.log(((c1 - c0) / 1e3 / n).toFixed(2), ((p1 - p0) * 1e6 / hz / n).toFixed(2))' "$c0" "$c1" "$p0" "$p1" "$f0" "$f1" "$(getconf CLK_TCK)")"
}

# Each sets OUT (in this shell, not a subshell, so cleanup knows the appliance's pid).
without_console() {
  OUT=""
  start_appliance "$LAB_TMP/big.pm" -- --loghost none || return 1
  measure_cpu
  if [ $big_rules_done = 0 ]; then
    rss=$(status_json | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log((s.memory.rss/1048576).toFixed(1) + " MB rss, " + (s.memory.wasm/1048576).toFixed(1) + " MB wasm, " + s.rules.length + " rules, bridge " + JSON.stringify(s.bridge))')
    say "   appliance: $rss"
    big_rules_done=1
  fi
  stop_appliance
  [ -n "$OUT" ]
}
with_console() {
  OUT=""
  start_appliance "$LAB_TMP/big.pm" -- --loghost none --http 127.0.0.1:$HTTP_PORT || return 1
  poll & local poll_pid=$!
  measure_cpu
  kill $poll_pid 2>/dev/null; wait $poll_pid 2>/dev/null
  metrics_bytes=$(ip netns exec "$NS_FW" curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | wc -c)
  stop_appliance
  [ -n "$OUT" ]
}

make_topology || exit 1
big_rules >"$LAB_TMP/big.pm"
FW=() WEB=()
for k in $(seq 1 "$PAIRS"); do
  if [ $((k % 2)) = 1 ]; then order="without with"; else order="with without"; fi
  for mode in $order; do
    if [ $mode = without ]; then
      say "2/3 (pair $k of $PAIRS): through portcullis run with $RULES rules"
      without_console || exit 1
      read -r fw_mbps fw_pps fw_sent fw_cpu fw_proc <<<"$OUT"
      say "   tcp ${fw_mbps} MB/s, udp ${fw_pps} packets/s received (${fw_sent} sent); CPU per frame: forwarding thread ${fw_cpu} us, whole process ${fw_proc} us"
      FW+=("$fw_mbps,$fw_pps,$fw_cpu,$fw_proc")
    else
      say "3/3 (pair $k of $PAIRS): the same, with the web console polled every second"
      with_console || exit 1
      read -r web_mbps web_pps web_sent web_cpu web_proc <<<"$OUT"
      say "   tcp ${web_mbps} MB/s, udp ${web_pps} packets/s received (${web_sent} sent); CPU per frame: forwarding thread ${web_cpu} us, whole process ${web_proc} us; /metrics is $metrics_bytes bytes"
      WEB+=("$web_mbps,$web_pps,$web_cpu,$web_proc")
    fi
  done
done
node -e '
  const [bm, bp, rules, metricsBytes, fw, web] = process.argv.slice(1);
  const pairs = (s) => s.split(" ").filter(Boolean).map((x) => x.split(",").map(Number));
  const f = pairs(fw), w = pairs(web);
  const med = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  const r3 = (x) => x.toFixed(3);
  const fm = med(f.map((x) => x[0])), fp = med(f.map((x) => x[1]));
  console.log(`lab throughput: tcp ${fm} MB/s through the appliance (${rules} rules; median of ${f.length}) vs ${bm} MB/s back to back: ratio ${r3(fm / bm)}`);
  console.log(`lab packets/s: udp ${fp} through the appliance vs ${bp} back to back: ratio ${r3(fp / bp)}`);
  const tr = f.map((x, k) => w[k][0] / x[0]), ur = f.map((x, k) => w[k][1] / x[1]);
  const range = (xs) => `${r3(Math.min(...xs))} to ${r3(Math.max(...xs))}`;
  console.log(`lab console: with the console polled every second (/metrics ${metricsBytes} bytes), tcp ${med(w.map((x) => x[0]))} MB/s, udp ${med(w.map((x) => x[1]))} packets/s (medians of ${w.length})`);
  console.log(`lab console ratios (with / without, per pair): tcp ${tr.map(r3).join(" ")}: median ${r3(med(tr))} (${range(tr)}); udp ${ur.map(r3).join(" ")}: median ${r3(med(ur))} (${range(ur)})`);
  const cr = f.map((x, k) => w[k][2] / x[2]), pr = f.map((x, k) => w[k][3] / x[3]);
  console.log(`lab console CPU per frame (with / without, per pair): forwarding thread ${cr.map(r3).join(" ")}: median ${r3(med(cr))} (${range(cr)}), ${med(w.map((x) => x[2])).toFixed(2)} vs ${med(f.map((x) => x[2])).toFixed(2)} us; whole process ${pr.map(r3).join(" ")}: median ${r3(med(pr))} (${range(pr)}), ${med(w.map((x) => x[3])).toFixed(2)} vs ${med(f.map((x) => x[3])).toFixed(2)} us`);' \
  "$base_mbps" "$base_pps" "$RULES" "$metrics_bytes" "${FW[*]}" "${WEB[*]}"
