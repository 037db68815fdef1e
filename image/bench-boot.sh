#!/usr/bin/env bash
# Boot-time benchmark: how long each boot path takes to reach "Molt ready".
#
#   image/bench-boot.sh ARCH BUILDDIR        (make bench-boot; RUNS=N, default 3)
#
# Builds the images with CMDLINE=exit into BUILDDIR/bench, boots each path
# RUNS times and prints a table of medians:
#   kernel  the kernel's own "boot: Molt ready in N ms", timed from its entry;
#   total   wall time from starting QEMU until it exits (after "Molt ready", `exit`);
#   before  total minus kernel: QEMU start, firmware, boot loader and the exit.
# It also writes BUILDDIR/boot-bench.json with every run. The numbers are for
# this machine under TCG; no test asserts on them.
set -euo pipefail
tool=bench
here="$(dirname "$0")"
source "$here/lib.sh"
arch="${1:?arch}" build="${2:?build dir}" runs="${RUNS:-3}"
kernel="$build/molt.elf" bench="$build/bench" json="$build/boot-bench.json"
[[ -f "$kernel" ]] || die "no kernel at $kernel (run make first)"
mkdir -p "$bench"

if [[ "$arch" == x64 ]]; then
    qemu=(qemu-system-x86_64 -M q35 -cpu max -m 256M -display none -serial stdio -no-reboot
          -device isa-debug-exit,iobase=0xf4,iosize=0x04)
    code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
else
    qemu=(qemu-system-aarch64 -M virt,gic-version=3 -cpu cortex-a72 -m 256M -display none -serial stdio -semihosting)
    code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd
fi
uefi=(-drive "if=pflash,format=raw,unit=0,readonly=on,file=$code" -drive "if=pflash,format=raw,unit=1,file=$bench/vars.fd")
cdrom() { if [[ "$arch" == x64 ]]; then echo -cdrom "$1"; else echo -drive "if=none,id=boot,format=raw,readonly=on,file=$1" -device virtio-blk-pci,drive=boot; fi; }
disk() { if [[ "$arch" == x64 ]]; then echo -drive "format=raw,snapshot=on,file=$1"; else echo -drive "if=none,id=boot,format=raw,snapshot=on,file=$1" -device virtio-blk-pci,drive=boot; fi; }

# name|how: the boot paths this machine can run.
paths=("direct|-kernel $kernel -append exit")
export LIMINE_FETCH="${LIMINE_FETCH:-0}"
if [[ "$arch" == x64 ]]; then
    bash "$here/iso.sh" grub "$arch" "$kernel" "$bench" exit > /dev/null
    paths+=("grub-iso-bios|$(cdrom "$bench/molt-grub.iso")" "grub-iso-uefi|uefi $(cdrom "$bench/molt-grub.iso")"
            "grub-usb-uefi|uefi $(disk "$bench/molt-grub.iso")")
fi
if find_limine; then
    bash "$here/iso.sh" limine "$arch" "$kernel" "$bench" exit > /dev/null
    bash "$here/usb.sh" limine "$arch" "$kernel" "$bench" exit > /dev/null
    [[ "$arch" == x64 ]] && paths+=("limine-iso-bios|$(cdrom "$bench/molt.iso")" "limine-usb-bios|$(disk "$bench/molt.img")")
    paths+=("limine-iso-uefi|uefi $(cdrom "$bench/molt.iso")" "limine-usb-uefi|uefi $(disk "$bench/molt.img")")
    echo "bench: Limine from $limine_from"
else
    echo "bench: no Limine ($limine_why): Limine paths left out"
fi
[[ -f "$code" ]] || { echo "bench: no UEFI firmware ($code): UEFI paths left out"; paths=($(printf '%s\n' "${paths[@]}" | grep -v '|uefi ' || true)); }

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "null"; else if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

printf '%-16s %10s %10s %10s   (%s runs each, medians)\n' path kernel total before "$runs"
entries=()
for p in "${paths[@]}"; do
    name="${p%%|*}" how="${p#*|}" args=()
    read -r -a words <<< "$how"
    for w in "${words[@]}"; do [[ "$w" == uefi ]] && args+=("${uefi[@]}") || args+=("$w"); done
    ks=() ts=()
    for ((i = 0; i < runs; i++)); do
        cp "$vars" "$bench/vars.fd" 2>/dev/null || true
        start=$(date +%s%N)
        out="$(timeout 120 "${qemu[@]}" "${args[@]}" < /dev/null 2>/dev/null || true)"
        end=$(date +%s%N)
        k="$(printf '%s\n' "$out" | sed -n 's/.*boot: Molt ready in \([0-9]*\) ms.*/\1/p' | head -1)"
        [[ -n "$k" ]] || { echo "bench: $name did not reach Molt ready; its last lines:"; printf '%s\n' "$out" | tail -5; continue; }
        ks+=("$k") ts+=("$(( (end - start) / 1000000 ))")
    done
    km="$(printf '%s\n' "${ks[@]}" | grep . | median)" tm="$(printf '%s\n' "${ts[@]}" | grep . | median)"
    if [[ "$km" == null ]]; then printf '%-16s %10s\n' "$name" failed; bm=null
    else bm="$(awk -v t="$tm" -v k="$km" 'BEGIN {print t - k}')"
         printf '%-16s %8s ms %8.2f s %8.2f s\n' "$name" "$km" "$(awk -v t="$tm" 'BEGIN {print t/1000}')" "$(awk -v b="$bm" 'BEGIN {print b/1000}')"
    fi
    entries+=("$(printf '    {"path": "%s", "kernel_ms": [%s], "total_ms": [%s], "median_kernel_ms": %s, "median_total_ms": %s, "median_before_kernel_ms": %s}' \
        "$name" "$(IFS=,; echo "${ks[*]}")" "$(IFS=,; echo "${ts[*]}")" "$km" "$tm" "$bm")")
done
{
    echo "{"
    echo "  \"arch\": \"$arch\", \"runs\": $runs, \"qemu\": \"$("${qemu[0]}" --version | head -1)\","
    echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\", \"host_cpus\": $(nproc),"
    echo "  \"paths\": ["
    (IFS=$'\n'; printf '%s' "${entries[*]}" | sed '$!s/$/,/')
    echo
    echo "  ]"
    echo "}"
} > "$json"
rm -f "$bench/vars.fd"
echo "bench: wrote $json"
