#!/usr/bin/env bash
# Installs everything the tests need on a fresh Debian machine (Python 3.11), then runs them all:
# ruff, the import-linter layer contracts, and pytest on SQLite and PostgreSQL, Qt offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"

# Libraries Qt needs to run offscreen (and to print); pg_isready, pg_dump and pg_restore (backup
# tests) and systemd-analyze (the deploy test verifies the unit file) if they are missing.
extra_debs=""
command -v pg_dump >/dev/null || extra_debs="postgresql-client"
command -v systemd-analyze >/dev/null || extra_debs="$extra_debs systemd"
# shellcheck disable=SC2086
bash scripts/qt-debs.sh $extra_debs

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
# Bytecode is cached even where the machine sets PYTHONDONTWRITEBYTECODE: otherwise every server,
# app and command the tests start as a process compiles the project again, and pytest rewrites
# every test module in every worker.
unset PYTHONDONTWRITEBYTECODE
.venv/bin/python -m compileall -q -j 0 inbox_app >/dev/null
.venv/bin/ruff check .
.venv/bin/lint-imports
# Three workers (pytest-xdist) on CI's two cores, since much of a test is waiting on a server or a
# display; one module per worker at a time (module-scoped servers and displays stay shared by
# their tests). INBOX_TEST_WORKERS=0 runs everything in this one process. The slowest tests are
# listed at the end, to keep the run under CI's 20 minutes.
.venv/bin/python -m pytest -n "${INBOX_TEST_WORKERS:-3}" --dist loadscope --durations=25 "$@"
