#!/usr/bin/env bash
# Builds OUTDIR/molt.img, a raw disk image to write to a USB stick with dd,
# around a Molt kernel ELF, with the kernel command line baked in.
#
#   image/usb.sh limine|grub|auto ARCH KERNEL.elf OUTDIR "CMDLINE"
#
#   limine  A GPT disk with one EFI system partition (FAT32, 1 MiB to the end):
#             EFI/BOOT/BOOTX64.EFI (BOOTAA64.EFI on arm64), boot/molt.elf,
#             boot/limine/limine.conf and, on x64, boot/limine/limine-bios.sys.
#           It boots on UEFI; on x64 `limine bios-install` also embeds Limine's
#           BIOS stages (MBR code, stage 2 in the GPT's spare entry sectors),
#           so it boots through BIOS too.
#   grub    x64 only: GRUB's hybrid ISO (image/iso.sh grub), which is also a
#           disk image (MBR + a FAT EFI partition), copied to molt.img. It
#           boots through BIOS and UEFI from a stick as from a CD.
#   auto    limine when Limine is found (see image/lib.sh), else grub on x64;
#           arm64 needs Limine and says how to get it. One line says which.
#
# Built without root: sfdisk writes the GPT into the file, mformat/mcopy
# (mtools) the FAT file system at the partition's offset. Reproducible: fixed
# GPT GUIDs, FAT serial and label, file dates from SOURCE_DATE_EPOCH.
set -euo pipefail
tool=usb
source "$(dirname "$0")/lib.sh"
PATH="$PATH:/usr/sbin:/sbin"   # sfdisk, for users whose PATH lacks sbin

mode="${1:?usage: image/usb.sh limine|grub|auto ARCH KERNEL OUTDIR CMDLINE}"
arch="${2:?arch}"
kernel="${3:?kernel ELF}"
outdir="${4:?output directory}"
cmdline="${5:-}"
[[ -f "$kernel" ]] || die "no kernel at $kernel (run make first)"

# The image: 64 MiB (FAT32 needs at least 32 MiB plus the GPT), written
# sparse; the partition starts at 1 MiB, where Limine expects free space
# after the GPT entries for its BIOS stage 2.
DISK_MIB=64
PART_START=2048
DISK_GUID=4D4F4C54-0000-4000-8000-000000000001   # "MOLT"
PART_GUID=4D4F4C54-0000-4000-8000-000000000002
ESP_TYPE=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
FAT_SERIAL=4D4F4C54

limine_usb() {
    local img="$outdir/molt.img" root="$outdir/usb-limine" tmp="$outdir/molt.img.tmp" sectors
    check_limine "$arch"
    command -v sfdisk >/dev/null 2>&1 || die "sfdisk missing (Debian package fdisk; make deps)"
    command -v mformat >/dev/null 2>&1 || die "mformat missing (Debian package mtools; make deps)"
    rm -rf "$root"
    mkdir -p "$root/EFI/BOOT" "$root/boot/limine"
    cp "$limine_dir/$limine_efi" "$root/EFI/BOOT/"
    cp "$kernel" "$root/boot/molt.elf"
    [[ "$arch" == x64 ]] && cp "$limine_dir/limine-bios.sys" "$root/boot/limine/"
    write_limine_conf "$root/boot/limine/limine.conf" "$cmdline"
    stamp_tree "$root"

    rm -f "$tmp"
    truncate -s "${DISK_MIB}M" "$tmp"
    {
        echo "label: gpt"
        echo "label-id: $DISK_GUID"
        echo "first-lba: 34"
        echo "start=$PART_START, type=$ESP_TYPE, uuid=$PART_GUID, name=\"Molt EFI\""
    } | sfdisk -q --no-reread --no-tell-kernel "$tmp" > "$outdir/usb-limine.log" 2>&1 \
        || { cat "$outdir/usb-limine.log"; die "sfdisk failed"; }
    sectors="$(sfdisk -d "$tmp" 2>/dev/null | sed -n 's/.*start= *[0-9]*, size= *\([0-9]*\),.*/\1/p')"
    [[ -n "$sectors" ]] || die "sfdisk made no partition"
    local part="$tmp@@$((PART_START * 512))"
    {
        mformat -i "$part" -F -N "$FAT_SERIAL" -v MOLT -T "$sectors" -H "$PART_START" :: &&
        mcopy -s -m -i "$part" "$root/EFI" "$root/boot" ::
    } >> "$outdir/usb-limine.log" 2>&1 || { cat "$outdir/usb-limine.log"; die "mtools failed"; }
    if [[ "$arch" == x64 ]]; then
        "$limine_tool" bios-install "$tmp" >> "$outdir/usb-limine.log" 2>&1 \
            || { cat "$outdir/usb-limine.log"; die "limine bios-install failed"; }
    fi
    mv "$tmp" "$img"
    local boots="UEFI"
    [[ "$arch" == x64 ]] && boots="BIOS+UEFI"
    echo "usb: $limine_version from $limine_from, GPT + FAT32 ESP ($boots) -> $img (cmdline \"$cmdline\")"
}

grub_usb() {
    [[ "$arch" == x64 ]] || { limine_why="${limine_why:-GRUB fallback is x64 only}"; limine_missing_help "$arch"; exit 1; }
    fallback= bash "$(dirname "$0")/iso.sh" grub "$arch" "$kernel" "$outdir" "$cmdline" > /dev/null
    cp "$outdir/molt-grub.iso" "$outdir/molt.img"
    echo "usb: GRUB $(grub-mkrescue --version | awk '{print $NF}') Multiboot2 hybrid ISO (BIOS+UEFI) as a disk image -> $outdir/molt.img (cmdline \"$cmdline\")${fallback:-}"
}

mkdir -p "$outdir"
run_mode "$mode" "$arch" limine_usb grub_usb
