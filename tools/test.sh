#!/usr/bin/env bash
# Every test, in the three places wax runs: native (GoogleTest via ctest), the .wasm in Node
# (node --test) and real pages in headless Chromium (playwright-core driving /usr/bin/chromium).
set -euo pipefail
cd "$(dirname "$0")/.."

ctest --test-dir build/native --output-on-failure -j"$(nproc)"
# The SIMD128 kernels themselves against their scalar twins (natively simd.h is GCC vectors).
node --no-experimental-fetch build/wasm/wax_kernel_tests.js
node --test tests/node/
# The oracle and generation checks again on the threaded build.
WAX_NUM_THREADS=2 node --test tests/node/llama_oracle.test.mjs tests/node/generation.test.mjs tests/node/pipeline.test.mjs
# A page that never answers must fail the run, not hang it: each browser test file gets at most
# 10 minutes (its own waits are bounded tighter; each file takes seconds to a minute or two).
node --test --test-concurrency=1 --test-timeout=600000 tests/browser/
