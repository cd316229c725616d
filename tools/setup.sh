#!/usr/bin/env bash
# Installs what wax needs to build and test, only where it is missing: Debian packages with
# apt-get (as root, or through sudo) and the npm devDependencies. Safe to run every time.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || missing+=("$1"); }
# espeak-ng and sox make the speech that the Whisper tests and the speech demo's test transcribe.
for package in cmake g++ make emscripten libeigen3-dev nlohmann-json3-dev libgtest-dev chromium espeak-ng sox; do need "$package"; done
# Node may come from elsewhere than Debian (its npm then conflicts with Debian's): check commands.
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "wax setup: installing ${missing[*]} with apt-get (emscripten and chromium are large: a few minutes on a first install)"
  sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || { echo "wax setup: need root (or sudo) to apt-get install ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q
  $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if [ ! -f node_modules/.package-lock.json ] || [ package.json -nt node_modules/.package-lock.json ] ||
   [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "wax setup: npm install"
  npm install --no-audit --no-fund --loglevel=error
  touch node_modules/.package-lock.json  # npm leaves it alone when nothing changed
fi
