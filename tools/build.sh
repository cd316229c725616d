#!/usr/bin/env bash
# Builds the native library, tests and benchmarks (build/native) and the WebAssembly module
# (build/wasm → js/dist/wax.mjs + wax.wasm).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

cmake -S . -B build/native -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/native -j"$jobs"

# Debian's emcc runs acorn from Node for -O1 and up; it lives in Debian's node path.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
emcmake cmake -S . -B build/wasm -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/wasm -j"$jobs"
