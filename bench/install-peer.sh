#!/usr/bin/env bash
# Installs the benchmark's peer: x11vnc (Debian 0.9.16) serving the X display and noVNC (Debian `novnc`, which
# brings websockify) to view it in Chromium. Skips what is present. The bench runs this only when asked
# (`npm run bench -- --with-peer`, or BENCH_WITH_PEER=1) and the packages are missing.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/install-system-deps.sh" x11vnc novnc websockify
