#!/usr/bin/env bash
# Installs the Debian libraries Qt needs (offscreen, printing, the xcb platform for PyInstaller to
# bundle), plus any extra packages named as arguments, when some are missing. Sourced or run.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
QT_DEBS="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libnss3 libasound2
  fonts-dejavu-core"
if command -v dpkg >/dev/null 2>&1; then
  missing=$(for p in $QT_DEBS "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi
