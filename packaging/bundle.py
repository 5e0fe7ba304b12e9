"""What the frozen desktop client ships of Qt and the libraries, and the pruning app.spec applies.

PyInstaller's PySide6 hooks collect every plugin of every category a used Qt module may load
(all platforms, Wayland, EGL, GTK themes...) plus what those plugins link. The client needs far
less; app.spec keeps what is listed here and drops the libraries nothing kept links any more.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

# The Qt modules the client imports; tests/packaging checks inbox_app imports no other.
QT_MODULES = frozenset({"QtCore", "QtGui", "QtWidgets", "QtPrintSupport", "QtSvg"})
# Qt modules imported inside try/except and left out of the bundle. None now: the notification
# sound is played by the platform's own player (ui/notifications.py), not QtMultimedia.
QT_OPTIONAL: frozenset[str] = frozenset()

# Plugin folder -> plugin names kept (file name without "lib" and extension); None keeps all.
# xcb is the Linux desktop (Wayland sessions run it through XWayland), offscreen serves tests and
# --screenshot, windows/cocoa are the other platforms' own; JPEG and GIF are what MMS carry;
# the line icons and the app icon are SVG.
QT_PLUGINS: dict[str, frozenset[str] | None] = {
    "platforms": frozenset({"qxcb", "qoffscreen", "qwindows", "qdirect2d", "qcocoa"}),
    "xcbglintegrations": None,
    "platforminputcontexts": frozenset(
        {"composeplatforminputcontextplugin", "ibusplatforminputcontextplugin"}
    ),
    "imageformats": frozenset({"qjpeg", "qgif", "qico", "qwebp", "qsvg"}),
    "iconengines": frozenset({"qsvgicon"}),
    "printsupport": None,
    "styles": None,
}

# Python packages the frozen client never loads. The bundle's backend only ever runs --demo
# (SQLite, simulated carrier, manual payments; firms run `inbox-server` from the wheel), so
# PostgreSQL, Twilio's REST client and Stripe stay out. Uvicorn falls back to asyncio and h11
# without its speed-ups; rich/pygments only serve CLIs and pretty tracebacks; the app shows no
# phone-number geography or carrier names.
EXCLUDED_PACKAGES = (
    # test and dev tools
    "tkinter",
    "pytest",
    "pytestqt",
    "_pytest",
    "pytest_asyncio",
    "importlinter",
    "grimp",
    "ruff",
    "pypdf",
    "IPython",
    "PyInstaller",
    # shared-backend-only parts: live carrier, Stripe, PostgreSQL
    "inbox_app.server.carrier.live",
    "psycopg",
    "psycopg_binary",
    "psycopg_c",
    "twilio.rest",
    "stripe",
    "aiohttp",
    # optional speed-ups and pretty printers
    "uvloop",
    "watchfiles",
    "websockets",
    "wsproto",
    "yaml",
    "rich",
    "pygments",
    "markdown_it",
    # phone-number data the app never shows
    "phonenumbers.geocoder",
    "phonenumbers.geodata",
    "phonenumbers.carrier",
    "phonenumbers.carrierdata",
)


def excluded_qt_modules(available: Iterable[str]) -> list[str]:
    """`PySide6.X` for every installed Qt binding module the client does not use."""
    return sorted(f"PySide6.{name}" for name in available if name not in QT_MODULES)


def plugin_name(dest: str) -> tuple[str, str] | None:
    """(folder, name) when `dest` is a Qt plugin inside the bundle, else None."""
    parts = dest.replace("\\", "/").split("/")
    if "plugins" not in parts[:-2]:
        return None
    at = parts.index("plugins")
    if at == 0 or parts[at - 1] != "Qt" or len(parts) != at + 3:
        return None
    name = parts[-1].split(".")[0]
    name = name.removeprefix("lib")
    return parts[at + 1], name


def is_kept_plugin(dest: str) -> bool:
    """False for a Qt plugin the client does not need; True for everything else."""
    plugin = plugin_name(dest)
    if plugin is None:
        return True
    folder, name = plugin
    if folder not in QT_PLUGINS:
        return False
    wanted = QT_PLUGINS[folder]
    return wanted is None or name in wanted


def _is_prunable_library(entry: tuple) -> bool:
    """Shared libraries collected only as dependencies: the Qt libs and top-level system libs."""
    dest, _src, typecode = entry
    if typecode != "BINARY":
        return False  # extension modules (Python imports them) and symlinks stay
    dest = dest.replace("\\", "/")
    directory, name = os.path.split(dest)
    if name.lower().startswith(("libpython", "python")):
        return False  # the bootloader loads it by name; nothing links it
    return directory in ("", ".") or directory.endswith("Qt/lib") or directory.endswith("Qt/bin")


def prune(binaries: list, imports_of: Callable[[str], Iterable[str]]) -> list:
    """Drop unwanted Qt plugins, then every dependency library no kept binary links.

    `binaries` are PyInstaller TOC tuples (dest, src, typecode); `imports_of(src)` gives the
    file names a binary links. Extension modules and package libraries are always kept.
    """
    kept = [entry for entry in binaries if is_kept_plugin(entry[0])]
    by_name = {os.path.basename(e[0]): e for e in kept if _is_prunable_library(e)}
    roots = [e for e in kept if not _is_prunable_library(e)]
    needed: set[str] = set()
    todo = list(roots)
    while todo:
        entry = todo.pop()
        for name in imports_of(entry[1]):
            base = os.path.basename(name)
            if base in by_name and base not in needed:
                needed.add(base)
                todo.append(by_name[base])
    return [e for e in kept if not _is_prunable_library(e) or os.path.basename(e[0]) in needed]


def drop_dangling_symlinks(entries: list, *tocs: list) -> list:
    """`entries` without the SYMLINK entries whose target is in none of `tocs` (or `entries`)."""
    dests = {os.path.normpath(e[0]) for toc in (entries, *tocs) for e in toc if e[2] != "SYMLINK"}
    return [e for e in entries if e[2] != "SYMLINK" or _symlink_target(e) in dests]


def _symlink_target(entry: tuple) -> str:
    """The bundle path a SYMLINK entry points at (its source is relative to its own folder)."""
    dest, target, _typecode = entry
    return os.path.normpath(os.path.join(os.path.dirname(dest), target))
