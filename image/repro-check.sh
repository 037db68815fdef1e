#!/usr/bin/env bash
# Builds every image this machine can make twice, into two folders, some
# seconds apart, and compares them byte for byte. Prints one line per image
# and exits non-zero if any differ.
#
#   image/repro-check.sh ARCH KERNEL.elf WORKDIR "CMDLINE"
#
# Limine images are included when Limine is found (image/lib.sh), with
# LIMINE_FETCH=0 unless set: the check itself never reaches the network.
set -euo pipefail
tool=repro
here="$(dirname "$0")"
source "$here/lib.sh"
arch="${1:?arch}" kernel="${2:?kernel}" work="${3:?work dir}" cmdline="${4:-}"
export LIMINE_FETCH="${LIMINE_FETCH:-0}"

builds=()   # "script mode file"
[[ "$arch" == x64 ]] && builds+=("iso grub molt-grub.iso" "usb grub molt.img")
if find_limine; then builds+=("iso limine molt.iso" "usb limine molt.img")
else echo "repro: Limine images not checked: $limine_why"
fi

rm -rf "$work"
bad=0
for b in "${builds[@]}"; do
    read -r script mode file <<< "$b"
    for n in 1 2; do
        mkdir -p "$work/$mode-$script-$n"
        bash "$here/$script.sh" "$mode" "$arch" "$kernel" "$work/$mode-$script-$n" "$cmdline" > /dev/null
        [[ $n == 1 ]] && sleep 2   # FAT and ISO dates have 1-2 s resolution: make a clock-dependent difference show
    done
    a="$work/$mode-$script-1/$file" b="$work/$mode-$script-2/$file"
    if cmp -s "$a" "$b"; then
        echo "repro: same bytes: $mode $script ($file, $(stat -c %s "$a") bytes, sha256 $(sha256sum "$a" | cut -c1-16))"
    else
        echo "repro: DIFFERENT: $mode $script ($file, $(cmp -l "$a" "$b" | wc -l) bytes differ)"
        bad=1
    fi
done
rm -rf "$work"
exit $bad
