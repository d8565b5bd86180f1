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
#   VM_DIR (default out/vm), VM_PORT_BASE (default 9400), VM_ACCEL (kvm|tcg; default: probe),
#   VM_APPEND (more kernel parameters), VM_UNPACKED (0: boot the compressed files)
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
         -device "virtio-net-pci,netdev=n$k,mac=52:54:00:12:34:$(printf %02x $((k + 1))),romfile=")
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
nets+=(-netdev "user,id=mgmt,net=10.0.2.0/24$fwd" -device "virtio-net-pci,netdev=mgmt,mac=52:54:00:12:34:fe,romfile=")
# QEMU boots the image unpacked, by the host, once per VM_DIR (redone when the
# image is newer): under TCG the guest took 11 s to decompress its kernel and
# 8 s its initramfs, the host takes about a second for both. The kernel boots
# by its PVH entry (an ELF vmlinux, CONFIG_PVH), the initramfs is a plain cpio
# the guest only copies. VM_UNPACKED=0 boots the compressed files as they are.
kernel=$IMG/vmlinuz
if [ "${VM_UNPACKED:-1}" = 1 ]; then
  kver=$(cat "$IMG/kernel-version" 2>/dev/null || true)
  if [ ! -s "$VM_DIR/vmlinux" ] || [ "$IMG/vmlinuz" -nt "$VM_DIR/vmlinux" ]; then
    rm -f "$VM_DIR/vmlinux"
    off=$(node -e 'const d = require("fs").readFileSync(process.argv[1]); console.log(d.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])))' "$IMG/vmlinuz")
    if [ "$off" -ge 0 ] && grep -q '^CONFIG_PVH=y' "/boot/config-$kver" 2>/dev/null; then
      # (no pipe: xz stops reading at the stream's end, and pipefail would count tail's SIGPIPE)
      tail -c +$((off + 1)) "$IMG/vmlinuz" >"$VM_DIR/vmlinux.xz"
      xz -dc --single-stream "$VM_DIR/vmlinux.xz" >"$VM_DIR/vmlinux.new" 2>/dev/null && mv "$VM_DIR/vmlinux.new" "$VM_DIR/vmlinux"
      rm -f "$VM_DIR/vmlinux.xz" "$VM_DIR/vmlinux.new"
    fi
  fi
  [ -s "$VM_DIR/vmlinux" ] && kernel=$VM_DIR/vmlinux
  if [ ! -s "$VM_DIR/initramfs.cpio" ] || [ "$initrd" -nt "$VM_DIR/initramfs.cpio" ]; then
    case "$initrd" in
      *.zst) zstd -dqf "$initrd" -o "$VM_DIR/initramfs.cpio.new" ;;
      *.xz) xz -dc "$initrd" >"$VM_DIR/initramfs.cpio.new" ;;
    esac
    mv "$VM_DIR/initramfs.cpio.new" "$VM_DIR/initramfs.cpio"
  fi
  initrd=$VM_DIR/initramfs.cpio
fi
rm -f "$VM_DIR/ctl.sock"
exec qemu-system-x86_64 -accel "$accel" -cpu max -m "${VM_MEM:-512}" -smp 1 -nographic -no-reboot \
  -kernel "$kernel" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 portcullis.ports=$names portcullis.accel=$accel portcullis.mgmt=10.0.2.15/24,10.0.2.2$httparg${VM_RUN_ARGS:+ portcullis.args=$VM_RUN_ARGS} ${VM_APPEND:-}" \
  -drive "file=$VM_DIR/flash.img,format=raw,if=virtio" \
  "${nets[@]}" "${fwcfg[@]}" \
  -chardev "socket,id=ctl,path=$VM_DIR/ctl.sock,server=on,wait=off" \
  -device virtio-serial-pci -device virtserialport,chardev=ctl,name=portcullis.ctl
