#!/usr/bin/env bash
# The update-under-load rows of make bench-net (issue 12): the release
# kernel boots with its KV service and its update daemon forwarded to free
# ports on 127.0.0.1; molt-loadbench (ci/Molt.LoadBench) runs a checked
# GET/PUT/DELETE load on 3 connections, first SECONDS with no update, then
# SECONDS of rounds "push the four examples stacked, roll back to 0", and
# reports the KV figures outside and during updates, their ratio, the
# longest client pause against the kernel's longest blocked call,
# push-to-commit time per example and the upload rate of a 1 MiB POST.
#   image/bench-update.sh ARCH BUILD_DIR QEMU_TOOL LOADBENCH_DLL CPUS SECONDS
# Appends its JSON lines to BUILD_DIR/bench-net.json.
set -euo pipefail
arch=$1 build=$2 qemu_tool=$3 loadbench=$4 cpus=${5:-1} seconds=${6:-10}
json=$build/bench-net.json
bundles=$build/bench-update
mkdir -p "$bundles"

# The examples, built and signed for the release kernel this run boots.
for p in kv-fix-case kv-versions kv-adapter kv-audit; do
    build/host/molt patch build "examples/patches/$p" --arch "$arch" --kernel release -o "$bundles/$p.bundle" > "$bundles/$p.log" 2>&1 \
        || { cat "$bundles/$p.log"; exit 1; }
done

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
kv_port=$(free_port) daemon_port=$(free_port)
setsid dotnet "$qemu_tool" run --arch "$arch" --kernel "$build/molt.elf" --cmdline "" --cpus "$cpus" \
    --forward "$kv_port:8080" --forward "$daemon_port:7777" > "$build/bench-update-molt.log" 2>&1 < /dev/null &
pid=$!
stop() { kill -- -"$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT

for _ in $(seq 1 120); do
    curl -s -o /dev/null -m 2 "http://127.0.0.1:$daemon_port/status" && curl -s -o /dev/null -m 2 "http://127.0.0.1:$kv_port/" && break
    sleep 0.5
done

echo "bench-update: $arch, $cpus CPU(s), load on 3 connections, $seconds s without updates then $seconds s of update rounds"
dotnet "$loadbench" --kv "127.0.0.1:$kv_port" --daemon "127.0.0.1:$daemon_port" --bundles "$bundles" \
    --key "${KEY_DIR:-build/keys}/molt-signing.key" --arch "$arch" --cpus "$cpus" --seconds "$seconds" --json "$json" \
    || { echo "bench-update: failed (kernel log: $build/bench-update-molt.log)"; exit 1; }
