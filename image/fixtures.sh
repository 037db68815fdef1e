#!/bin/bash
# Writes an assembly file that embeds patch objects into the kernel, for the
# in-kernel linker tests (update/Linker/PatchFixtures.cs reads the table):
#   molt_patch_fixture_table() returns the address of rows of { u64 name, u64 start, u64 end }, then a zero row.
# Usage: fixtures.sh <x64|arm64> <out.S> [object.o ...]
set -euo pipefail
arch=$1; out=$2; shift 2
{
    echo '    .section .rodata.molt_fixtures, "a"'
    i=0
    for o in "$@"; do
        name=$(basename "$o" .o)
        echo "    .balign 16"
        echo "molt_fixture_${i}_start:"
        echo "    .incbin \"$(realpath "$o")\""
        echo "molt_fixture_${i}_end:"
        echo "molt_fixture_${i}_name: .asciz \"$name\""
        i=$((i + 1))
    done
    echo '    .balign 8'
    echo '    .global molt_patch_fixtures'
    echo 'molt_patch_fixtures:'
    for ((j = 0; j < i; j++)); do
        echo "    .quad molt_fixture_${j}_name, molt_fixture_${j}_start, molt_fixture_${j}_end"
    done
    echo '    .quad 0, 0, 0'
    # The accessor the kernel calls (a DllImport("*") function): returns the table's address.
    echo '    .text'
    echo '    .global molt_patch_fixture_table'
    echo 'molt_patch_fixture_table:'
    if [ "$arch" = x64 ]; then
        echo '    leaq molt_patch_fixtures(%rip), %rax'
        echo '    ret'
    else
        echo '    adrp x0, molt_patch_fixtures'
        echo '    add x0, x0, :lo12:molt_patch_fixtures'
        echo '    ret'
    fi
    echo '    .section .note.GNU-stack, "", %progbits'
} > "$out"
