# Shared by image/iso.sh and image/usb.sh (sourced, not run): finding
# Limine, the loader configurations, and the settings that make images
# reproducible. Set `tool` (the message prefix) before sourcing.

die() { echo "${tool:-image}: error: $*" >&2; exit 1; }

# ---- reproducibility ----
# Every date written into an image is SOURCE_DATE_EPOCH: taken from the
# environment, else the commit time of HEAD, else a fixed date. xorriso and
# mtools read it themselves; staged files are also touched to it, and
# identifiers (GPT GUIDs, FAT serials) are constants.
if [[ -z "${SOURCE_DATE_EPOCH:-}" ]]; then
    SOURCE_DATE_EPOCH="$(git -C "$(dirname "${BASH_SOURCE[0]}")" log -1 --format=%ct 2>/dev/null || true)"
    [[ -n "$SOURCE_DATE_EPOCH" ]] || SOURCE_DATE_EPOCH=1735689600   # 2025-01-01 00:00:00 UTC
fi
export SOURCE_DATE_EPOCH
export MTOOLS_SKIP_CHECK=1 TZ=UTC LC_ALL=C

# Sets every file and folder under $1 to SOURCE_DATE_EPOCH.
stamp_tree() { find "$1" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +; }

# ---- Limine ----
# find_limine sets limine_dir (the prebuilt files), limine_tool (the host
# tool that installs the BIOS stages; may stay empty) and limine_from (one
# phrase saying where they came from). It tries, in order:
#   1. LIMINE_DIR;
#   2. a system-wide install (`limine --print-datadir`);
#   3. LIMINE_CLONE (default build/limine in the repository): a previous clone, else a
#      clone of the release these scripts were verified with (docs/booting.md):
#      the tag LIMINE_REF, which must resolve to LIMINE_COMMIT; without the tag,
#      the binary branch is cloned and LIMINE_COMMIT checked out. A clone at
#      another commit is refused. Bounded by a short time-out so an offline
#      machine (CI) falls back at once. LIMINE_FETCH=0 skips it.
# Returns 1 with limine_why set when none is to be had.
LIMINE_REPO="${LIMINE_REPO:-https://github.com/limine-bootloader/limine}"
LIMINE_BRANCH="${LIMINE_BRANCH:-v8.x-binary}"
# Limine 8.2.0's prebuilt files: v8.x-binary commit 1dbdf77 (22 Oct 2024).
LIMINE_REF="${LIMINE_REF:-v8.2.0-binary}"
LIMINE_COMMIT="${LIMINE_COMMIT:-1dbdf77}"

find_limine() {
    limine_dir="" limine_tool="" limine_from="" limine_why=""
    if [[ -n "${LIMINE_DIR:-}" ]]; then
        [[ -d "$LIMINE_DIR" ]] || die "LIMINE_DIR=$LIMINE_DIR is not a directory"
        limine_dir="$LIMINE_DIR" limine_from="LIMINE_DIR=$LIMINE_DIR"
        if [[ -x "$LIMINE_DIR/limine" ]]; then limine_tool="$LIMINE_DIR/limine"
        elif command -v limine >/dev/null 2>&1; then limine_tool="$(command -v limine)"
        fi
        return 0
    fi
    if command -v limine >/dev/null 2>&1; then
        local d
        d="$(limine --print-datadir 2>/dev/null || true)"
        if [[ -n "$d" && -f "$d/limine-uefi-cd.bin" ]]; then
            limine_dir="$d" limine_tool="$(command -v limine)" limine_from="system install ($d)"
            return 0
        fi
    fi
    local clone="${LIMINE_CLONE:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/build/limine}"
    if [[ ! -f "$clone/limine-uefi-cd.bin" ]]; then
        if [[ "${LIMINE_FETCH:-1}" == 0 ]]; then
            limine_why="LIMINE_DIR unset, no system install, LIMINE_FETCH=0"
            return 1
        fi
        rm -rf "$clone"
        local t="${LIMINE_FETCH_TIMEOUT:-30}"
        if ! GIT_TERMINAL_PROMPT=0 timeout "$t" git clone -q --depth=1 --branch="$LIMINE_REF" "$LIMINE_REPO" "$clone" >/dev/null 2>&1; then
            rm -rf "$clone"
            if ! GIT_TERMINAL_PROMPT=0 timeout "$((t * 4))" git clone -q --branch="$LIMINE_BRANCH" "$LIMINE_REPO" "$clone" >/dev/null 2>&1 \
                    || ! git -C "$clone" checkout -q "$LIMINE_COMMIT" >/dev/null 2>&1; then
                rm -rf "$clone"
                limine_why="LIMINE_DIR unset, no system install, cloning Limine $LIMINE_REF ($LIMINE_COMMIT) failed (offline?)"
                return 1
            fi
        fi
        local head
        head="$(git -C "$clone" rev-parse HEAD 2>/dev/null || true)"
        if [[ "$head" != "$LIMINE_COMMIT"* ]]; then
            rm -rf "$clone"
            limine_why="the Limine clone is at ${head:-an unknown commit}, not the verified $LIMINE_COMMIT ($LIMINE_REF)"
            return 1
        fi
        limine_from="fresh clone of Limine $LIMINE_REF ($LIMINE_COMMIT) in $clone"
    else
        limine_from="clone of Limine in $clone"
    fi
    limine_dir="$clone"
    if [[ ! -x "$clone/limine" ]]; then
        make -C "$clone" CC="${CC:-cc}" >/dev/null 2>&1 || true
    fi
    [[ -x "$clone/limine" ]] && limine_tool="$clone/limine"
    return 0
}

# Checks that limine_dir holds what $1 (x64|arm64) needs; sets limine_efi and
# limine_version.
check_limine() {
    local arch="$1" f files
    case "$arch" in
        x64) limine_efi=BOOTX64.EFI; files="limine-bios.sys limine-bios-cd.bin limine-uefi-cd.bin" ;;
        arm64) limine_efi=BOOTAA64.EFI; files="limine-uefi-cd.bin" ;;
        *) die "unknown ARCH $arch" ;;
    esac
    for f in $files $limine_efi; do
        [[ -f "$limine_dir/$f" ]] || die "$limine_dir has no $f (want Limine's prebuilt binaries, e.g. its $LIMINE_BRANCH branch)"
    done
    if [[ "$arch" == x64 && -z "$limine_tool" ]]; then
        die "no limine host tool in $limine_dir or on PATH; build it with Limine's own Makefile: make -C $limine_dir"
    fi
    limine_version="Limine (version unknown)"
    [[ -n "$limine_tool" ]] && limine_version="$("$limine_tool" --version 2>/dev/null | head -1)"
    return 0
}

limine_missing_help() {
    cat >&2 <<EOF
$tool: Limine is required for $1 images and was not found ($limine_why).
  Get its prebuilt files (BSD-2-Clause; never part of Molt) and point LIMINE_DIR at them:
    git clone --depth=1 --branch=$LIMINE_REF $LIMINE_REPO /opt/limine    # Limine 8.2.0, $LIMINE_BRANCH commit $LIMINE_COMMIT
    make -C /opt/limine          # the host tool, for bios-install (x64 only)
    make $tool ARCH=$1 LIMINE_DIR=/opt/limine
  or install Limine system-wide (limine --print-datadir must answer).
EOF
}

# ---- loader configurations, with the kernel command line ----
# limine.conf: boot at once, Limine's messages on the serial port too.
write_limine_conf() { # write_limine_conf FILE CMDLINE
    {
        echo "# Generated by image/$tool.sh: boot Molt at once, menu and messages on serial too."
        echo "timeout: 0"
        echo "serial: yes"
        echo
        echo "/Molt"
        echo "    protocol: limine"
        echo "    kernel_path: boot():/boot/molt.elf"
        [[ -n "$2" ]] && echo "    cmdline: $2"
        true
    } > "$1"
}

# GRUB reads its script language: quote each word so the command line
# reaches the kernel as typed, whatever characters it holds.
grub_words() {
    local w out="" words=()
    read -r -a words <<< "$1"
    for w in ${words[@]+"${words[@]}"}; do out+=" '${w//\'/\'\\\'\'}'"; done
    printf '%s' "$out"
}

# grub.cfg: GRUB on serial and screen, no menu wait. The kernel's
# Multiboot2 header asks for a 32-bit linear framebuffer; all_video lets
# GRUB set one under BIOS (VBE) and UEFI (GOP), and gfxpayload says which.
write_grub_cfg() { # write_grub_cfg FILE CMDLINE
    cat > "$1" <<EOF
# Generated by image/$tool.sh: no menu wait, GRUB on serial and screen.
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
set timeout=0
set default=0
insmod all_video
set gfxpayload=1024x768x32,1024x768,auto

menuentry "Molt" {
    multiboot2 /boot/molt.elf$(grub_words "$2")
    boot
}
EOF
}

# run_mode MODE ARCH LIMINE_FN GRUB_FN: the limine|grub|auto choice shared by
# iso.sh and usb.sh. auto takes Limine when found, else GRUB on x64 (saying
# why through $fallback), else explains how to get Limine.
run_mode() {
    local mode="$1" arch="$2" limine_fn="$3" grub_fn="$4"
    case "$mode" in
        limine) find_limine || { limine_missing_help "$arch"; exit 1; }
                "$limine_fn" ;;
        grub) "$grub_fn" ;;
        auto)
            if find_limine; then "$limine_fn"
            elif [[ "$arch" == x64 ]]; then fallback="; no Limine ($limine_why), so GRUB"; "$grub_fn"
            else limine_missing_help "$arch"; exit 1
            fi ;;
        *) die "unknown mode $mode (limine, grub or auto)" ;;
    esac
}
