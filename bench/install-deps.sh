#!/usr/bin/env bash
# What the bench itself needs beyond the tests' packages (scripts/install-system-deps.sh): a C compiler and
# Xlib's headers for its host window (bench/window.c). Skips what is present; bench/run.js calls it only when
# the window cannot be compiled.
set -euo pipefail
packages=(gcc libc6-dev libx11-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "bench: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
