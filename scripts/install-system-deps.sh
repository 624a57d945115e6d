#!/usr/bin/env bash
# Installs the Debian packages that the tests and the demo need (skips those already present).
#   xvfb, xterm, xdotool, x11-utils, xinput: an X display with windows to look at, and ways to read its state
#   x11-xkb-utils, xkb-data: setxkbmap and the layouts (us, de, fr) the keyboard tests give the host
#   x11-xserver-utils: xrandr, which screenshot-desktop (the fallback capture and the bench's baseline) runs
#   imagemagick: screenshot-desktop's capture on Linux (`import`)
#   libxtst6 libx11-6 libxext6: nut-js's libnut
#   chromium: the helper's side in the tests, and the browser that drives code-server
#   binutils, gcc: the native-module check (nm) and its self-test
#   libc6-dev, libx11-dev, libxext-dev: the agent's MIT-SHM grabber (scripts/buildNative.js builds it with gcc)
#   libkrb5-dev, ripgrep, g++, make, python3: code-server's install (scripts/ensure-code-server.js) builds
#     kerberos, node-pty and friends from source (node-gyp runs python3), and hands Debian's rg to @vscode/ripgrep
#     instead of a download
#   git: code-server's built-in Git extension runs it in the editor tests and the demo (nothing of ours does)
#   coturn: turnserver, the TURN relay that test/integration/turn.test.ts runs on 127.0.0.1 (both peers relay-only)
# test/unit/systemPackages.test.ts checks that every program the code, the tests, the demo and the bench start
# comes from a package named here or by bench/install-*.sh.
# With arguments, installs those packages instead (the bench's extras use this).
set -euo pipefail
default_packages=(xvfb xterm xdotool x11-utils x11-xkb-utils xkb-data x11-xserver-utils xinput imagemagick libxtst6 libx11-6 libxext6 chromium binutils gcc libc6-dev libx11-dev libxext-dev libkrb5-dev ripgrep g++ make python3 git coturn)
if [ "$#" -gt 0 ]; then packages=("$@"); else packages=("${default_packages[@]}"); fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "Installing: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
