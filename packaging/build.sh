#!/usr/bin/env bash
# Builds the desktop client into dist/inbox-app/ (one folder; dist/Inbox.app on macOS) with
# PyInstaller and app.spec, then prints the build time and the folder size.
# On Windows (Git Bash) it also runs Inno Setup when `iscc` is on PATH: dist/installer/.
set -euo pipefail
cd "$(dirname "$0")/.."

# On Debian the xcb libraries Qt links must be present to be bundled (the same list as run.sh).
if command -v dpkg >/dev/null 2>&1; then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  QT_DEBS="libgl1 libegl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libfreetype6 libdbus-1-3
    libglib2.0-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libnss3 libasound2
    fonts-dejavu-core"
  missing=$(for p in $QT_DEBS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
  if [ -n "$missing" ]; then
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
  fi
fi

PY=${PYTHON:-python3}
BIN=.venv/bin
[ -d .venv/Scripts ] && BIN=.venv/Scripts
[ -x "$BIN/python" ] || [ -x "$BIN/python.exe" ] || "$PY" -m venv .venv
[ -d .venv/Scripts ] && BIN=.venv/Scripts
"$BIN/python" -m pip install -q -e ".[package]"

version=$("$BIN/python" -c "import inbox_app; print(inbox_app.__version__)")
start=$(date +%s)
"$BIN/pyinstaller" --noconfirm --clean --log-level WARN app.spec
seconds=$(( $(date +%s) - start ))
echo "built Inbox $version in ${seconds} s: dist/inbox-app is $(du -sh dist/inbox-app | cut -f1)"

if command -v iscc >/dev/null 2>&1; then
  iscc //Q "//DAppVersion=$version" packaging/inno/inbox.iss
  echo "installer: dist/installer/inbox-setup-$version.exe"
fi
