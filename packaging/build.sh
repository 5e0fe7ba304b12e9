#!/usr/bin/env bash
# Builds the desktop client into dist/inbox-app/ (one folder; dist/Inbox.app on macOS) with
# PyInstaller and app.spec, then prints the build time and the folder size.
# On Windows (Git Bash) it also runs Inno Setup when `iscc` is on PATH: dist/installer/.
set -euo pipefail
cd "$(dirname "$0")/.."

# On Debian the xcb libraries Qt links must be present to be bundled.
bash scripts/qt-debs.sh

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
