#!/usr/bin/env bash
# Builds the yardstick for make bench-net: a Debian Linux guest that serves a
# small file over HTTP on port 8080 with busybox httpd, booted on the same
# QEMU command line as Molt. Everything comes from Debian packages installed
# by the caller (linux-image-cloud-amd64 or -arm64, busybox-static); nothing
# is downloaded here and nothing is committed.
#   image/linux-yardstick.sh ARCH OUTDIR
# Writes OUTDIR/vmlinuz and OUTDIR/initramfs.cpio.gz; prints the kernel version.
set -euo pipefail
arch=$1 out=$2
case $arch in
    x64) flavour=cloud-amd64 ;;
    arm64) flavour=cloud-arm64 ;;
    *) echo "linux-yardstick: ARCH must be x64 or arm64" >&2; exit 2 ;;
esac
kver=$(ls /lib/modules 2>/dev/null | grep -- "-$flavour\$" | sort -V | tail -n 1 || true)
if [[ -z $kver || ! -e /boot/vmlinuz-$kver ]]; then
    echo "linux-yardstick: no linux-image-$flavour installed (apt-get install linux-image-$flavour)" >&2
    exit 1
fi
bb=$(command -v busybox || true)
if [[ -z $bb ]] || ! file -L "$bb" 2>/dev/null | grep -q "statically linked"; then
    bb=/bin/busybox
fi
[[ -x $bb ]] || { echo "linux-yardstick: no busybox (apt-get install busybox-static)" >&2; exit 1; }

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,www,lib/modules}
cp "$bb" "$root/bin/busybox"
for tool in sh mount insmod ip httpd sleep cat echo; do ln -s busybox "$root/bin/$tool"; done
# virtio_pci and virtio_net with what they need, in load order (modules.dep
# lists a module's dependencies last-loaded first).
order=""
add() {
    local m=$1 deps d
    [[ " $order " == *" $(basename "$m") "* ]] && return
    deps=$(sed -n "s|^$m: *||p" "/lib/modules/$kver/modules.dep")
    for d in $(echo "$deps" | tr ' ' '\n' | tac); do add "$d"; done
    cp "/lib/modules/$kver/$m" "$root/lib/modules/"
    order="$order $(basename "$m")"
}
for m in kernel/drivers/virtio/virtio_pci.ko kernel/drivers/net/virtio_net.ko; do
    [[ -e /lib/modules/$kver/$m ]] && add "$m"
done
# The page a GET returns: small, like a KV value.
printf 'molt yardstick\n' > "$root/www/index.html"
cat > "$root/init" <<EOF
#!/bin/sh
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in$order; do insmod /lib/modules/\$m; done
ip link set lo up
ip link set eth0 up
ip addr add 10.0.2.15/24 dev eth0
ip route add default via 10.0.2.2
httpd -p 8080 -h /www
echo "yardstick: serving on port 8080"
while true; do sleep 3600; done
EOF
chmod +x "$root/init"
mkdir -p "$out"
(cd "$root" && find . | sort | cpio -o -H newc --quiet --reproducible) | gzip -9n > "$out/initramfs.cpio.gz"
cp "/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$kver"
