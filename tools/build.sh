#!/usr/bin/env bash
# Builds the native library, tests and benchmarks (build/native) and the WebAssembly modules
# (build/wasm → js/dist/wax.mjs + wax.wasm, and the pthreads twin), and copies @huggingface/jinja
# into js/dist so that the package carries everything a page imports.
#
#   bash tools/build.sh [--wasm-only]      (WAX_BUILD_VERBOSE=1 shows the compiler's own output)
#
# A first build compiles everything (about 1.5 min natively and 2 min for the WebAssembly modules
# on 2 cores here; several times that on a slow machine); later runs rebuild only what changed and
# take seconds. The compiler's output goes to build/<native|wasm>/build.log; the terminal shows
# one progress line, and the log's errors if a step fails.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc)

wasm_only=false
for arg in "$@"; do
  case "$arg" in
    --wasm-only) wasm_only=true ;;
    *) echo "wax build: unknown argument '$arg' (usage: bash tools/build.sh [--wasm-only])" >&2; exit 2 ;;
  esac
done

# "~lo-hi min": minutes measured on 2 cores, scaled to this machine's cores, up to 3x for slow ones.
estimate() {
  local low=$(( ($1 * 2 + jobs - 1) / jobs ))
  echo "~${low}-$(( low * 3 )) min on ${jobs} core$([ "$jobs" = 1 ] || echo s) for a first build, seconds when up to date"
}

# Shows make's "[ 42%] Building CXX object …/src/io/config.cpp.o" lines as one line that updates in
# place (on a terminal) or as a line every 10% (in a log).
show_progress() {
  local last_decile=-1 line percent what
  while IFS= read -r line; do
    [[ $line =~ ^\[\ *([0-9]+)%\]\ (Building|Linking)\ [A-Za-z+]+\ [a-z]+\ (.*)$ ]] || continue
    percent=${BASH_REMATCH[1]}
    what=${BASH_REMATCH[3]##*.dir/}
    what=${what%.o}
    if [ -t 1 ]; then
      printf '\r\033[K  %3d%%  %s' "$percent" "$what"
    elif (( percent / 10 > last_decile )); then
      last_decile=$(( percent / 10 ))
      printf '  %3d%%  %s\n' "$percent" "$what"
    fi
  done
  if [ -t 1 ]; then printf '\r\033[K'; fi
}

# build_step <label> <build dir>: builds one CMake tree quietly, its output kept in <dir>/build.log.
build_step() {
  local label=$1 dir=$2 log="$2/build.log" started=$SECONDS status
  if [ "${WAX_BUILD_VERBOSE:-0}" != 0 ]; then
    cmake --build "$dir" -j"$jobs"
    return
  fi
  set +e
  cmake --build "$dir" -j"$jobs" 2>&1 | tee "$log" | show_progress
  status=${PIPESTATUS[0]}
  set -e
  if [ "$status" != 0 ]; then
    echo "wax build: $label failed. Its errors (the whole output is in $log):" >&2
    if grep -q -E 'error|Error' "$log"; then grep -E -A3 'error|Error' "$log" | head -n 60 >&2; else tail -n 40 "$log" >&2; fi
    exit "$status"
  fi
  local warnings
  warnings=$(grep -c 'warning:' "$log" || true)
  echo "wax build: $label done in $(( SECONDS - started )) s$([ "$warnings" = 0 ] || echo ", $warnings compiler warnings (see $log)")"
}

# configure <build dir> <cmake…>: only once; `cmake --build` reconfigures by itself when CMakeLists.txt changes.
configure() {
  local dir=$1
  shift
  [ -f "$dir/CMakeCache.txt" ] || "$@" -S . -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
}

if ! $wasm_only; then
  echo "wax build: the native library and tests ($(estimate 2))"
  configure build/native cmake
  build_step "the native build" build/native
fi

# Debian's emcc runs acorn from Node for -O1 and up; it lives in Debian's node path.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
echo "wax build: the WebAssembly modules, single-threaded and pthreads ($(estimate 2))"
configure build/wasm emcmake cmake
build_step "the WebAssembly build" build/wasm

# Chat templates need @huggingface/jinja (one self-contained ES module, MIT): the package carries
# a copy beside the .wasm, so pages import it by a relative URL, with no import map and no 404.
jinja=node_modules/@huggingface/jinja
if [ ! -f "$jinja/dist/index.js" ]; then
  echo "wax build: $jinja is missing: run npm install (or bash tools/setup.sh) first" >&2
  exit 1
fi
{
  echo "// @huggingface/jinja $(node -p "require('./$jinja/package.json').version"), copied by tools/build.sh from $jinja/dist/index.js."
  sed 's|^|// |; s| $||' "$jinja/LICENSE"
  cat "$jinja/dist/index.js"
} > js/dist/jinja.mjs
