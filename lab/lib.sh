# Shared pieces of the network lab (sourced by lab/run.sh and bench/lab-throughput.sh).
# Everything it makes is named with $LAB_ID so cleanup finds exactly that and
# nothing else; every step is bounded by `timeout`.

LAB_ID=${LAB_ID:-pcl$$}
NS_FW=$LAB_ID-fw
NS_LAN=$LAB_ID-lan
NS_WAN=$LAB_ID-wan
LAB_TMP=${LAB_TMP:-$(mktemp -d /tmp/portcullis-lab.XXXXXX)}
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PORTCULLIS=(node "$REPO/bin/portcullis.js")
CTL=$LAB_TMP/ctl.sock

# Addresses: only inside the namespaces made here.
LAN_A=192.168.0.101   # the seed-000 host
LAN_B=192.168.0.102
LAN_MAIL=192.168.0.25 # the seed-003 mail server
WAN_SRV=10.0.0.2
MGMT_FW=172.30.0.1    # the appliance's management link to the WAN namespace (syslog)
MGMT_WAN=172.30.0.2
SYSLOG_PORT=514
# IPv6 (scenario g only): a ULA prefix on the LAN, the documentation prefix on the WAN.
LAN6_NET=fd00:0:0:1::/64
LAN6_A=fd00:0:0:1::101
LAN6_B=fd00:0:0:1::102
WAN6_NET=2001:db8:0:2::/64
WAN6_SRV=2001:db8:0:2::2
MAC_LAN=02:00:00:00:01:01
MAC_WAN=02:00:00:00:02:02

# UDP ports of the relays inside the appliance namespace's loopback.
P_LAN_APP=7001; P_LAN_RELAY=7101
P_WAN_APP=7002; P_WAN_RELAY=7102

LAB_SLOW=${LAB_SLOW:-1}  # how many times longer the slow steps (a download, a paced transfer) may take
LAB_TALK=${LAB_TALK:-1}  # how many times longer a client may wait to connect and for its echo
PIDS=()          # background processes this lab started (killed by pid at cleanup)
APP_PID=""

say()  { printf '%s\n' "lab: $*" >&2; }
fail() { printf '%s\n' "lab: FAIL: $*" >&2; return 1; }

nsx() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

bg() { # bg LOGFILE CMD... : start in the background, remember its pid (also in BG_PID)
  local log=$1; shift
  # A backgrounded shell function would run in a forked shell whose pid is not the program's: call ip directly.
  [ "$1" = nsx ] && set -- ip netns exec "${@:2}"
  "$@" >"$log" 2>&1 &
  BG_PID=$!
  PIDS+=($BG_PID)
}

kill_pid() { # kill one process we started, politely then firmly
  local pid=$1
  [ -n "$pid" ] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

preflight() { # can this machine run the lab? (root, /dev/net/tun, socat, ip)
  local why=""
  [ "$(id -u)" = 0 ] || why="not root (the lab creates network namespaces)"
  [ -z "$why" ] && [ ! -c /dev/net/tun ] && why="no /dev/net/tun (TAP devices)"
  [ -z "$why" ] && ! command -v socat >/dev/null && why="socat is not installed (apt-get install socat)"
  [ -z "$why" ] && ! command -v ip >/dev/null && why="iproute2 (ip) is not installed"
  [ -z "$why" ] && ! ip netns add "$LAB_ID-probe" 2>/dev/null && why="cannot create network namespaces here"
  ip netns del "$LAB_ID-probe" 2>/dev/null || true
  [ -z "$why" ] && why=$(target_preflight)
  if [ -n "$why" ]; then
    rm -rf "$LAB_TMP"
    if [ "${LAB_SKIP_OK:-0}" = 1 ]; then
      echo "lab: SKIPPED: $why (LAB_SKIP_OK=1)" >&2
      exit 0
    fi
    echo "lab: CANNOT RUN: $why. Set LAB_SKIP_OK=1 to skip the lab on purpose." >&2
    exit 2
  fi
}

# Where the appliance runs: these hooks do nothing for the host process;
# lab/vm-target.sh (LAB_TARGET=vm, `npm run lab:vm`) redefines them and the
# appliance's start, stop and reload for the firmware image under QEMU.
target_preflight() { :; }  # prints why this machine cannot run the target, if it cannot
target_prepare() { :; }    # builds what the target needs before the first scenario
target_leftovers() { :; }  # names what the target left behind, if anything

cleanup() {
  stop_appliance
  local pid
  for pid in "${PIDS[@]}"; do kill_pid "$pid"; done
  PIDS=()
  for ns in "$NS_LAN" "$NS_WAN" "$NS_FW"; do
    ip netns pids "$ns" 2>/dev/null | while read -r pid; do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null || true
  done
  [ "${LAB_KEEP_TMP:-0}" = 1 ] || rm -rf "$LAB_TMP"
}

# Namespaces: fw (the appliance and the socat relays, on its loopback), lan
# and wan (the hosts, each behind one TAP device), and a management veth from
# fw to wan that carries the appliance's own syslog to the loghost.
make_topology() {
  ip netns add "$NS_FW" && ip netns add "$NS_LAN" && ip netns add "$NS_WAN" || return 1
  nsx "$NS_FW" ip link set lo up
  nsx "$NS_LAN" ip link set lo up
  nsx "$NS_WAN" ip link set lo up
  relay tapL $P_LAN_APP $P_LAN_RELAY "$NS_LAN" || return 1
  relay tapW $P_WAN_APP $P_WAN_RELAY "$NS_WAN" || return 1
  host_if "$NS_LAN" tapL $MAC_LAN 10.0.0.0/24 $LAN_A $LAN_B $LAN_MAIL
  host_if "$NS_WAN" tapW $MAC_WAN 192.168.0.0/24 $WAN_SRV
  nsx "$NS_FW" ip link add mgmt0 type veth peer name mgmt1 netns "$NS_WAN"
  nsx "$NS_FW" ip addr add $MGMT_FW/30 dev mgmt0
  nsx "$NS_FW" ip link set mgmt0 up
  nsx "$NS_WAN" ip addr add $MGMT_WAN/30 dev mgmt1
  nsx "$NS_WAN" ip link set mgmt1 up
}

relay() { # relay TAP APP_PORT RELAY_PORT HOST_NS: a socat TAP<->UDP relay in fw, TAP moved to the host
  local tap=$1 app=$2 rel=$3 ns=$4
  # The TAP stays down until its host namespace brings it up: socat ends on the EIO
  # of writing a frame to a TAP that is down, so no frame may flow before both are up.
  bg "$LAB_TMP/socat-$tap.log" nsx "$NS_FW" socat TUN,tun-type=tap,tun-name=$tap,iff-no-pi \
    UDP-DATAGRAM:127.0.0.1:$app,bind=127.0.0.1:$rel >/dev/null
  for _ in $(seq 1 50); do nsx "$NS_FW" ip link show "$tap" >/dev/null 2>&1 && break; sleep 0.1; done
  nsx "$NS_FW" ip link set "$tap" netns "$ns" || return 1   # socat keeps its descriptor
}

host_if() { # host_if NS DEV MAC OTHER_SIDE_NET ADDR...: addresses, and the other side on-link (a bridge joins them)
  local ns=$1 dev=$2 mac=$3 other=$4; shift 4
  nsx "$ns" ip link set "$dev" address "$mac"
  # No IPv6 on the lab links: the kernel's own ND/MLD chatter would add noise to the counters the scenarios check.
  nsx "$ns" sysctl -qw net.ipv6.conf."$dev".disable_ipv6=1
  local a
  for a in "$@"; do nsx "$ns" ip addr add "$a/24" dev "$dev"; done
  nsx "$ns" ip link set "$dev" up
  nsx "$ns" ip route add "$other" dev "$dev"
}

# IPv6 on the lab links, for the one scenario that wants it (g): addresses
# without duplicate address detection (no wait for tentative addresses), no
# router solicitations or RA, the other side's prefix on-link (as for IPv4),
# so the hosts find each other by neighbour discovery through the bridge.
ipv6_up() { # ipv6_up NS DEV OTHER_PREFIX ADDR...
  local ns=$1 dev=$2 other=$3 a k; shift 3
  for k in accept_ra=0 router_solicitations=0 accept_dad=0 disable_ipv6=0; do
    nsx "$ns" sysctl -qw net.ipv6.conf."$dev".$k || return 1
  done
  for a in "$@"; do nsx "$ns" ip -6 addr add "$a/64" dev "$dev" nodad || return 1; done
  nsx "$ns" ip -6 route add "$other" dev "$dev"
}
ipv6_down() { # ipv6_down NS DEV: IPv6 off again (its addresses, routes and neighbours go with it)
  nsx "$1" sysctl -qw net.ipv6.conf."$2".disable_ipv6=1
}
# neighbour NS DEV ADDR: the link-layer address the host learnt for ADDR, if any
neighbour() { nsx "$1" ip -6 neigh show "$3" dev "$2" | sed -n 's/.*lladdr \([0-9a-f:]*\).*/\1/p' | head -1; }

# start_appliance CONFIG... [-- EXTRA ARGS]: run portcullis in fw, wait for its control socket.
start_appliance() {
  local args=() extra=() seen=0 a
  for a in "$@"; do if [ "$a" = -- ]; then seen=1; elif [ $seen = 1 ]; then extra+=("$a"); else args+=("$a"); fi; done
  APP_LOG=$LAB_TMP/appliance-$SCENARIO.log
  ip netns exec "$NS_FW" "${PORTCULLIS[@]}" run "${args[@]}" \
    --port "${LAN_PORT:-lan}=127.0.0.1:$P_LAN_APP/127.0.0.1:$P_LAN_RELAY" \
    --port "${WAN_PORT:-wan}=127.0.0.1:$P_WAN_APP/127.0.0.1:$P_WAN_RELAY" \
    --socket "$CTL" --loghost $MGMT_WAN:$SYSLOG_PORT "${extra[@]}" >"$APP_LOG" 2>&1 &
  APP_PID=$!
  for _ in $(seq 1 100); do
    if ! kill -0 $APP_PID 2>/dev/null; then cat "$APP_LOG" >&2; APP_PID=""; fail "the appliance did not start"; return 1; fi
    timeout 5 "${PORTCULLIS[@]}" status --socket "$CTL" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "the appliance's control socket did not answer within 20 s"
}

stop_appliance() {
  [ -n "$APP_PID" ] || return 0
  kill -TERM "$APP_PID" 2>/dev/null
  local rc=0
  timeout 10 tail --pid="$APP_PID" -f /dev/null || { kill -KILL "$APP_PID" 2>/dev/null; rc=1; }
  wait "$APP_PID" 2>/dev/null; local st=$?
  APP_PID=""
  [ $rc = 0 ] && [ $st = 0 ] || { say "the appliance did not exit cleanly on SIGTERM (status $st)"; return 1; }
}

# change_config NEW CONFIG: CONFIG's content becomes NEW's and the running appliance
# loads it (here by SIGHUP; the VM target pushes it through the control channel).
change_config() { cp "$1" "$2" && kill -HUP "$APP_PID"; }

status_json() { timeout 5 "${PORTCULLIS[@]}" status --socket "$CTL" --json; }

# counter WHAT: packets counted by a rule (FILE:LINE, or label:TEXT), a default (default:RULESET),
# a bridge figure (bridge.denied, bridge.l2Passed: ARP/ND frames passed unfiltered) or a connection
# table figure (connections.created, connections.stateHits: packets passed as part of a tracked flow)
counter() {
  status_json | node -e '
    const s = JSON.parse(require("fs").readFileSync(0, "utf8"));
    const w = process.argv[1];
    let n;
    if (w.startsWith("bridge.")) n = s.bridge[w.slice(7)];
    else if (w.startsWith("connections.")) n = (s.connections ?? {})[w.slice(12)];
    else if (w.startsWith("label:")) n = s.rules.filter((r) => (r.label ?? "").includes(w.slice(6))).reduce((a, r) => a + r.packets, 0);
    else if (w.startsWith("default:")) n = s.defaults.filter((d) => d.ruleset === w.slice(8)).reduce((a, d) => a + d.packets, 0);
    else { const [f, l] = [w.slice(0, w.lastIndexOf(":")), Number(w.slice(w.lastIndexOf(":") + 1))];
           n = s.rules.filter((r) => r.file.endsWith(f) && r.line === l).reduce((a, r) => a + r.packets, 0); }
    if (n === undefined) { console.error("no counter " + w); process.exit(1); }
    console.log(n);' "$1"
}

# Servers in a namespace (socat: one child per connection).
# An IPv6 address is given in brackets ([2001:db8::1]); socat's listeners then need pf=ip6.
pf_of() { case $1 in \[*) echo ,pf=ip6 ;; esac; }
tcp_echo_server() { bg "$LAB_TMP/srv-$1-$2.log" nsx "$1" socat TCP-LISTEN:$2,bind=$3,fork,reuseaddr$(pf_of "$3") EXEC:cat >/dev/null; wait_listen "$1" "$2" tcp; }
udp_echo_server() { bg "$LAB_TMP/srv-$1-u$2.log" nsx "$1" socat UDP-RECVFROM:$2,bind=$3,fork$(pf_of "$3") EXEC:cat >/dev/null; wait_listen "$1" "$2" udp; }
wait_listen() { # the server must be there, so a failed connection is the firewall's doing
  for _ in $(seq 1 50); do
    if [ "$3" = tcp ]; then nsx "$1" ss -Hltn "sport = :$2" | grep -q . && return 0
    else nsx "$1" ss -Hlun "sport = :$2" | grep -q . && return 0; fi
    sleep 0.1
  done
  fail "no $3 server listening on port $2 in $1"
}

# tcp_talk NS SRC DST PORT: connect from SRC, send a line, expect it echoed back (IPv6: SRC and DST in brackets).
tcp_talk() {
  local msg="portcullis-lab $RANDOM $RANDOM"
  local got
  got=$(printf '%s\n' "$msg" | timeout $((10 * LAB_TALK)) ip netns exec "$1" socat -T $((4 * LAB_TALK)) - TCP:$3:$4,bind=$2,connect-timeout=$((4 * LAB_TALK)) 2>"$LAB_TMP/client.err")
  [ "$got" = "$msg" ]
}
udp_talk() {
  local msg="portcullis-lab $RANDOM $RANDOM"
  local got
  got=$(printf '%s\n' "$msg" | timeout $((10 * LAB_TALK)) ip netns exec "$1" socat -T $((2 * LAB_TALK)) - UDP:$3:$4,bind=$2 2>"$LAB_TMP/client.err")
  [ "$got" = "$msg" ]
}

# expect_tcp_ok NS SRC DST PORT
expect_tcp_ok() {
  if tcp_talk "$@"; then say "  ok: tcp $2 -> $3:$4 connects and exchanges data"
  else fail "tcp $2 -> $3:$4 should connect and echo ($(cat "$LAB_TMP/client.err" 2>/dev/null | tail -1))"; fi
}
expect_udp_ok() {
  if udp_talk "$@"; then say "  ok: udp $2 -> $3:$4 gets its answer"
  else fail "udp $2 -> $3:$4 should get an answer"; fi
}

# expect_tcp_blocked NS SRC DST PORT COUNTER: the attempt fails AND the firewall counted the drop.
expect_tcp_blocked() {
  local before after
  before=$(counter "$5") || return 1
  if tcp_talk "$1" "$2" "$3" "$4"; then fail "tcp $2 -> $3:$4 should be blocked, but it connected"; return 1; fi
  after=$(counter "$5") || return 1
  if [ "$after" -gt "$before" ]; then say "  ok: tcp $2 -> $3:$4 blocked by the firewall ($5: $before -> $after; client: $(tail -1 "$LAB_TMP/client.err" | sed 's/^.*E //'))"
  else fail "tcp $2 -> $3:$4 failed, but not by $5 (still $after): not the firewall's doing"; fi
}
expect_udp_blocked() {
  local before after
  before=$(counter "$5") || return 1
  if udp_talk "$1" "$2" "$3" "$4"; then fail "udp $2 -> $3:$4 should be blocked, but it was answered"; return 1; fi
  after=$(counter "$5") || return 1
  if [ "$after" -gt "$before" ]; then say "  ok: udp $2 -> $3:$4 gets no answer, dropped by the firewall ($5: $before -> $after)"
  else fail "udp $2 -> $3:$4 got no answer, but $5 did not count it"; fi
}

if [ "${LAB_TARGET:-host}" != host ]; then
  [ -f "$REPO/lab/${LAB_TARGET}-target.sh" ] || { echo "lab: no target \"$LAB_TARGET\" (host, vm)" >&2; exit 2; }
  . "$REPO/lab/${LAB_TARGET}-target.sh"
fi
