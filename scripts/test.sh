#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (Python 3.11), then runs them all:
# ruff, the import-linter layer contracts, and pytest on SQLite and PostgreSQL, Qt offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Libraries Qt needs to run offscreen (and to print); pg_isready if it is missing.
pg_client=""
command -v pg_isready >/dev/null || pg_client="postgresql-client"
# shellcheck disable=SC2086
bash scripts/qt-debs.sh $pg_client

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
