#!/usr/bin/env bash
# `npm run image`: the appliance's firmware image, from Debian's packages and
# the compiled host alone. Output (git-ignored): out/image/vmlinuz (Debian's
# kernel) and out/image/initramfs.cpio.zst (busybox, node and the libraries it
# needs, socat and ethtool for the NICs, the virtio modules, the compiled host,
# the .wasm, a default configuration and lab/image/init). Prints the sizes.
# Needs: linux-image-amd64, busybox-static, socat, ethtool, zstd, xz-utils, cpio.
# zstd, not xz: the guest kernel unpacks the initramfs under emulation, and
# zstd does that about twice as fast as xz (measured: README); xz -9 would be
# 9 MB smaller.
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
OUT=${IMAGE_OUT:-$REPO/out/image}
KVER=${IMAGE_KERNEL:-$(ls /lib/modules | sort -V | tail -1)}
VMLINUZ=/boot/vmlinuz-$KVER
MODDIR=/lib/modules/$KVER

die() { echo "image: $*" >&2; exit 1; }
for f in "$VMLINUZ" /bin/busybox "$(command -v node)" "$(command -v socat)" "$(command -v ethtool)" "$(command -v zstd)"; do
  [ -e "$f" ] || die "missing $f (apt-get install linux-image-amd64 busybox-static socat ethtool zstd)"
done
ldd /bin/busybox >/dev/null 2>&1 && die "/bin/busybox is not static (apt-get install busybox-static)"
[ -f dist/.tsbuildinfo ] && [ -f build/release.wasm ] || die "the host is not built: npm run build"

STAGE=$(mktemp -d /tmp/portcullis-image.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,proc,sys,dev,run,tmp,etc/portcullis,flash,lib/modules,opt/portcullis}

# busybox and its applets (the init's shell and tools)
cp /bin/busybox "$STAGE/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf /bin/busybox "$STAGE/bin/$applet"
done

# A binary and the shared libraries it loads (ldd), at the same paths.
copy_with_libs() {
  local bin=$1 dest=$2
  cp -L "$bin" "$STAGE$dest"
  ldd "$bin" | grep -o '/[^ ]*' | while read -r lib; do
    mkdir -p "$STAGE$(dirname "$lib")"
    cp -Ln "$lib" "$STAGE$lib"
  done
}
copy_with_libs "$(command -v node)" /usr/bin/node
copy_with_libs "$(command -v socat)" /usr/bin/socat
copy_with_libs "$(command -v ethtool)" /usr/sbin/ethtool
strip --strip-unneeded "$STAGE/usr/bin/node" 2>/dev/null || true

# The virtio modules, in the order the init loads them.
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net virtio_blk virtio_console qemu_fw_cfg"
for m in $MODULES; do
  path=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || die "kernel module $m not found for $KVER"
  case "$path" in
    *.ko.xz) xz -dc "$path" >"$STAGE/lib/modules/$m.ko" ;;
    *.ko.zst) zstd -dqc "$path" >"$STAGE/lib/modules/$m.ko" ;;
    *) cp "$path" "$STAGE/lib/modules/$m.ko" ;;
  esac
done
echo "$MODULES" >"$STAGE/lib/modules/order"

# The appliance: the compiled host, the matcher, the console's page, no node_modules.
APP=$STAGE/opt/portcullis
cp package.json "$APP/"
mkdir -p "$APP/bin" "$APP/build" "$APP/host/console"
cp bin/portcullis.js "$APP/bin/"
cp build/release.wasm build/release.js build/release-nosimd.wasm build/release-nosimd.js "$APP/build/"
(cd dist && find . -name '*.js' -print0 | cpio -0 -pdm --quiet "$APP/dist")
cp -r host/console/assets "$APP/host/console/"
COMMIT=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
echo "$COMMIT" >"$APP/COMMIT"

# The default configuration (the flash disk's, when one is attached, wins).
cp lab/image/default.cfg "$STAGE/etc/portcullis/default.cfg"
cp lab/image/default.appliance.json "$STAGE/etc/portcullis/default.appliance.json"
cp lab/image/init "$STAGE/init"
chmod 755 "$STAGE/init"

mkdir -p "$OUT"
(cd "$STAGE" && find . | sort | cpio -o -H newc --quiet) >"$OUT/initramfs.cpio"
unpacked=$(stat -c %s "$OUT/initramfs.cpio")
rm -f "$OUT"/initramfs.cpio.*
zstd -9 -T0 -q --rm -f "$OUT/initramfs.cpio" -o "$OUT/initramfs.cpio.zst"
cp "$VMLINUZ" "$OUT/vmlinuz"
echo "$KVER" >"$OUT/kernel-version"
echo "$COMMIT" >"$OUT/commit"
k=$(stat -c %s "$OUT/vmlinuz"); i=$(stat -c %s "$OUT/initramfs.cpio.zst")
node -e '
  const [k, i, u] = process.argv.slice(1).map(Number), mb = (n) => (n / 1048576).toFixed(1) + " MB";
  console.log(`image: ${process.argv[4]}/vmlinuz ${mb(k)}, initramfs.cpio.zst ${mb(i)} (unpacked ${mb(u)}); compressed total ${mb(k + i)}`);' \
  "$k" "$i" "$unpacked" "$OUT"
echo "image: largest parts unpacked:"
(cd "$STAGE" && du -ab . | sort -rn | awk '$2 != "." && $1 > 2000000 {printf "  %6.1f MB  %s\n", $1/1048576, $2}' | head -8)
