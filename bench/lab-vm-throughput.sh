#!/usr/bin/env bash
# Throughput through the firmware image under QEMU (`npm run bench:lab:vm`):
# the lab's topology with the appliance inside the VM (lab/vm-target.sh)
# enforcing the same generated PortMaster set as bench/lab-throughput.sh
# (every packet scans all RULES rules: the last one permits). Measures a TCP
# bulk transfer (MB/s) and 64-byte UDP packets/s received, ROUNDS times on one
# boot, and prints each round and the medians. The host appliance's figures
# for comparison: bench/lab-throughput.sh. Needs what `npm run lab:vm` needs.
#   BENCH_MB=50 BENCH_SECS=5 BENCH_RULES=10000 BENCH_ROUNDS=3 LAB_VM_IMAGE=out/image bash bench/lab-vm-throughput.sh
set -uo pipefail
LAB_TARGET=vm
. "$(dirname "$0")/../lab/lib.sh"
. "$(dirname "$0")/lab-measure.sh"   # big_rules, measure
MB=${BENCH_MB:-50}
SECS=${BENCH_SECS:-5}
RULES=${BENCH_RULES:-10000}
ROUNDS=${BENCH_ROUNDS:-3}
SCENARIO=bench

bench_prepare || exit 1
target_prepare || { fail "no image"; exit 1; }
make_topology || exit 1
big_rules >"$LAB_TMP/big.pm"
start_appliance "$LAB_TMP/big.pm" -- --loghost none || exit 1
settle() { # after a UDP flood the guest drains its socket buffers before it answers again: wait for that
  for _ in $(seq 1 24); do timeout 60 "${PORTCULLIS[@]}" status --socket "$CTL" --json >"$LAB_TMP/status.json" 2>/dev/null && return 0; sleep 5; done
  return 1
}
mbps=() pps=()
for r in $(seq 1 "$ROUNDS"); do
  settle || { fail "the VM does not answer"; exit 1; }
  read -r m p sent < <(measure) || exit 1
  [ -n "${m:-}" ] || { fail "round $r measured nothing"; exit 1; }
  say "round $r: tcp $m MB/s, udp $p packets/s received ($sent sent)"
  mbps+=("$m") pps+=("$p")
done
settle
info=$(node -e 'const s=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); console.log(`${s.rules.length} rules, guest rss ${(s.memory.rss/1048576).toFixed(1)} MB${s.firmware ? ", accelerator " + s.firmware.accelerator : ""}`)' "$LAB_TMP/status.json") || info="(status did not answer)"
stop_appliance
node -e '
  const med = (a) => { const s = a.split(" ").map(Number).sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  const [m, p, info, n] = process.argv.slice(1);
  console.log(`vm throughput: tcp ${med(m)} MB/s, udp ${med(p)} packets/s (64-byte) through the VM, median of ${n} rounds; ${info}; load average ${require("os").loadavg()[0].toFixed(1)}`);' \
  "${mbps[*]}" "${pps[*]}" "$info" "$ROUNDS"
