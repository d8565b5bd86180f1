#!/usr/bin/env bash
# `npm run vm -- CONFIG... [--appliance FILE] [--http PORT [--http-token FILE]]`: boot the firmware image in
# qemu-system-x86_64 with one virtio NIC per appliance interface, each a
# `-netdev dgram` endpoint on 127.0.0.1 (NIC k: QEMU listens on VM_PORT_BASE+2k
# and sends to VM_PORT_BASE+2k+1, where the lab's relay sits), the flash disk
# (created from CONFIG... when missing), the control channel as a Unix socket
# on the host, and the serial console on stdout. After the bridge's NICs, a
# management NIC on QEMU's user network (the appliance is 10.0.2.15, the host
# 10.0.2.2: a loghost of 10.0.2.2:PORT in the appliance description reaches
# the host's 127.0.0.1:PORT). --http PORT serves the web console on the host's
# 127.0.0.1:PORT, forwarded to the appliance's management address, with the
# token in FILE (default VM_DIR/console.token, made when missing); QEMU hands
# the token to the guest as fw_cfg, never on a command line.
#   VM_DIR (default out/vm), VM_PORT_BASE (default 9400), VM_ACCEL (kvm|tcg; default: probe)
#   VM_RUN_ARGS: extra arguments for the guest's `portcullis run`, comma-separated (the lab's use)
set -euo pipefail
cd "$(dirname "$0")/../.."
IMG=${IMAGE_OUT:-$PWD/out/image}
VM_DIR=${VM_DIR:-$PWD/out/vm}
BASE=${VM_PORT_BASE:-9400}
configs=() appliance="" http="" token=""
while [ $# -gt 0 ]; do
  case "$1" in
    --appliance) appliance=$2; shift 2 ;;
    --appliance=*) appliance=${1#*=}; shift ;;
    --http) http=$2; shift 2 ;;
    --http-token) token=$2; shift 2 ;;
    -*) echo "vm: unknown option $1" >&2; exit 2 ;;
    *) configs+=("$1"); shift ;;
  esac
done
initrd=$(ls "$IMG"/initramfs.cpio.zst "$IMG"/initramfs.cpio.xz 2>/dev/null | head -1 || true)
[ -f "$IMG/vmlinuz" ] && [ -n "$initrd" ] || { echo "vm: no image in $IMG: npm run image" >&2; exit 1; }
mkdir -p "$VM_DIR"

# The flash: a raw disk holding a tar of the configuration, made once.
if [ ! -f "$VM_DIR/flash.img" ]; then
  [ ${#configs[@]} -gt 0 ] || { echo "vm: no flash disk yet: give the CONFIG files to put on it" >&2; exit 2; }
  stage=$(mktemp -d)
  for c in "${configs[@]}"; do cp "$c" "$stage/$(basename "$c")"; done
  [ -n "$appliance" ] && cp "$appliance" "$stage/site.appliance.json"
  truncate -s 40M "$VM_DIR/flash.img"   # a pushed configuration may be 32 MiB (sparse: costs what it holds)
  tar -C "$stage" -cf - . | dd of="$VM_DIR/flash.img" conv=notrunc status=none
  rm -rf "$stage"
  echo "vm: flash disk $VM_DIR/flash.img made from ${configs[*]}${appliance:+ and $appliance}" >&2
fi

# The interfaces, in the appliance description's order (the built-in default: lan, wan).
names=$( (tar -xOf "$VM_DIR/flash.img" --wildcards '*.appliance.json' 2>/dev/null || true) | node -e '
  let t = ""; process.stdin.on("data", (c) => (t += c)).on("end", () => {
    try { console.log(JSON.parse(t).interfaces.map((i) => i.name).join(",")); } catch { console.log("lan,wan"); } });')
[ -n "$names" ] || names="lan,wan"

accel=${VM_ACCEL:-}
if [ -z "$accel" ]; then
  accel=tcg
  # /dev/kvm may exist and still boot nothing here: use it only if a guest kernel speaks within 20 s.
  if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
    if timeout 20 qemu-system-x86_64 -accel kvm -m 128 -nographic -no-reboot -kernel "$IMG/vmlinuz" \
         -append "console=ttyS0 panic=-1 rdinit=/nonexistent" 2>/dev/null | grep -q -m1 "Linux version"; then accel=kvm; fi
  fi
fi
echo "vm: accelerator $accel; interfaces $names" >&2

nets=() k=0
IFS=, read -ra ifs <<<"$names"
for name in "${ifs[@]}"; do
  nets+=(-netdev "dgram,id=n$k,local.type=inet,local.host=127.0.0.1,local.port=$((BASE + 2 * k)),remote.type=inet,remote.host=127.0.0.1,remote.port=$((BASE + 2 * k + 1))"
         -device "virtio-net-pci,netdev=n$k,mac=52:54:00:12:34:$(printf %02x $((k + 1)))")
  k=$((k + 1))
done
# The management NIC (user networking), with the console's port forwarded when asked for.
fwd="" httparg="" fwcfg=()
if [ -n "$http" ]; then
  [[ "$http" =~ ^[0-9]+$ ]] || { echo "vm: --http wants a port number on the host's 127.0.0.1" >&2; exit 2; }
  if [ -z "$token" ]; then
    token=$VM_DIR/console.token
    [ -f "$token" ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$token")
  fi
  [ -r "$token" ] || { echo "vm: --http-token $token: cannot read it" >&2; exit 2; }
  fwd=",hostfwd=tcp:127.0.0.1:$http-10.0.2.15:8080"
  httparg=" portcullis.http=8080"
  fwcfg=(-fw_cfg "name=opt/portcullis/console-token,file=$token")
  echo "vm: console on http://127.0.0.1:$http/ (token in $token)" >&2
fi
nets+=(-netdev "user,id=mgmt,net=10.0.2.0/24$fwd" -device "virtio-net-pci,netdev=mgmt,mac=52:54:00:12:34:fe")
rm -f "$VM_DIR/ctl.sock"
exec qemu-system-x86_64 -accel "$accel" -cpu max -m "${VM_MEM:-512}" -smp 1 -nographic -no-reboot \
  -kernel "$IMG/vmlinuz" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 portcullis.ports=$names portcullis.accel=$accel portcullis.mgmt=10.0.2.15/24,10.0.2.2$httparg${VM_RUN_ARGS:+ portcullis.args=$VM_RUN_ARGS}" \
  -drive "file=$VM_DIR/flash.img,format=raw,if=virtio" \
  "${nets[@]}" "${fwcfg[@]}" \
  -chardev "socket,id=ctl,path=$VM_DIR/ctl.sock,server=on,wait=off" \
  -device virtio-serial-pci -device virtserialport,chardev=ctl,name=portcullis.ctl
