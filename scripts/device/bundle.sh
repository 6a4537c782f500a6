#!/usr/bin/env bash
# Packs what the 16-core sweep needs on a lent device machine that has Python but no
# Node and no network (see environment.md): .device/node.xz (this Node, with the C++
# runtime it links against) and .device/bundle.tar.xz (the built library, the bench
# scripts and plotly.js-dist-min, the one package the sweep loads). .device/ is
# git-ignored; carry it with the run, whose command is `bash scripts/device/sweep.sh`.
set -euo pipefail
cd "$(dirname "$0")/../.."
npm run build --silent
rm -rf .device && mkdir -p .device
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/devlib" "$stage/node_modules" "$stage/kernel-helpers"
# the Node binary's own C++ runtime, in case the device's is older
for lib in libstdc++.so.6 libgcc_s.so.1; do
  cp -L "$(ldd "$(command -v node)" | awk -v l="$lib" '$1 == l { print $3 }')" "$stage/devlib/"
done
cp package.json "$stage/"
cp kernel-helpers/package.json "$stage/kernel-helpers/"
(cd kernel-helpers && find dist -type f ! -name '*.map' ! -name '*.d.ts' -print0 | xargs -0 tar -cf - | tar -xf - -C "$stage/kernel-helpers")
mkdir -p "$stage/scripts"
cp -r scripts/bench.mjs scripts/bench scripts/bench_python.py scripts/lib "$stage/scripts/"
cp -r node_modules/plotly.js-dist-min "$stage/node_modules/"
ln -s ../kernel-helpers "$stage/node_modules/kernel-helpers"
tar -C "$stage" -cJf .device/bundle.tar.xz .
xz -9 -c "$(command -v node)" > .device/node.xz
ls -l .device
