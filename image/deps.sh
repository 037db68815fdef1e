#!/usr/bin/env bash
# Installs the Debian packages Molt's build and tests need, only those
# missing, with one line saying what it does. Usage: image/deps.sh [x64|arm64|all]
set -euo pipefail
arch="${1:-all}"

need=()
want() { # want <command-or-file> <package>
    if [[ "$1" == /* ]]; then [[ -e "$1" ]] || need+=("$2")
    else command -v "$1" >/dev/null 2>&1 || need+=("$2"); fi
}
want clang clang
want ld.lld lld
want xorriso xorriso
want mformat mtools
want /usr/sbin/sfdisk fdisk          # the GPT of the USB image (image/usb.sh)
want qemu-img qemu-utils
want cpio cpio                       # boot modules of patch bundles (make bench, docs/patching.md)
want qemu-system-x86_64 qemu-system-x86
want qemu-system-aarch64 qemu-system-arm
want grub-mkrescue grub-common
want /usr/lib/grub/i386-pc/modinfo.sh grub-pc-bin
want /usr/lib/grub/x86_64-efi/modinfo.sh grub-efi-amd64-bin   # UEFI half of the GRUB ISO
want /usr/share/OVMF/OVMF_CODE_4M.fd ovmf
want /usr/share/AAVMF/AAVMF_CODE.fd qemu-efi-aarch64
want dotnet dotnet-sdk-10.0
want ab apache2-utils                # ab -n 5000 -c 50 in the system tests (AbSystemTests)

# The browser tests (tests/Molt.Tests/Browser: the daemon's status page):
# Debian's chromium, driven by Playwright; nothing is downloaded besides it.
want /usr/bin/chromium chromium

# make bench-net only (image/deps.sh bench-net-ARCH): the load generator and
# the Linux yardstick's kernel and busybox (image/linux-yardstick.sh).
case $arch in
    bench-net-x64|bench-net-arm64)
        want wrk wrk
        want /bin/busybox busybox-static
        # The arm64 kernel package does not install on an amd64 host (no multiarch here):
        # on arm64 the bench measures Molt alone and says so.
        if [[ $arch == bench-net-x64 ]]; then
            ls /boot/vmlinuz-*-cloud-amd64 >/dev/null 2>&1 || need+=("linux-image-cloud-amd64")
        fi
        ;;
esac

if ((${#need[@]})); then
    mapfile -t need < <(printf '%s\n' "${need[@]}" | sort -u)
    echo "installing missing packages: ${need[*]}"
    sudo_cmd=""
    [[ $(id -u) -ne 0 ]] && sudo_cmd="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo_cmd apt-get update -qq >/dev/null
    $sudo_cmd apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
