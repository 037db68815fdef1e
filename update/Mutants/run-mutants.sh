#!/usr/bin/env bash
# make mutants: plants each mutation of mutants.txt in the update core, one at
# a time, builds, runs the in-kernel update tests ("test test.filter=update.")
# on each listed architecture and CPU count until one fails, reverts, and
# prints which test killed each mutant and the kill rate.
# The tree is always restored (trap on exit, interrupt and termination).
#   update/Mutants/run-mutants.sh [--only id,id,...] [--timeout seconds]
# Results: build/mutants/summary.txt, and one console log per run in build/mutants/.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
LIST=update/Mutants/mutants.txt
TOOL=update/Mutants/mutate.py
ONLY=""
TIMEOUT=150
while [ $# -gt 0 ]; do
    case "$1" in
        --only) ONLY=",$2,"; shift 2 ;;
        --timeout) TIMEOUT="$2"; shift 2 ;;
        *) echo "usage: $0 [--only id,id] [--timeout seconds]" >&2; exit 2 ;;
    esac
done

OUT=build/mutants
mkdir -p "$OUT"
BACKUP=$(mktemp -d)
restore() { python3 "$TOOL" restore "$BACKUP"; }
cleanup() { restore; rm -rf "$BACKUP"; }
trap cleanup EXIT
trap 'echo "interrupted: tree restored"; exit 130' INT TERM

python3 "$TOOL" list "$LIST" > "$OUT/list.txt" || exit 2
: > "$OUT/summary.txt"
killed=0; survived=0; equivalent=0; equivalent_killed=0; broken=0; total=0
built_arches=""

while IFS='|' read -r id arches smps reason desc; do
    [ -n "$ONLY" ] && [[ "$ONLY" != *",$id,"* ]] && continue
    total=$((total + 1))
    result=""
    if ! python3 "$TOOL" apply "$LIST" "$id" "$BACKUP" 2> "$OUT/$id.apply.log"; then
        result="NOT APPLIED: $(cat "$OUT/$id.apply.log")"
    else
        for arch in $arches; do
            [[ " $built_arches " != *" $arch "* ]] && built_arches="$built_arches $arch"
            if ! make --no-print-directory ARCH="$arch" > "$OUT/$id.$arch.build.log" 2>&1; then
                result="BUILD FAILED on $arch (see $OUT/$id.$arch.build.log)"
                break
            fi
            for smp in $smps; do
                log="$OUT/$id.$arch.smp$smp.log"
                timeout "$TIMEOUT" make --no-print-directory ARCH="$arch" run SMP="$smp" CMDLINE="test test.filter=update." < /dev/null 2>&1 | tr -d '\r' > "$log"
                failed=$(grep -a '^FAIL ' "$log" | sed 's/^FAIL \([^:]*\):.*/\1/' | sort -u | tr '\n' ' ')
                if [ -n "$failed" ]; then result="killed by $failed($arch, $smp CPUs)"; break 2; fi
                if grep -aq '^PANIC' "$log"; then result="killed: kernel panic in the test after $(grep -a '^PASS ' "$log" | tail -1 | cut -c6-) ($arch, $smp CPUs)"; break 2; fi
                if ! grep -aq ' passed, 0 failed' "$log"; then result="killed: hang (no verdict within ${TIMEOUT}s) in the test after $(grep -a '^PASS ' "$log" | tail -1 | cut -c6-) ($arch, $smp CPUs)"; break 2; fi
            done
        done
    fi
    restore
    if [ -z "$result" ]; then
        if [ -n "$reason" ]; then equivalent=$((equivalent + 1)); result="survived, equivalent: $reason"
        else survived=$((survived + 1)); result="SURVIVED on $arches at $smps CPUs"; fi
    elif [[ "$result" == killed* ]]; then
        if [ -n "$reason" ]; then equivalent_killed=$((equivalent_killed + 1)); result="$result (listed as equivalent: the reason is wrong)"
        else killed=$((killed + 1)); fi
    else
        broken=$((broken + 1))
    fi
    line=$(printf '%-32s %s' "$id" "$result")
    echo "$line"
    echo "$line" >> "$OUT/summary.txt"
done < "$OUT/list.txt"

restore
# Leave the clean kernels built.
for arch in $built_arches; do make --no-print-directory ARCH="$arch" > /dev/null 2>&1 || echo "warning: the clean tree did not build for $arch"; done
# A mutant listed as equivalent but killed was behaviour-changing after all: it counts as killed.
behavioural=$((total - equivalent - broken))
killed=$((killed + equivalent_killed))
rate="n/a"; [ "$behavioural" -gt 0 ] && rate="$((100 * killed / behavioural))%"
summary="mutants: $total, killed $killed of $behavioural behaviour-changing ($rate), survived $survived, equivalent $equivalent (killed anyway: $equivalent_killed), not run $broken"
echo "$summary"
echo "$summary" >> "$OUT/summary.txt"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]
