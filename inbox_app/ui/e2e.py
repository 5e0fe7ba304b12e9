"""A test-only control line on standard input, for the end-to-end tests (tests/e2e/).

Installed only when `INBOX_E2E=1`. The test writes one command per line to the app's stdin
and reads the answer from the app's log (stderr):

- `geometry PATH`: writes a JSON of every visible named widget's global rectangle, text,
  enabled and focus state, the rows of item views (and which one is current) and a tab bar's
  tabs, open menus' actions and the tray icon to PATH (so xdotool can click them where a person
  would), then logs
  `e2e geometry PATH`.
- `fail NAME`: the next calls of the sync client's method NAME raise RuntimeError (a failure
  the app did not expect), to prove that it is shown to the user.
- `ping`: logs `e2e pong` (the app has handled every command before it).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from PySide6.QtCore import QObject, QPoint, QSocketNotifier, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenu,
    QMenuBar,
    QPlainTextEdit,
    QTabBar,
    QTextEdit,
    QTreeView,
    QWidget,
)

log = logging.getLogger("inbox.e2e")


def _rect(widget: QWidget) -> list[int]:
    top_left = widget.mapToGlobal(QPoint(0, 0))
    return [top_left.x(), top_left.y(), widget.width(), widget.height()]


def _text(widget: QWidget) -> str | None:
    if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
        return widget.text()
    if isinstance(widget, QPlainTextEdit):
        return widget.toPlainText()[:2000]
    if isinstance(widget, QComboBox):
        return widget.currentText()
    if isinstance(widget, QTextEdit):
        return widget.toPlainText()[:2000]
    if isinstance(widget, QAbstractSpinBox):
        return widget.text()  # as shown, prefix and suffix included ("$20.00")
    return None


def snapshot() -> dict:
    """What is on screen, by objectName."""
    app = QApplication.instance()
    widgets: dict[str, dict] = {}
    actions: dict[str, list[int]] = {}
    rows: dict[str, list[dict]] = {}
    seen: dict[str, int] = {}
    windows = []
    tray = None
    focus = app.focusWidget()
    for top in app.topLevelWidgets():
        notifier = getattr(top, "notifier", None)
        if notifier is not None and notifier.tray is not None and notifier.tray.isVisible():
            g = notifier.tray.geometry()  # also while the window is away in the tray
            tray = [g.x(), g.y(), g.width(), g.height()]
        if not top.isVisible():
            continue
        kind = top.metaObject().className()
        windows.append(
            {
                "name": top.objectName(),
                "class": kind,
                "title": top.windowTitle(),
                "rect": _rect(top),
                "active": top.isActiveWindow(),
            }
        )
        if kind == "QBalloonTip":
            # Qt's own tray balloon (no notification daemon): unnamed, so name it here.
            widgets["trayBalloon"] = {"rect": _rect(top), "text": None, "enabled": True}
            for button in top.findChildren(QAbstractButton):
                widgets["trayBalloonClose"] = {"rect": _rect(button), "text": "", "enabled": True}
        for widget in [top, *top.findChildren(QWidget)]:
            name = widget.objectName()
            if not name or name.startswith("qt_") or not widget.isVisible():
                continue
            seen[name] = seen.get(name, 0) + 1
            key = name if seen[name] == 1 else f"{name}#{seen[name]}"
            widgets[key] = {
                "rect": _rect(widget),
                "text": _text(widget),
                "enabled": widget.isEnabled(),
                "focus": widget is focus,
                # Clicks go to the active window only: a window the window manager has not
                # placed and activated yet may still move under the pointer.
                "active": widget.window().isActiveWindow(),
            }
            if isinstance(widget, QAbstractItemView) and widget.model() is not None:
                model = widget.model()
                found = []
                current = widget.currentIndex()
                while current.parent().isValid():
                    current = current.parent()
                current_row = current.row() if current.isValid() else -1
                for row in range(min(model.rowCount(), 100)):
                    index = model.index(row, 0)
                    r = widget.visualRect(index)
                    if r.isEmpty() or not widget.viewport().rect().intersects(r):
                        continue
                    p = widget.viewport().mapToGlobal(r.topLeft())
                    found.append(
                        {
                            "row": row,
                            "rect": [p.x(), p.y(), r.width(), r.height()],
                            "text": str(index.data(Qt.ItemDataRole.DisplayRole) or ""),
                            "current": row == current_row,
                        }
                    )
                    if isinstance(widget, QTreeView) and widget.isExpanded(index):
                        # An expanded row's children (court dates' reminders), as "children".
                        found[-1]["children"] = [
                            str(
                                model.index(child, 0, index).data(Qt.ItemDataRole.DisplayRole) or ""
                            )
                            for child in range(min(model.rowCount(index), 100))
                        ]
                rows[key] = found
            if isinstance(widget, QTabBar):
                # A tab bar's tabs as rows, so a test clicks "Usage" where a person would.
                tabs = []
                for index in range(widget.count()):
                    r = widget.tabRect(index)
                    p = widget.mapToGlobal(r.topLeft())
                    tabs.append(
                        {
                            "row": index,
                            "rect": [p.x(), p.y(), r.width(), r.height()],
                            "text": widget.tabText(index),
                        }
                    )
                rows[key] = tabs
        for bar in [top] if isinstance(top, QMenuBar) else top.findChildren(QMenuBar):
            for action in bar.actions():
                if not action.isVisible():
                    continue  # a hidden menu (e.g. Firm for staff) is not on screen
                r = bar.actionGeometry(action)
                p = bar.mapToGlobal(r.topLeft())
                key = "menu:" + action.text().replace("&", "")
                actions[key] = [p.x(), p.y(), r.width(), r.height()]
        if isinstance(top, QMenu):
            for action in top.actions():
                if action.isSeparator() or not action.isVisible():
                    continue
                r = top.actionGeometry(action)
                p = top.mapToGlobal(r.topLeft())
                key = action.objectName() or action.text().replace("&", "")
                actions[key] = [p.x(), p.y(), r.width(), r.height()]
    return {
        "windows": windows,
        "widgets": widgets,
        "actions": actions,
        "rows": rows,
        "tray": tray,
        "focus": focus.objectName() if focus is not None else None,
    }


class Control(QObject):
    """Reads commands from stdin without blocking the event loop."""

    def __init__(self, sync) -> None:
        super().__init__(QApplication.instance())
        self.sync = sync
        self._buffer = b""
        self._notifier = QSocketNotifier(0, QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._readable)

    def _readable(self, *_args) -> None:
        try:
            chunk = os.read(0, 65536)
        except OSError:
            chunk = b""
        if not chunk:
            self._notifier.setEnabled(False)  # the test closed our stdin
            return
        self._buffer += chunk
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            self.handle(line.decode("utf-8", "replace").strip())

    def handle(self, line: str) -> None:
        command, _, argument = line.partition(" ")
        if command == "geometry" and argument:
            path = Path(argument)
            partial = path.with_name(path.name + ".partial")
            partial.write_text(json.dumps(snapshot()), encoding="utf-8")
            partial.replace(path)
            log.info("e2e geometry %s", path)
        elif command == "fail":
            self._arm_failure(argument.strip())
        elif command == "ping":
            log.info("e2e pong")
        elif command:
            log.warning("e2e: unknown command %r", line)

    def _arm_failure(self, name: str) -> None:
        async def failing(*_args, **_kwargs):
            raise RuntimeError(f"failure injected by the end-to-end test into {name}()")

        setattr(self.sync, name, failing)
        log.info("e2e failure armed %s", name)


def install(sync) -> Control:
    """Start listening on stdin (only ever called when INBOX_E2E=1)."""
    control = Control(sync)
    log.info("e2e control ready")
    return control
