#!/usr/bin/env bash
# The network lab: namespaces for the appliance, a LAN host and a WAN host,
# TAP devices relayed by socat into `portcullis run`, real TCP/UDP/FTP clients
# and servers across it. `npm run lab` runs every scenario; `lab/run.sh b e`
# runs some (g is IPv6). Needs root, /dev/net/tun and socat (LAB_SKIP_OK=1 skips the lab
# on a machine without them instead of failing). Removes everything it made,
# also when interrupted. See docs/lab.md.
# `lab/run.sh --vm` (`npm run lab:vm`) runs the same scenarios with the
# appliance inside the firmware image under QEMU (lab/vm-target.sh).
set -uo pipefail
[ "${1:-}" = --vm ] && { LAB_TARGET=vm; shift; }
. "$(dirname "$0")/lib.sh"
CONF=$REPO/lab/configs

# ---------------------------------------------------------------- scenarios
# Each runs in a subshell with `set -e`: the first failed check ends it; its
# servers and its appliance are stopped when it ends, however it ends.

scenario_a() { # seed 000's registry rules (Windows CE)
  need_dialect "$CONF/a-seed000.reg" wince || return 3
  for p in 25 110 80; do tcp_echo_server "$NS_WAN" $p $WAN_SRV; done
  start_appliance "$CONF/a-seed000.reg"
  need_conntrack || return 3
  expect_tcp_ok "$NS_LAN" $LAN_A $WAN_SRV 25
  expect_tcp_ok "$NS_LAN" $LAN_A $WAN_SRV 110
  expect_tcp_blocked "$NS_LAN" $LAN_A $WAN_SRV 80 label:BlockOutboundFromHost2
  expect_tcp_ok "$NS_LAN" $LAN_B $WAN_SRV 80
}

scenario_b() { # PortMaster `established` on the WAN input
  need_dialect "$CONF/b-established.pm" portmaster || return 3
  tcp_echo_server "$NS_WAN" 22 $WAN_SRV
  tcp_echo_server "$NS_LAN" 22 $LAN_A
  udp_echo_server "$NS_WAN" 53 $WAN_SRV
  udp_echo_server "$NS_WAN" 5353 $WAN_SRV
  start_appliance "$CONF/b-established.pm"
  expect_tcp_ok "$NS_LAN" $LAN_A $WAN_SRV 22
  expect_tcp_blocked "$NS_WAN" $WAN_SRV $LAN_A 22 "$(rule_at "$CONF/b-established.pm" "wan.in 30 ")"
  expect_udp_ok "$NS_LAN" $LAN_A $WAN_SRV 53
  # The query leaves; the answer from a port the filter does not open is dropped by its implicit deny.
  expect_udp_blocked "$NS_LAN" $LAN_A $WAN_SRV 5353 default:wan.in
  expect_tcp_ok "$NS_LAN" $LAN_B $WAN_SRV 22
}

scenario_c() { # seed 003's first configuration (InstaGate, internal mail server)
  need_dialect "$CONF/c-seed003.ig" instagate || return 3
  tcp_echo_server "$NS_WAN" 25 $WAN_SRV
  start_appliance "$CONF/c-seed003.ig"
  need_conntrack || return 3
  expect_tcp_ok "$NS_LAN" $LAN_MAIL $WAN_SRV 25
  expect_tcp_blocked "$NS_LAN" $LAN_A $WAN_SRV 25 "$(rule_at "$CONF/c-seed003.ig" "^2)")"
  expect_tcp_blocked "$NS_LAN" $LAN_B $WAN_SRV 25 "$(rule_at "$CONF/c-seed003.ig" "^2)")"
}

scenario_d() { # passive FTP through the FTP helper, rules open only the control port
  # A Windows Firewall port exception for an FTP server behind the appliance:
  # only TCP 21 is open inbound. The passive data connection (client to a
  # port the server announces in its 229/227 reply) is opened by the helper.
  need_dialect "$CONF/d-ftp.winfw" winfw || return 3
  command -v vsftpd >/dev/null || { fail "vsftpd is not installed (apt-get install vsftpd)"; return 1; }
  command -v curl >/dev/null || { fail "curl is not installed (apt-get install curl)"; return 1; }
  local root=$LAB_TMP/ftp
  mkdir -p "$root/pub" "$LAB_TMP/vsftpd-empty"
  head -c 3000000 /dev/urandom >"$root/pub/data.bin"
  chmod 755 "$root" "$root/pub"; chmod 644 "$root/pub/data.bin"
  cat >"$LAB_TMP/vsftpd.conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=$LAN_A
anonymous_enable=YES
local_enable=NO
write_enable=NO
anon_root=$root
no_anon_password=YES
pasv_enable=YES
pasv_min_port=30000
pasv_max_port=30010
port_enable=NO
secure_chroot_dir=$LAB_TMP/vsftpd-empty
seccomp_sandbox=NO
background=NO
xferlog_enable=NO
CONF
  bg "$LAB_TMP/vsftpd.log" nsx "$NS_LAN" vsftpd "$LAB_TMP/vsftpd.conf"
  wait_listen "$NS_LAN" 21 tcp
  tcp_echo_server "$NS_LAN" 30020 $LAN_A
  start_appliance "$CONF/d-ftp.winfw"
  need_conntrack || return 3
  ftp_get $((25 * LAB_SLOW)) || { fail "passive FTP download failed: $(tail -1 "$LAB_TMP/client.err")"; return 1; }
  say "  ok: passive FTP download of 3 MB from $LAN_A by $WAN_SRV, intact; $(grep -c 'ftp: 22[79] announces.*granted' "$APP_LOG") data connection(s) opened by the helper"
  # A port in the data range that nobody announced stays closed.
  expect_tcp_blocked "$NS_WAN" $WAN_SRV $LAN_A 30020 bridge.denied
  # And without the helper the same download cannot open its data connection.
  stop_appliance
  start_appliance "$CONF/d-ftp.winfw" -- --no-ftp-helper
  local before; before=$(counter bridge.denied)
  if ftp_get 8; then fail "the download worked without the FTP helper: something else opened the data port"; return 1; fi
  [ "$(counter bridge.denied)" -gt "$before" ] || { fail "without the helper the download failed, but the firewall dropped nothing"; return 1; }
  say "  ok: without the FTP helper (--no-ftp-helper) the data connection is dropped by the firewall"
}

ftp_get() { # ftp_get SECONDS: anonymous passive download from the LAN server, compared with the original
  rm -f "$LAB_TMP/got.bin"
  timeout $(($1 + 5)) ip netns exec "$NS_WAN" curl -sS --max-time "$1" --interface $WAN_SRV -o "$LAB_TMP/got.bin" "ftp://$LAN_A/pub/data.bin" 2>"$LAB_TMP/client.err" \
    && cmp -s "$LAB_TMP/ftp/pub/data.bin" "$LAB_TMP/got.bin"
}

scenario_e() { # a reload in the middle of a long transfer
  need_dialect "$CONF/e-before.pm" portmaster || return 3
  local cfg=$LAB_TMP/e.pm
  cp "$CONF/e-before.pm" "$cfg"
  head -c 6000000 /dev/urandom >"$LAB_TMP/src.bin"
  bg "$LAB_TMP/sink.log" nsx "$NS_WAN" socat -u TCP-LISTEN:5001,bind=$WAN_SRV,reuseaddr "OPEN:$LAB_TMP/dst.bin,creat,trunc" >/dev/null
  wait_listen "$NS_WAN" 5001 tcp
  tcp_echo_server "$NS_WAN" 5002 $WAN_SRV
  start_appliance "$cfg" -- --watch 0
  expect_tcp_ok "$NS_LAN" $LAN_A $WAN_SRV 5002
  # 120 slices of 50 kB, 0.1 s apart: about 12 s of traffic on the host.
  # The reload must finish inside it; in an emulated VM (LAB_SLOW > 1) the
  # reload's checker process starts several times slower, so the slices
  # are LAB_SLOW / 2 times further apart (0.3 s, 36 s, at LAB_SLOW=6: once
  # 12 s was not enough there).
  local sender pace
  pace=$(awk -v s="$LAB_SLOW" 'BEGIN { printf "%.2f", 0.1 * (s > 2 ? s / 2 : 1) }')
  bg "$LAB_TMP/sender.log" nsx "$NS_LAN" bash -c "for i in \$(seq 0 119); do dd if='$LAB_TMP/src.bin' bs=50000 skip=\$i count=1 status=none; sleep $pace; done | socat -u - TCP:$WAN_SRV:5001,bind=$LAN_A,connect-timeout=4"
  sender=$BG_PID
  sleep 2
  local before; before=$(counter "$(rule_at "$cfg" "lan.in 10 ")")
  [ "$before" -gt 0 ] || { fail "the transfer has not started after 2 s"; return 1; }
  change_config "$CONF/e-after.pm" "$cfg" || { fail "the new configuration was not accepted"; return 1; }
  for _ in $(seq 1 200); do [ "$(status_json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).generation)')" = 2 ] && break; sleep 0.1; done
  [ "$(status_json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).generation)')" = 2 ] || { fail "the configuration was not reloaded"; return 1; }
  kill -0 "$sender" 2>/dev/null || { fail "the transfer ended before the reload was done"; return 1; }
  local carried; carried=$(counter "$(rule_at "$cfg" "lan.in 10 ")")
  [ "$carried" -ge "$before" ] || { fail "the counter of the unchanged rule 10 was reset by the reload ($before -> $carried)"; return 1; }
  say "  ok: reloaded mid-transfer (generation 2); rule 10's counter carried over ($before -> $carried)"
  expect_tcp_blocked "$NS_LAN" $LAN_A $WAN_SRV 5002 "$(rule_at "$cfg" "lan.in 30 ")"
  if timeout $((30 * LAB_SLOW)) tail --pid="$sender" -f /dev/null && wait "$sender"; then :; else fail "the sender failed"; return 1; fi
  for _ in $(seq 1 50); do [ "$(stat -c %s "$LAB_TMP/dst.bin" 2>/dev/null)" = 6000000 ] && break; sleep 0.1; done
  if cmp -s "$LAB_TMP/src.bin" "$LAB_TMP/dst.bin"; then say "  ok: the 6 MB transfer across the reload arrived complete and intact"
  else fail "the transfer across the reload is damaged ($(stat -c %s "$LAB_TMP/dst.bin") of 6000000 bytes)"; fi
}

scenario_f() { # log rules reach a syslog receiver in the WAN namespace
  need_dialect "$CONF/f-log.pm" portmaster || return 3
  local logf=$LAB_TMP/syslog.txt
  : >"$logf"
  bg "$LAB_TMP/syslogd.log" nsx "$NS_WAN" socat -u UDP-RECV:$SYSLOG_PORT,bind=$MGMT_WAN "OPEN:$logf,creat,append" >/dev/null
  wait_listen "$NS_WAN" $SYSLOG_PORT udp
  tcp_echo_server "$NS_WAN" 25 $WAN_SRV
  tcp_echo_server "$NS_WAN" 23 $WAN_SRV
  start_appliance "$CONF/f-log.pm"
  expect_tcp_ok "$NS_LAN" $LAN_A $WAN_SRV 25
  expect_tcp_blocked "$NS_LAN" $LAN_A $WAN_SRV 23 "$(rule_at "$CONF/f-log.pm" "lan.in 20 ")"
  local want ok=1
  for want in "filter=lan.in rule=10 action=permit proto=tcp src=$LAN_A:[0-9]* dst=$WAN_SRV:25 in=lan" \
              "filter=lan.in rule=20 action=deny proto=tcp src=$LAN_A:[0-9]* dst=$WAN_SRV:23 in=lan"; do
    for _ in $(seq 1 30); do grep -q "$want" "$logf" && break; sleep 0.1; done
    if grep -q "$want" "$logf"; then say "  ok: the loghost received \"$(grep -o "$want[^(]*([^)]*)" "$logf" | head -1)\""
    else fail "the loghost did not receive a line matching: $want"; ok=0; fi
  done
  grep -q "portcullis.*running: 3 rules (portmaster)" "$logf" || { fail "the appliance's own start message did not reach the loghost"; ok=0; }
  [ $ok = 1 ]
}

scenario_g() { # IPv6: Windows CE rules with an IPv6 PrivateHost, neighbour discovery across the bridge
  need_dialect "$CONF/g-ipv6.reg" wince || return 3
  local la="[$LAN6_A]" lb="[$LAN6_B]" wa="[$WAN6_SRV]" p
  start_appliance "$CONF/g-ipv6.reg"
  need_conntrack || return 3
  # IPv6 comes up on the links only now, with the appliance forwarding, and
  # no host has met the other yet: the first connection needs neighbour discovery.
  ipv6_up "$NS_LAN" tapL $WAN6_NET $LAN6_A $LAN6_B
  ipv6_up "$NS_WAN" tapW $LAN6_NET $WAN6_SRV
  for p in 25 80; do tcp_echo_server "$NS_WAN" $p "$wa"; done
  tcp_echo_server "$NS_LAN" 22 "$la"
  [ -z "$(neighbour "$NS_LAN" tapL $WAN6_SRV)" ] || { fail "the LAN host knows the WAN host before any traffic"; return 1; }
  local nd0 hits0 inb0
  nd0=$(counter bridge.l2Passed); hits0=$(counter connections.stateHits); inb0=$(counter label:BlockInboundTCPToHost6)
  expect_tcp_ok "$NS_LAN" "$la" "$wa" 25
  # Neighbour discovery worked across the bridge, both ways, and the bridge passed it.
  local mw ml nd1
  mw=$(neighbour "$NS_LAN" tapL $WAN6_SRV); ml=$(neighbour "$NS_WAN" tapW $LAN6_A); nd1=$(counter bridge.l2Passed)
  [ "$mw" = $MAC_WAN ] || { fail "the LAN host did not learn $WAN6_SRV's MAC by neighbour discovery (has \"$mw\")"; return 1; }
  [ "$ml" = $MAC_LAN ] || { fail "the WAN host did not learn $LAN6_A's MAC by neighbour discovery (has \"$ml\")"; return 1; }
  [ "$nd1" -ge $((nd0 + 2)) ] || { fail "the bridge did not count the neighbour solicitation and advertisement ($nd0 -> $nd1)"; return 1; }
  say "  ok: neighbour discovery across the bridge: $LAN6_A found $WAN6_SRV at $mw, and $WAN6_SRV found $LAN6_A at $ml (ARP/ND frames passed: $nd0 -> $nd1)"
  # The replies were inbound TCP to the host, which BlockInboundTCPToHost6 matches:
  # they passed by the connection table, and that rule never saw them.
  local hits1 inb1
  hits1=$(counter connections.stateHits); inb1=$(counter label:BlockInboundTCPToHost6)
  [ "$hits1" -gt "$hits0" ] || { fail "the replies did not pass by state (connections.stateHits still $hits1)"; return 1; }
  [ "$inb1" = "$inb0" ] || { fail "BlockInboundTCPToHost6 counted packets of the allowed connection ($inb0 -> $inb1)"; return 1; }
  say "  ok: the replies passed by state (connections.stateHits: $hits0 -> $hits1; BlockInboundTCPToHost6 still $inb1)"
  expect_tcp_blocked "$NS_LAN" "$la" "$wa" 80 label:BlockOutboundFromHost6
  expect_tcp_blocked "$NS_WAN" "$wa" "$la" 22 label:BlockInboundTCPToHost6
  expect_tcp_ok "$NS_LAN" "$lb" "$wa" 80
}
scenario_g_end() { # IPv6 off again on the lab links (the other scenarios run without it)
  ipv6_down "$NS_LAN" tapL; ipv6_down "$NS_WAN" tapW
}

# ---------------------------------------------------------------- driver

rule_at() { # rule_at FILE PATTERN: FILE:LINE of the first line matching PATTERN (for `counter`)
  local n; n=$(grep -n -m1 -e "$2" "$1" | cut -d: -f1)
  [ -n "$n" ] || { fail "no line matching \"$2\" in $1"; return 1; }
  echo "$(basename "$1"):$n"
}

need_dialect() { # need_dialect CONFIG NAME: is the dialect this scenario needs in this build?
  if timeout 30 "${PORTCULLIS[@]}" check "$1" --dialect "$2" >"$LAB_TMP/check.out" 2>&1; then return 0; fi
  if grep -q "CFG002" "$LAB_TMP/check.out"; then
    say "  WAITING: this build has no $2 dialect yet"
  else
    say "  the config does not load:"; sed 's/^/    /' "$LAB_TMP/check.out" >&2
  fi
  return 1
}

need_conntrack() { # stateful dialects need the connection table for replies to pass
  if [ "$(status_json | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).connections === null)')" = true ]; then
    say "  WAITING: this build has no connection tracking yet (replies to allowed connections could not pass)"
    return 1
  fi
}

run_scenario() {
  local s=$1
  SCENARIO=$s
  say "scenario $s: $(sed -n "s/^scenario_$s() { # //p" "$0")"
  # Not called from a condition, so that `set -e` holds inside: the first failed check ends the scenario.
  (
    set -e
    SCENARIO_PIDS_START=${#PIDS[@]}
    # scenario_X_end, where there is one, undoes what the scenario changed on the shared links.
    trap 'stop_appliance; for pid in "${PIDS[@]:$SCENARIO_PIDS_START}"; do kill_pid "$pid"; done; ! declare -F "scenario_${s}_end" >/dev/null || "scenario_${s}_end"' EXIT
    "scenario_$s"
  ) &
  # In the background and waited for, so that a signal to this script is handled at
  # once (a foreground subshell would defer it to the scenario's end, minutes with a VM).
  SCENARIO_PID=$!
  wait "$SCENARIO_PID"
  SCENARIO_RC=$?
  SCENARIO_PID=""
}

on_signal() {
  say "interrupted: cleaning up"; trap - INT TERM
  [ -z "${SCENARIO_PID:-}" ] || kill_pid "$SCENARIO_PID"   # its EXIT trap stops its appliance and servers
  cleanup; exit 130
}

main() {
  local all=(a b c d e f g) chosen=("$@")
  [ ${#chosen[@]} -gt 0 ] || chosen=("${all[@]}")
  for s in "${chosen[@]}"; do declare -F "scenario_$s" >/dev/null || { echo "lab: no scenario \"$s\" (have ${all[*]})" >&2; exit 2; }; done
  preflight
  trap on_signal INT TERM
  trap cleanup EXIT
  say "building the WebAssembly engine if needed, and the host (incremental)"
  [ -f "$REPO/build/release.wasm" ] || (cd "$REPO" && timeout 300 npm run -s asbuild) || { fail "npm run asbuild failed"; exit 1; }
  (cd "$REPO" && timeout 300 npm run -s build:host) || { fail "npm run build:host failed"; exit 1; }
  target_prepare || { fail "could not prepare the ${LAB_TARGET:-host} target"; exit 1; }
  make_topology || { fail "could not build the namespaces"; exit 1; }
  say "namespaces $NS_FW $NS_LAN $NS_WAN ready (work dir $LAB_TMP)"
  local passed=() failed=() waiting=()
  for s in "${chosen[@]}"; do
    run_scenario "$s"
    if [ $SCENARIO_RC = 0 ]; then passed+=("$s"); say "scenario $s: PASS"
    elif [ $SCENARIO_RC = 3 ]; then waiting+=("$s"); say "scenario $s: NOT RUN (waiting for a dialect or connection tracking)"
    else failed+=("$s"); say "scenario $s: FAIL (appliance log: $LAB_TMP/appliance-$s.log)"; [ -f "$LAB_TMP/appliance-$s.log" ] && tail -20 "$LAB_TMP/appliance-$s.log" | sed 's/^/    | /' >&2; fi
  done
  trap - EXIT
  cleanup
  leftovers
  say "passed: ${passed[*]:-none}; failed: ${failed[*]:-none}; not run (dialect or connection tracking missing): ${waiting[*]:-none}"
  # A scenario that could not run is not a pass.
  [ ${#failed[@]} = 0 ] && [ ${#waiting[@]} = 0 ]
}

leftovers() { # prove the cleanup: no namespace, device or process of ours remains
  local left=""
  ip netns list | grep -q "^$LAB_ID-" && left+=" namespaces($(ip netns list | grep "^$LAB_ID-" | tr '\n' ' '))"
  ip link show tapL >/dev/null 2>&1 && left+=" tapL"
  ip link show tapW >/dev/null 2>&1 && left+=" tapW"
  for pid in "${PIDS[@]}"; do kill -0 "$pid" 2>/dev/null && left+=" pid:$pid"; done
  [ -d "$LAB_TMP" ] && [ "${LAB_KEEP_TMP:-0}" != 1 ] && left+=" $LAB_TMP"
  left+=$(target_leftovers)
  if [ -n "$left" ]; then fail "left behind:$left"; exit 1; fi
  say "cleanup checked: no namespace, device or process left"
}

main "$@"
