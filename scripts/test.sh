#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (Python 3.11), then runs them all:
# ruff, the import-linter layer contracts, and pytest on SQLite and PostgreSQL, Qt offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Libraries Qt needs to run offscreen (and to print); pg_isready if it is missing.
QT_DEBS="libgl1 libegl1 libxkbcommon0 libfontconfig1 libfreetype6 libdbus-1-3 libglib2.0-0
  libxkbcommon-x11-0 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libnss3
  libasound2 fonts-dejavu-core"
missing=$(for p in $QT_DEBS; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
command -v pg_isready >/dev/null || missing="$missing postgresql-client"
if [ -n "$missing" ]; then
  $SUDO apt-get update -qq
  # shellcheck disable=SC2086
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
fi

# PostgreSQL must be up: the backend's tests run against it as well as SQLite.
if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  if [ -d /etc/postgresql ]; then
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start || true
  fi
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi

PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e ".[dev]"

export QT_QPA_PLATFORM=offscreen
.venv/bin/ruff check .
.venv/bin/lint-imports
.venv/bin/python -m pytest "$@"
