#!/usr/bin/env bash
# Builds a bootable ISO around a Molt kernel ELF, with the kernel command
# line baked into the loader's configuration.
#
#   image/iso.sh limine|grub|auto ARCH KERNEL.elf OUTDIR "CMDLINE"
#
#   limine  OUTDIR/molt.iso: Limine protocol, hybrid BIOS+UEFI (x64) or UEFI
#           (arm64). Limine is found as image/lib.sh says (LIMINE_DIR, a system
#           install, a clone of its binary branch). Limine is never part of Molt.
#   grub    OUTDIR/molt-grub.iso: GRUB Multiboot2 via grub-mkrescue, BIOS
#           (grub-pc-bin) and, if grub-efi-amd64-bin is installed, UEFI. x64 only.
#   auto    limine when Limine is found, else grub (x64); one line says which.
#
# LIMINE_NO_MP=1 hides the kernel's MP request from Limine (see hide_mp_request).
#
# The staging trees are OUTDIR/iso-limine and OUTDIR/iso-grub. Both ISOs are
# reproducible: the same kernel, command line and SOURCE_DATE_EPOCH give the
# same bytes (xorriso takes its dates and UUIDs from SOURCE_DATE_EPOCH).
set -euo pipefail
tool=iso
source "$(dirname "$0")/lib.sh"

mode="${1:?usage: image/iso.sh limine|grub|auto ARCH KERNEL OUTDIR CMDLINE}"
arch="${2:?arch}"
kernel="${3:?kernel ELF}"
outdir="${4:?output directory}"
cmdline="${5:-}"
[[ -f "$kernel" ]] || die "no kernel at $kernel (run make first)"

# LIMINE_NO_MP=1 (a test aid): the image's copy of the kernel gets its MP
# request's last id word zeroed, so Limine starts no CPUs and the kernel
# starts them itself through PSCI, from the MADT or device tree's list, as
# on a direct boot. The request is the only place those 16 bytes occur.
hide_mp_request() {
    local elf="$1" id='\x7e\x85\x1b\x9a\x81\x7b\xa6\x95\xe0\x73\x6a\x3b\x72\x1b\xb6\xa0'
    local n
    n=$(perl -0777 -ne "\$n = () = /$id/g; print \$n" "$elf")
    [[ "$n" == 1 ]] || die "LIMINE_NO_MP: found the MP request id $n times in $elf, expected once"
    perl -0777 -pi -e "s/$id/\x7e\x85\x1b\x9a\x81\x7b\xa6\x95\x00\x00\x00\x00\x00\x00\x00\x00/" "$elf"
    echo "iso: LIMINE_NO_MP=1: Limine's MP request hidden; the kernel starts the other CPUs itself"
}

limine_iso() {
    local root="$outdir/iso-limine" iso="$outdir/molt.iso" files f
    check_limine "$arch"
    case "$arch" in
        x64) files="limine-bios.sys limine-bios-cd.bin limine-uefi-cd.bin" ;;
        arm64) files="limine-uefi-cd.bin" ;;
    esac
    rm -rf "$root"
    mkdir -p "$root/boot/limine" "$root/EFI/BOOT"
    cp "$kernel" "$root/boot/molt.elf"
    if [[ "${LIMINE_NO_MP:-0}" == 1 ]]; then hide_mp_request "$root/boot/molt.elf"; fi
    for f in $files; do cp "$limine_dir/$f" "$root/boot/limine/"; done
    cp "$limine_dir/$limine_efi" "$root/EFI/BOOT/"
    write_limine_conf "$root/boot/limine/limine.conf" "$cmdline"
    stamp_tree "$root"

    local bios=()
    [[ "$arch" == x64 ]] && bios=(-b boot/limine/limine-bios-cd.bin -no-emul-boot -boot-load-size 4 -boot-info-table)
    rm -f "$iso"
    xorriso -as mkisofs -R -r -J "${bios[@]}" -hfsplus -apm-block-size 2048 \
        --efi-boot boot/limine/limine-uefi-cd.bin -efi-boot-part --efi-boot-image \
        --protective-msdos-label -V MOLT "$root" -o "$iso" > "$outdir/iso-limine.log" 2>&1 \
        || { cat "$outdir/iso-limine.log"; die "xorriso failed"; }
    if [[ "$arch" == x64 ]]; then
        "$limine_tool" bios-install "$iso" >> "$outdir/iso-limine.log" 2>&1 \
            || { cat "$outdir/iso-limine.log"; die "limine bios-install failed"; }
    fi
    echo "iso: $limine_version from $limine_from -> $iso (cmdline \"$cmdline\")"
}

grub_iso() {
    [[ "$arch" == x64 ]] || die "the GRUB Multiboot2 image is x64 only; use Limine (LIMINE_DIR) for $arch"
    command -v grub-mkrescue >/dev/null 2>&1 || die "grub-mkrescue missing (make deps)"
    local root="$outdir/iso-grub" iso="$outdir/molt-grub.iso" targets="BIOS"
    [[ -d /usr/lib/grub/x86_64-efi ]] && targets="BIOS+UEFI"
    rm -rf "$root"
    mkdir -p "$root/boot/grub"
    cp "$kernel" "$root/boot/molt.elf"
    write_grub_cfg "$root/boot/grub/grub.cfg" "$cmdline"
    stamp_tree "$root"
    rm -f "$iso"
    # grub-mkrescue stamps its own files with the current time and gives its
    # FAT image a random serial: the wrappers in image/repro pin both.
    local repro
    repro="$(cd "$(dirname "$0")" && pwd)/repro"
    PATH="$repro:$PATH" grub-mkrescue --xorriso="$repro/xorriso" --locales= --fonts= --themes= \
        -o "$iso" "$root" > "$outdir/iso-grub.log" 2>&1 \
        || { cat "$outdir/iso-grub.log"; die "grub-mkrescue failed"; }
    echo "iso: GRUB $(grub-mkrescue --version | awk '{print $NF}') Multiboot2 ($targets) -> $iso (cmdline \"$cmdline\")${fallback:-}"
}

mkdir -p "$outdir"
run_mode "$mode" "$arch" limine_iso grub_iso
