#!/usr/bin/env bash
# Installs the benchmark's peer: x11vnc (Debian 0.9.16) serving the X display and noVNC (Debian `novnc`, which
# brings websockify) to view it in Chromium. Skips what is present. The bench runs this only when asked
# (`npm run bench -- --with-peer`, or BENCH_WITH_PEER=1) and the packages are missing.
set -euo pipefail
packages=(x11vnc novnc websockify)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "bench: x11vnc, novnc and websockify are installed"
  exit 0
fi
echo "bench: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
