#!/usr/bin/env bash
# Installs Inbox into .venv/ on a fresh Debian machine (Python 3.11) and starts it.
# `bash scripts/run.sh --demo` runs the desktop client with a private demo backend.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/qt-debs.sh
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e .
exec .venv/bin/python -m inbox_app "$@"
