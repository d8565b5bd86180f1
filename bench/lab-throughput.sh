#!/usr/bin/env bash
# Throughput through the lab: TCP bulk transfer (MB/s) and small-UDP packets
# per second, first with the two socat relays wired back to back (no
# appliance), then through a plain Node UDP forwarder with no firewall (the
# ceiling of a Node bridge), then with `portcullis run` between them enforcing a 10,000-rule
# PortMaster set (every packet scans all 10,000 rules: the last one permits).
# Then the same with the web console on (--http) and polled every second
# (/metrics, the overview, a page of rules, as a browser and a scraper would):
# the console must not slow the data path (issue: within 5%).
# Prints the figures and the ratios. Needs what the lab needs (root, TAP, socat, curl).
#   BENCH_MB=200 BENCH_SECS=5 bash bench/lab-throughput.sh
set -uo pipefail
. "$(dirname "$0")/../lab/lib.sh"
MB=${BENCH_MB:-200}
SECS=${BENCH_SECS:-5}
RULES=${BENCH_RULES:-10000}
SCENARIO=bench

. "$(dirname "$0")/lab-measure.sh"

preflight
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT
cd "$REPO"
[ -f build/release.wasm ] || timeout 300 npm run -s asbuild || exit 1
timeout 300 npm run -s build:host || exit 1

say "1/3: socat relays back to back (no appliance)"
relays_back_to_back || exit 1
read -r base_mbps base_pps base_sent < <(measure) || exit 1
say "   tcp ${base_mbps} MB/s, udp ${base_pps} packets/s received (${base_sent} sent)"
fresh_lab

say "1b: a plain Node UDP forwarder where the appliance goes, no firewall (bench/lab-node-forward.mjs: the ceiling of a Node bridge)"
make_topology && start_node_forward || exit 1
read -r node_mbps node_pps node_sent < <(measure) || exit 1
say "   tcp ${node_mbps} MB/s, udp ${node_pps} packets/s received (${node_sent} sent)"
stop_node_forward
fresh_lab

say "2/3: through portcullis run with $RULES rules"
make_topology || exit 1
big_rules >"$LAB_TMP/big.pm"
start_appliance "$LAB_TMP/big.pm" -- --loghost none || exit 1
read -r fw_mbps fw_pps fw_sent < <(measure) || exit 1
rss=$(status_json | node -e 'const s=JSON.parse(require("fs").readFileSync(0,"utf8")); console.log((s.memory.rss/1048576).toFixed(1) + " MB rss, " + (s.memory.wasm/1048576).toFixed(1) + " MB wasm, " + s.rules.length + " rules, bridge " + JSON.stringify(s.bridge))')
say "   tcp ${fw_mbps} MB/s, udp ${fw_pps} packets/s received (${fw_sent} sent); appliance: $rss"
stop_appliance

say "3/3: the same, with the web console polled every second"
HTTP_PORT=18480
start_appliance "$LAB_TMP/big.pm" -- --loghost none --http 127.0.0.1:$HTTP_PORT || exit 1
poll() { # a browser on the overview and rules pages plus a scraper, once a second, until killed (10 minutes at most)
  for _ in $(seq 1 600); do
    kill -0 "$APP_PID" 2>/dev/null || break
    # One client process a second (as a browser tab and a scraper would keep their connections), four requests.
    ip netns exec "$NS_FW" curl -s --max-time 2 "http://127.0.0.1:$HTTP_PORT/metrics" "http://127.0.0.1:$HTTP_PORT/api/overview" \
      "http://127.0.0.1:$HTTP_PORT/api/rules?sort=hits" "http://127.0.0.1:$HTTP_PORT/api/connections" >/dev/null
    sleep 1
  done
}
poll & POLL_PID=$!
read -r web_mbps web_pps web_sent < <(measure) || { kill $POLL_PID; exit 1; }
kill $POLL_PID 2>/dev/null; wait $POLL_PID 2>/dev/null
metrics_bytes=$(ip netns exec "$NS_FW" curl -s "http://127.0.0.1:$HTTP_PORT/metrics" | wc -c)
say "   tcp ${web_mbps} MB/s, udp ${web_pps} packets/s received (${web_sent} sent); /metrics is $metrics_bytes bytes"
stop_appliance
node -e '
  const [bm, bp, fm, fp, rules, wm, wp] = process.argv.slice(1).map(Number);
  console.log(`lab throughput: tcp ${fm} MB/s through the appliance (${rules} rules) vs ${bm} MB/s back to back: ratio ${(fm / bm).toFixed(3)}`);
  console.log(`lab packets/s: udp ${fp} through the appliance vs ${bp} back to back: ratio ${(fp / bp).toFixed(3)}`);
  console.log(`lab console: with the console polled every second, tcp ${wm} MB/s (${(wm / fm).toFixed(3)} of without), udp ${wp} packets/s (${(wp / fp).toFixed(3)} of without)`);' \
  "$base_mbps" "$base_pps" "$fw_mbps" "$fw_pps" "$RULES" "$web_mbps" "$web_pps"
node -e '
  const [bm, bp, nm, np, fm, fp] = process.argv.slice(1).map(Number);
  console.log(`lab ceiling: a plain Node forwarder (no firewall) tcp ${nm} MB/s, ratio ${(nm / bm).toFixed(3)}; udp ${np} packets/s, ratio ${(np / bp).toFixed(3)}; the appliance reaches ${(fm / nm).toFixed(3)} and ${(fp / np).toFixed(3)} of it`);' \
  "$base_mbps" "$base_pps" "$node_mbps" "$node_pps" "$fw_mbps" "$fw_pps"
