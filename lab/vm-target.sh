# The lab's appliance inside the firmware image, under QEMU (`npm run lab:vm`,
# `lab/run.sh --vm`): sourced by lab/lib.sh when LAB_TARGET=vm, it redefines
# how the appliance starts, stops and takes a new configuration; the
# scenarios, topology and checks stay those of lab/run.sh and lab/lib.sh.
#
# Each start boots `npm run vm` (lab/image/vm.sh) inside the fw namespace with
# a fresh flash disk made from the scenario's CONFIG files. Its NIC k is a
# `-netdev dgram` endpoint on the namespace's loopback (QEMU listens on
# VM_PORT_BASE+2k and sends to +2k+1): the lab's TAP relays point there instead
# of at a host process. Counters come from `portcullis status` through the
# VM's control channel (the host socket $VM_DIR/ctl.sock). Everything of a
# boot (flash, socket, console log) is under $LAB_TMP, removed at the end,
# also when the lab is interrupted (deleting the fw namespace ends QEMU).
#   LAB_VM_IMAGE=DIR  use an image already built there (default: build one into $LAB_TMP)
#   LAB_VM_BOOT_SECS  how long a boot may take until `status` answers (default 300)

VM_PORT_BASE=${VM_PORT_BASE:-9400}   # the fw namespace's own loopback: no clash with the host's ports
P_LAN_APP=$VM_PORT_BASE; P_LAN_RELAY=$((VM_PORT_BASE + 1))
P_WAN_APP=$((VM_PORT_BASE + 2)); P_WAN_RELAY=$((VM_PORT_BASE + 3))
VM_IMAGE=${LAB_VM_IMAGE:-$LAB_TMP/image}
VM_BOOTS=0
# Under TCG the appliance forwards a few hundred kB/s: a download or a transfer takes longer.
[ "${LAB_SLOW:-1}" != 1 ] || LAB_SLOW=6
# A guest's first packets after boot, its JIT still cold under emulation, may take seconds.
[ "${LAB_TALK:-1}" != 1 ] || LAB_TALK=3

target_preflight() {
  command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86)"; return; }
  if [ -n "${LAB_VM_IMAGE:-}" ]; then
    [ -f "$LAB_VM_IMAGE/vmlinuz" ] && ls "$LAB_VM_IMAGE"/initramfs.cpio.* >/dev/null 2>&1 || echo "no image in LAB_VM_IMAGE=$LAB_VM_IMAGE (npm run image)"
  fi
}

target_prepare() { # the image, from this tree's compiled host (a few minutes)
  [ -z "${LAB_VM_IMAGE:-}" ] || { say "using the image in $LAB_VM_IMAGE ($(cat "$LAB_VM_IMAGE/commit" 2>/dev/null))"; return 0; }
  say "building the firmware image into $VM_IMAGE (npm run image)"
  (cd "$REPO" && IMAGE_OUT=$VM_IMAGE timeout 1200 bash lab/image/build.sh) | sed 's/^/  /' >&2
  [ "${PIPESTATUS[0]}" = 0 ] && [ -f "$VM_IMAGE/vmlinuz" ]
}

target_leftovers() { # a QEMU of this run still alive (its command line names its flash under $LAB_TMP)
  local p; p=$(pgrep -f -- "file=$LAB_TMP/vm-" | tr '\n' ' ')
  [ -z "$p" ] || printf ' qemu(%s)' "$p"
}

# The topology of the host lab, plus the loghost's path from the VM: the guest
# sends syslog by its management NIC (QEMU's user network) to 10.0.2.2, which
# QEMU delivers to 127.0.0.1 of the namespace it runs in (fw); a relay there
# forwards each datagram over the management veth to the loghost in the WAN
# namespace, where the host lab's appliance sends it directly.
eval "host_$(declare -f make_topology)"
make_topology() {
  host_make_topology || return 1
  bg "$LAB_TMP/syslog-relay.log" nsx "$NS_FW" socat -u UDP-RECV:$SYSLOG_PORT,bind=127.0.0.1 UDP-SENDTO:$MGMT_WAN:$SYSLOG_PORT >/dev/null
  wait_listen "$NS_FW" $SYSLOG_PORT udp
}

# start_appliance CONFIG... [-- EXTRA ARGS]: boot the VM with CONFIG on a new
# flash; EXTRA ARGS go to the guest's `portcullis run` (kernel command line).
start_appliance() {
  local args=() extra=() seen=0
  for a in "$@"; do if [ "$a" = -- ]; then seen=1; elif [ $seen = 1 ]; then extra+=("$a"); else args+=("$a"); fi; done
  # Syslog leaves by the guest's management NIC to QEMU's host address (make_topology's relay).
  extra=(--loghost "10.0.2.2:$SYSLOG_PORT" "${extra[@]}")
  VM_BOOTS=$((VM_BOOTS + 1))
  VM_DIR=$LAB_TMP/vm-$SCENARIO-$VM_BOOTS
  CTL=$VM_DIR/ctl.sock
  APP_LOG=$LAB_TMP/appliance-$SCENARIO.log
  local run_args; run_args=$(IFS=,; echo "${extra[*]}")
  # ip netns exec and vm.sh both exec: APP_PID is QEMU's own pid.
  ip netns exec "$NS_FW" env VM_DIR="$VM_DIR" VM_PORT_BASE="$VM_PORT_BASE" IMAGE_OUT="$VM_IMAGE" VM_RUN_ARGS="$run_args" \
    bash "$REPO/lab/image/vm.sh" "${args[@]}" >>"$APP_LOG" 2>&1 </dev/null &
  APP_PID=$!
  local t0=$SECONDS limit=${LAB_VM_BOOT_SECS:-300}
  # First the guest's appliance says it runs (on the serial console), then the control channel must answer.
  until grep -Eq "portcullis: [a-z]+: (running|FAILING CLOSED)" "$APP_LOG" 2>/dev/null; do
    if ! kill -0 "$APP_PID" 2>/dev/null; then tail -20 "$APP_LOG" >&2; APP_PID=""; fail "the VM ended before the appliance ran"; return 1; fi
    [ $((SECONDS - t0)) -lt "$limit" ] || { fail "the VM's appliance did not start within $limit s"; return 1; }
    sleep 0.5
  done
  until timeout 10 "${PORTCULLIS[@]}" status --socket "$CTL" >/dev/null 2>&1; do
    kill -0 "$APP_PID" 2>/dev/null || { APP_PID=""; fail "the VM ended before its control channel answered"; return 1; }
    [ $((SECONDS - t0)) -lt "$limit" ] || { fail "the VM's control channel did not answer within $limit s"; return 1; }
    sleep 0.5
  done
  say "  the VM booted in $((SECONDS - t0)) s ($(grep -o 'accelerator [a-z]*' "$APP_LOG" | head -1)); console: $APP_LOG"
}

# stop_appliance: power the VM off (SIGTERM to QEMU) and remove its flash and socket.
stop_appliance() {
  [ -n "$APP_PID" ] || return 0
  kill -TERM "$APP_PID" 2>/dev/null
  local rc=0
  timeout 20 tail --pid="$APP_PID" -f /dev/null || { kill -KILL "$APP_PID" 2>/dev/null; rc=1; }
  wait "$APP_PID" 2>/dev/null; local st=$?
  APP_PID=""
  [ -S "$CTL" ] && { say "the VM's control socket $CTL outlived QEMU"; rc=1; }
  rm -rf "$VM_DIR"
  [ $rc = 0 ] && [ $st = 0 ] || { say "QEMU did not exit cleanly on SIGTERM (status $st)"; return 1; }
}

# change_config NEW CONFIG: push NEW's content, under CONFIG's name, through the control channel.
change_config() {
  cp "$1" "$2" || return 1
  timeout 60 "${PORTCULLIS[@]}" push "$2" --to "$CTL" >"$LAB_TMP/push.out" 2>&1 || { sed 's/^/    /' "$LAB_TMP/push.out" >&2; return 1; }
}
