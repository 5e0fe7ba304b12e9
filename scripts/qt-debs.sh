#!/usr/bin/env bash
# Installs the Debian libraries Qt needs (offscreen, printing, the xcb platform for PyInstaller to
# bundle and for the end-to-end tests, with Xvfb, a window manager and a tray), plus any extra
# packages named as arguments, when some are missing. Sourced or run.
set -euo pipefail
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
QT_DEBS="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
  libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libnss3 libasound2
  fonts-dejavu-core"
# The end-to-end tests (tests/e2e/) run the real app on Qt's xcb platform under Xvfb, with a
# window manager (openbox), a system tray host (trayer), xdotool to type and click; GTK 3 for
# Qt's gtk3 platform theme, which the dark-desktop test (GTK_THEME=Adwaita:dark) relies on.
E2E_DEBS="xvfb xdotool openbox trayer wmctrl x11-utils libxcb-image0 libxcb-render-util0
  libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxcb-util1 libxcb-shm0 libxcb-sync1 libxcb-xfixes0
  libx11-xcb1 libxkbcommon-x11-0 libgtk-3-0"
if command -v dpkg >/dev/null 2>&1; then
  missing=$(for p in $QT_DEBS $E2E_DEBS "$@"; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      $missing >/dev/null
  fi
fi
