"""Light and dark palettes following the system, icons and the stylesheet from resources/."""

from __future__ import annotations

import functools
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QObject, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    """The colours every widget and delegate paints with."""

    name: str
    window: str
    sidebar: str
    surface: str
    raised: str
    text: str
    muted: str
    # Secondary text that must still read (timestamps, placeholders, disabled labels): >= 4.5:1.
    hint: str
    # Icons and scrollbar handles only, never text.
    faint: str
    border: str
    accent: str
    accent_hover: str
    on_accent: str
    bubble_out: str
    on_bubble_out: str
    bubble_out_meta: str
    bubble_in: str
    on_bubble_in: str
    bubble_in_border: str
    scheduled: str
    selection: str
    hover: str
    badge: str
    danger: str
    on_danger: str
    danger_soft: str
    warning_bg: str
    warning_text: str
    success: str
    online: str

    def color(self, name: str) -> QColor:
        return QColor(getattr(self, name))

    @property
    def is_dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme(
    name="light",
    window="#f4f5f8",
    sidebar="#ffffff",
    surface="#f4f5f8",
    raised="#ffffff",
    text="#1b2130",
    muted="#596174",
    hint="#636b7e",
    faint="#7e8698",
    border="#e2e5eb",
    accent="#2f5bc0",
    accent_hover="#264ea9",
    on_accent="#ffffff",
    bubble_out="#2f5bc0",
    on_bubble_out="#ffffff",
    bubble_out_meta="#c9d6f5",
    bubble_in="#ffffff",
    on_bubble_in="#1b2130",
    bubble_in_border="#e2e5eb",
    scheduled="#eaf0fd",
    selection="#e7eefd",
    hover="#f3f5fa",
    badge="#2f5bc0",
    danger="#c2362b",
    on_danger="#ffffff",
    danger_soft="#fdecea",
    warning_bg="#fff5dc",
    warning_text="#6d4e00",
    success="#1b794a",
    online="#1b794a",
)

DARK = Theme(
    name="dark",
    window="#17191e",
    sidebar="#1e2128",
    surface="#16181d",
    raised="#22262e",
    text="#e7e9ef",
    muted="#9aa2b2",
    hint="#939cad",
    faint="#767d8f",
    border="#2d323c",
    accent="#789bff",
    accent_hover="#8eacff",
    on_accent="#0d1424",
    bubble_out="#3a61c6",
    on_bubble_out="#ffffff",
    bubble_out_meta="#c5d3fa",
    bubble_in="#252a33",
    on_bubble_in="#e7e9ef",
    bubble_in_border="#2f3541",
    scheduled="#1f2a44",
    selection="#27324d",
    hover="#232731",
    badge="#789bff",
    danger="#ff6f61",
    on_danger="#1b0d0c",
    danger_soft="#3a2224",
    warning_bg="#3a3120",
    warning_text="#f2cd7c",
    success="#4cc38a",
    online="#4cc38a",
)

# Every text colour and the backgrounds it is painted on (style.qss, the list and bubble
# delegates, the dialogs). tests/ui/test_contrast.py holds each pair to WCAG AA (4.5:1) in both
# palettes and samples the rendered pixels too.
_PLAIN = ("window", "sidebar", "surface", "raised", "selection", "hover")
TEXT_ON: dict[str, tuple[str, ...]] = {
    "text": (*_PLAIN, "scheduled", "bubble_in", "warning_bg", "danger_soft"),
    "on_bubble_in": ("bubble_in",),
    "on_bubble_out": ("bubble_out",),
    "muted": (*_PLAIN, "scheduled", "bubble_in", "warning_bg", "danger_soft"),
    "hint": _PLAIN,
    "accent": (*_PLAIN, "scheduled", "warning_bg"),
    "danger": (*_PLAIN, "danger_soft"),
    "warning_text": ("warning_bg", "selection"),
    "on_accent": ("accent", "accent_hover", "badge"),
    "on_danger": ("danger",),
}
# Focus rings and meaningful icons: WCAG 1.4.11 asks 3:1 against what they sit on.
RING_ON: dict[str, tuple[str, ...]] = {
    "accent": (*_PLAIN, "scheduled", "bubble_in", "warning_bg"),
    "text": ("raised",),  # the send button's ring, around the accent fill
    "faint": ("sidebar", "raised", "selection", "hover"),
}

_current: Theme = LIGHT


def current() -> Theme:
    """The theme in use (delegates read it on every paint)."""
    return _current


def resources_dir() -> Path:
    """resources/ beside the package, or inside a frozen bundle."""
    candidates = []
    if hasattr(sys, "_MEIPASS"):
        candidates.append(Path(sys._MEIPASS) / "resources")
    here = Path(__file__).resolve()
    candidates += [here.parents[2] / "resources", here.parents[1] / "resources"]
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def resource(name: str) -> Path:
    return resources_dir() / name


@functools.cache
def _svg(name: str) -> str:
    path = resource(f"icons/{name}.svg")
    return path.read_text() if path.exists() else ""


@functools.cache
def _icon(name: str, color: str) -> QIcon:
    source = _svg(name)
    icon = QIcon()
    if not source:
        return icon
    renderer = QSvgRenderer(QByteArray(source.replace("currentColor", color).encode()))
    for size in (16, 20, 24, 32):
        for ratio in (1.0, 2.0):
            pixmap = QPixmap(int(size * ratio), int(size * ratio))
            pixmap.fill(Qt.GlobalColor.transparent)
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            renderer.render(painter, QRectF(0, 0, size * ratio, size * ratio))
            painter.end()
            pixmap.setDevicePixelRatio(ratio)
            icon.addPixmap(pixmap)
    return icon


def icon(name: str, color: str | None = None) -> QIcon:
    """A line icon from resources/icons, drawn in `color` (default: the muted text colour)."""
    return _icon(name, color or _current.muted)


def pixmap(name: str, size: int, color: str, ratio: float = 1.0) -> QPixmap:
    return icon(name, color).pixmap(QSize(size, size), ratio)


def app_icon() -> QIcon:
    path = resource("app-icon.svg")
    return QIcon(str(path)) if path.exists() else QIcon()


def system_is_dark(app: QGuiApplication) -> bool:
    scheme = app.styleHints().colorScheme()
    return scheme == Qt.ColorScheme.Dark


class ThemeWatcher(QObject):
    """Re-applies the palette when the system switches between light and dark.

    Signals:
      changed(Theme): the new theme, after it was applied.
    """

    changed = Signal(object)

    def __init__(self, app: QApplication) -> None:
        super().__init__(app)
        self._app = app
        app.styleHints().colorSchemeChanged.connect(self._on_scheme)

    def _on_scheme(self, _scheme) -> None:
        apply(self._app)
        self.changed.emit(_current)


def apply(app: QApplication, dark: bool | None = None) -> Theme:
    """Fusion style, our palette and stylesheet; `dark=None` follows the system."""
    global _current
    if dark is None:
        dark = system_is_dark(app)
    _current = DARK if dark else LIGHT
    t = _current
    app.setStyle("Fusion")
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: t.window,
        QPalette.ColorRole.WindowText: t.text,
        QPalette.ColorRole.Base: t.raised,
        QPalette.ColorRole.AlternateBase: t.hover,
        QPalette.ColorRole.Text: t.text,
        QPalette.ColorRole.Button: t.raised,
        QPalette.ColorRole.ButtonText: t.text,
        QPalette.ColorRole.Highlight: t.accent,
        QPalette.ColorRole.HighlightedText: t.on_accent,
        QPalette.ColorRole.ToolTipBase: t.raised,
        QPalette.ColorRole.ToolTipText: t.text,
        QPalette.ColorRole.PlaceholderText: t.hint,
        QPalette.ColorRole.Link: t.accent,
        QPalette.ColorRole.Mid: t.border,
        QPalette.ColorRole.Midlight: t.border,
    }
    for role, value in roles.items():
        palette.setColor(role, QColor(value))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(t.hint))
    app.setPalette(palette)
    app.setStyleSheet(stylesheet(t))
    _icon.cache_clear()
    return t


def stylesheet(t: Theme) -> str:
    path = resource("style.qss")
    template = path.read_text() if path.exists() else ""
    return string.Template(template).safe_substitute(t.__dict__)
