"""Start-up of the built app vs the same app from source (offscreen, run by hand).

`python bench/startup.py [--runs 5]` after `bash packaging/build.sh`. Each run starts
`--demo --screenshot FILE` (private backend, migrations, demo firm, main window with a thread)
and times it until the PNG of the painted window is on disk; built and source runs alternate so
both see the same machine load. Prints the medians and built/source; target <= 2.0.
Exit code 0 when the target is met, 1 when not, 2 when there is no build.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILT = ROOT / "dist" / "inbox-app" / ("inbox-app.exe" if os.name == "nt" else "inbox-app")
TARGET = 2.0


def time_to_window(command: list[str], timeout: float = 120.0) -> float:
    """Seconds from start until the screenshot of the painted main window exists."""
    with tempfile.TemporaryDirectory(prefix="inbox-startup-") as tmp:
        shot = Path(tmp) / "window.png"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        start = time.perf_counter()
        process = subprocess.Popen(
            [*command, "--demo", "--screenshot", str(shot)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        # The PNG is written in one call right after the paint; polling its size avoids
        # counting the backend's shutdown, which the user never waits for.
        while not (shot.exists() and shot.stat().st_size > 0):
            if process.poll() is not None and not shot.exists():
                raise RuntimeError(f"{command[0]} exited {process.returncode} without a window")
            if time.perf_counter() - start > timeout:
                process.kill()
                raise TimeoutError(f"{command[0]} showed no window in {timeout:.0f} s")
            time.sleep(0.01)
        elapsed = time.perf_counter() - start
        _out, err = process.communicate(timeout=timeout)
        if process.returncode != 0:
            raise RuntimeError(f"{command[0]} exited {process.returncode}: {err.decode()[-500:]}")
        return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    if not BUILT.exists():
        print(f"no build at {BUILT}: run `bash packaging/build.sh` first", file=sys.stderr)
        return 2
    source = [sys.executable, "-m", "inbox_app"]
    # One unmeasured run each: the first start after a build pays for a cold disk cache.
    time_to_window([str(BUILT)])
    time_to_window(source)
    built, python = [], []
    for _ in range(args.runs):
        built.append(time_to_window([str(BUILT)]))
        python.append(time_to_window(source))
    b, p = statistics.median(built), statistics.median(python)
    print(f"built app   {b:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in built)})")
    print(f"python -m   {p:6.2f} s  (runs: {', '.join(f'{x:.2f}' for x in python)})")
    ratio = b / p
    print(f"ratio built/python = {ratio:.2f} (target <= {TARGET})")
    return 0 if ratio <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
