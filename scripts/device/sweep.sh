#!/usr/bin/env bash
# Runs on the lent device machine (see bundle.sh): unpacks .device under /tmp, runs the
# sweep at 1, 4 and 16 workers (or $WORKERS) with a time limit, and leaves the report
# in $OUT: sweep.log, sweep-latest.json and sweep-latest.html (SWEEP_FLAGS=--quick for a
# short check).
set -euo pipefail
: "${OUT:?the device machine sets OUT}"
here=$(pwd)
dir=/tmp/kh-device
rm -rf "$dir" && mkdir -p "$dir"
xz -dc "$here/.device/node.xz" > "$dir/node" && chmod +x "$dir/node"
tar -C "$dir" -xJf "$here/.device/bundle.tar.xz"
cd "$dir"
export LD_LIBRARY_PATH="$dir/devlib"
nproc > "$OUT/cores.txt"
timeout "${LIMIT_S:-420}" ./node scripts/bench.mjs --sweep --workers "${WORKERS:-1,4,16}" ${SWEEP_FLAGS:-} --out "$dir/out" 2>&1 | tee "$OUT/sweep.log"
cp "$dir/out/sweep-latest.json" "$dir/out/sweep-latest.html" "$OUT/"
