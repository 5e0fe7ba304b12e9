#!/usr/bin/env bash
# The tests with the wall clock at HH:MM UTC today (libfaketime, advancing from there), to find
# tests that depend on the hour:   bash scripts/test-at-hour.sh 03:00 [pytest args...]
set -euo pipefail
cd "$(dirname "$0")/.."
hour=${1:?usage: scripts/test-at-hour.sh HH:MM [pytest args...]}
shift
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
command -v faketime >/dev/null || $SUDO apt-get install -y -q faketime
# Real file times (faked ones make Python recompile every module it imports) and real
# monotonic time (timeouts); only the wall clock moves. FAKETIME_FORCE_MONOTONIC_FIX=0: with the
# monotonic clock real, libfaketime's "fix" for condition variables on it is not needed, and it
# delayed every thread's wake-up (the GIL's hand-over too) by ~10 ms on average, up to 170 ms, so
# that the whole suite ran several times slower and pytest-qt's waits timed out.
export QT_QPA_PLATFORM=offscreen FAKETIME_DONT_FAKE_MONOTONIC=1 NO_FAKE_STAT=1
export FAKETIME_FORCE_MONOTONIC_FIX=0
# scripts/faketime/sitecustomize.py: time.sleep without the EINVAL libfaketime gives it.
export PYTHONPATH="$PWD/scripts/faketime${PYTHONPATH:+:$PYTHONPATH}"
TZ=UTC exec faketime "$(date -u +%Y-%m-%d) $hour:00" .venv/bin/python -m pytest "$@"
