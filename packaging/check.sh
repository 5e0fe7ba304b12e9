#!/usr/bin/env bash
# Checks the folder packaging/build.sh made: the frozen app starts its demo offscreen, paints the
# main window, writes nothing into its own folder and ships none of the Qt parts it should not.
# Then times its start-up against `python -m inbox_app` (bench/startup.py; target <= 2x).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
[ -d .venv/Scripts ] && BIN=.venv/Scripts
# The checks are pytest tests: on a fresh clone build.sh installed only the `package` extra.
"$BIN/python" -m pytest --version >/dev/null 2>&1 || "$BIN/python" -m pip install -q -e ".[dev,package]"
export QT_QPA_PLATFORM=offscreen
INBOX_TEST_FROZEN=1 "$BIN/python" -m pytest -q tests/packaging
"$BIN/python" bench/startup.py --runs 3
