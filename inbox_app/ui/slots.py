"""`async_slot`: qasync's `asyncSlot`, with qasync (and asyncio) imported at the first call.

The main window's module is imported before the first paint of a start from the cache, and
asyncio is not (ui/app.py, bench/cold_start.py); its coroutine slots are decorated with this
instead. Called, it behaves as `qasync.asyncSlot(*types)(fn)` does: the coroutine runs as a
task on the running loop, a failure reaches `sys.excepthook`, and the task is returned.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Slot


def async_slot(*types: Any) -> Callable[[Callable], Callable]:
    def decorate(fn: Callable) -> Callable:
        real: Callable | None = None

        @Slot(*types)
        @functools.wraps(fn)
        def slot(*args: Any, **kwargs: Any):
            nonlocal real
            if real is None:
                from qasync import asyncSlot

                real = asyncSlot(*types)(fn)
            return real(*args, **kwargs)

        return slot

    return decorate
