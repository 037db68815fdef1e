#!/usr/bin/env bash
# make bench-net: HTTP GET rate and latency of Molt's key-value service, and
# of a Debian Linux guest serving a small file with busybox httpd (the
# yardstick, image/linux-yardstick.sh), on the same QEMU command line
# (molt-qemu: restricted user networking, a modern virtio-net card, the
# guest's port 8080 forwarded to 127.0.0.1 only). wrk drives each for a
# fixed time at 1 and at 50 connections; every request goes to loopback.
#   image/bench-net.sh ARCH BUILD_DIR QEMU_TOOL CPUS SECONDS [LOADBENCH_DLL]
# With LOADBENCH_DLL, the update-under-load rows too (image/bench-update.sh).
# Prints a table and writes BUILD_DIR/bench-net.json, one JSON object a line.
set -euo pipefail
arch=$1 build=$2 qemu_tool=$3 cpus=${4:-1} seconds=${5:-10} loadbench=${6:-}
json=$build/bench-net.json
: > "$json"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# start NAME KERNEL INITRD CMDLINE: boots in the background; sets PID and PORT.
start() {
    PORT=$(free_port)
    setsid dotnet "$qemu_tool" run --arch "$arch" --kernel "$2" ${3:+--initrd "$3"} --cmdline "$4" \
        --cpus "$cpus" --forward "$PORT:8080" > "$build/bench-net-$1.log" 2>&1 < /dev/null &
    PID=$!
}
stop() { kill -- -"$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; }

# ready URL: up to 60 s for the first answer.
ready() {
    for _ in $(seq 1 120); do
        curl -s -o /dev/null -m 2 "$1" && return 0
        sleep 0.5
    done
    return 1
}

# measure NAME URL CONNS: one wrk run; appends a JSON line and prints a row.
measure() {
    local name=$1 url=$2 conns=$3 threads=1 out rate p50 p99
    ((conns > 1)) && threads=2
    out=$(wrk -t"$threads" -c"$conns" -d"${seconds}s" --latency "$url" 2>&1) || { echo "$out"; return 1; }
    rate=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
    p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
    p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
    errors=$(awk '/Non-2xx|Socket errors/ {print}' <<<"$out" | tr '\n' ' ')
    printf '%-8s %4d conns  %10s req/s  p50 %-9s p99 %-9s %s\n' "$name" "$conns" "$rate" "$p50" "$p99" "$errors"
    printf '{"bench":"net.%s.get","arch":"%s","cpus":%d,"connections":%d,"seconds":%d,"requests_per_second":%s,"p50":"%s","p99":"%s","errors":"%s"}\n' \
        "$name" "$arch" "$cpus" "$conns" "$seconds" "${rate:-0}" "$p50" "$p99" "$errors" >> "$json"
    eval "rate_${name}_${conns}=\${rate:-0}; p99_${name}_${conns}=\$p99"
}

to_ms() { # wrk latency like 1.23ms, 456.00us, 1.02s -> milliseconds
    awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; print n }'
}

echo "bench-net: $arch, $cpus CPU(s), wrk for $seconds s per row, GET of a small value"

# ---- Molt: the release kernel's KV service ----
start molt "$build/molt.elf" "" ""
trap stop EXIT
if ! ready "http://127.0.0.1:$PORT/"; then echo "bench-net: Molt did not answer (log: $build/bench-net-molt.log)"; exit 1; fi
curl -s -o /dev/null -X PUT --data-binary 'molt yardstick' "http://127.0.0.1:$PORT/kv/bench"
measure molt "http://127.0.0.1:$PORT/kv/bench" 1
measure molt "http://127.0.0.1:$PORT/kv/bench" 50
# Throughput: 16 MiB each way as 16 PUTs and 16 GETs of 1 MiB values (the
# service's largest) on one keep-alive connection each way.
head -c $((1 << 20)) /dev/urandom > "$build/bench-net-1mib.bin"
up_args=() down_args=()
for i in $(seq 1 16); do
    up_args+=(-X PUT --data-binary "@$build/bench-net-1mib.bin" -o /dev/null "http://127.0.0.1:$PORT/kv/big$i")
    [[ $i -lt 16 ]] && up_args+=(--next)
done
t0=$(date +%s.%N); curl -s "${up_args[@]}"; t1=$(date +%s.%N)
for i in $(seq 1 16); do
    down_args+=(-o /dev/null "http://127.0.0.1:$PORT/kv/big$i")
done
curl -s "${down_args[@]}"; t2=$(date +%s.%N)
up=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", 16 / (b - a) }')
down=$(awk -v a="$t1" -v b="$t2" 'BEGIN { printf "%.2f", 16 / (b - a) }')
printf 'molt     16 MiB    upload %s MiB/s, download %s MiB/s\n' "$up" "$down"
printf '{"bench":"net.molt.throughput","arch":"%s","cpus":%d,"bytes":16777216,"upload_mib_per_s":%s,"download_mib_per_s":%s}\n' "$arch" "$cpus" "$up" "$down" >> "$json"
rm -f "$build/bench-net-1mib.bin"
stop
trap - EXIT

# ---- Molt under updates: the KV load while the examples are pushed and rolled back ----
if [[ -n $loadbench ]]; then
    bash image/bench-update.sh "$arch" "$build" "$qemu_tool" "$loadbench" "$cpus" "$seconds" || echo "bench-net: the update rows failed"
fi

# ---- the yardstick: Debian Linux and busybox httpd ----
ys=$build/yardstick
if ! kver=$(bash image/linux-yardstick.sh "$arch" "$ys" 2>"$build/bench-net-yardstick.err"); then
    echo "bench-net: no yardstick: $(cat "$build/bench-net-yardstick.err")"
    exit 0
fi
cmdline="console=ttyS0 quiet"
[[ $arch == arm64 ]] && cmdline="console=ttyAMA0 quiet"
start linux "$ys/vmlinuz" "$ys/initramfs.cpio.gz" "$cmdline"
trap stop EXIT
if ! ready "http://127.0.0.1:$PORT/index.html"; then echo "bench-net: the Linux yardstick did not answer (log: $build/bench-net-linux.log)"; exit 1; fi
measure linux "http://127.0.0.1:$PORT/index.html" 1
measure linux "http://127.0.0.1:$PORT/index.html" 50
stop
trap - EXIT

# ---- ratios: Molt / Linux (same run, same host) ----
for c in 1 50; do
    eval "mr=\$rate_molt_$c lr=\$rate_linux_$c mp=\$p99_molt_$c lp=\$p99_linux_$c"
    rr=$(awk -v a="$mr" -v b="$lr" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    pr=$(awk -v a="$(to_ms "$mp")" -v b="$(to_ms "$lp")" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    printf 'ratio    %4d conns  GET rate Molt/Linux %sx, p99 Molt/Linux %sx (Linux %s)\n' "$c" "$rr" "$pr" "$kver"
    printf '{"bench":"net.ratio","arch":"%s","cpus":%d,"connections":%d,"get_rate_molt_over_linux":%s,"p99_molt_over_linux":%s,"linux":"%s"}\n' \
        "$arch" "$cpus" "$c" "$rr" "$pr" "$kver" >> "$json"
done
echo "bench-net: $(wc -l < "$json") results in $json"
