"""Loaded (through PYTHONPATH) by scripts/test-at-hour.sh only: Python under libfaketime.

libfaketime 0.9.10 either fakes CLOCK_MONOTONIC (then every timed lock/Event wait sleeps until
the fake monotonic time, i.e. forever) or, with FAKETIME_DONT_FAKE_MONOTONIC=1, mistranslates
the absolute monotonic deadline of clock_nanosleep, so time.sleep() fails with EINVAL. We run
with the real monotonic clock and sleep with select()'s relative timeout instead.
"""

import os
import select
import time

if "faketime" in os.environ.get("LD_PRELOAD", ""):

    def _sleep(seconds: float) -> None:
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        end = time.monotonic() + seconds
        while (left := end - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
