#!/usr/bin/env bash
# What the bench itself needs beyond the tests' packages: a C compiler and Xlib's headers for its host window
# (bench/window.c). Skips what is present; bench/run.js calls it only when the window cannot be compiled.
set -euo pipefail
exec bash "$(dirname "$0")/../scripts/install-system-deps.sh" gcc libc6-dev libx11-dev
