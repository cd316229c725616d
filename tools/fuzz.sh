#!/usr/bin/env bash
# Builds the libFuzzer targets natively with Debian's clang, AddressSanitizer and
# UndefinedBehaviorSanitizer (build/fuzz), and runs each one after the other for FUZZ_SECONDS
# (default 600) on one core. New coverage goes to build/fuzz/work/<target>/; a crashing input is
# written straight into the regression corpus tests/fuzz/corpus/<target>/ (which npm test replays
# through tests/native/fuzz_corpus_test.cpp), and the script fails.
#
#   npm run fuzz                       # all targets, 10 minutes each
#   FUZZ_SECONDS=60 bash tools/fuzz.sh config safetensors
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-600}

if ! command -v clang++ >/dev/null; then
  echo "fuzz: clang++ is missing (apt-get install -y clang)" >&2
  exit 1
fi
CXX=clang++ cmake -S . -B build/fuzz -DWAX_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" >/dev/null
cmake --build build/fuzz -j"$(nproc)"

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(safetensors config)
  [ -x build/fuzz/fuzz_tokenizer ] && targets+=(tokenizer)
fi
mkdir -p build/fuzz/logs
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
status=0
for target in "${targets[@]}"; do
  mkdir -p "build/fuzz/work/$target"
  log="build/fuzz/logs/$target.log"
  echo "fuzz: $target for ${seconds}s (log: $log)"
  if ! "build/fuzz/fuzz_$target" -max_total_time="$seconds" -print_final_stats=1 -dict=tests/fuzz/json.dict \
      -timeout=10 -rss_limit_mb=2048 -artifact_prefix="tests/fuzz/corpus/$target/" \
      "build/fuzz/work/$target" "tests/fuzz/corpus/$target" >"$log" 2>&1; then
    echo "fuzz: $target FOUND A CRASH; the input is in tests/fuzz/corpus/$target/ (see $log)" >&2
    status=1
  fi
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
  secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$log" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo '?')
  echo "fuzz: $target: $execs executions in ${secs}s, corpus $(ls "build/fuzz/work/$target" | wc -l) inputs"
done
exit $status
