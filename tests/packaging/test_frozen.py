"""The desktop bundle: what app.spec keeps, the icons and installers, and the built app itself.

The fast tests run everywhere. The ones marked slow need a build (`bash packaging/build.sh`,
about a minute) and run only with INBOX_TEST_FROZEN=1, as `bash packaging/check.sh` does.
"""

from __future__ import annotations

import configparser
import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
DIST = ROOT / "dist" / "inbox-app"
EXE = DIST / ("inbox-app.exe" if os.name == "nt" else "inbox-app")


def _load_bundle():
    spec = importlib.util.spec_from_file_location("bundle", PACKAGING / "bundle.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle = _load_bundle()


def test_client_imports_only_the_qt_modules_the_bundle_ships():
    used = set()
    for path in (ROOT / "inbox_app").rglob("*.py"):
        used |= set(re.findall(r"PySide6\.(Qt\w+)", path.read_text(encoding="utf-8")))
    missing = used - bundle.QT_MODULES - bundle.QT_OPTIONAL
    assert not missing, f"add {sorted(missing)} to QT_MODULES in packaging/bundle.py"


def test_unused_qt_bindings_are_excluded_and_used_ones_kept():
    excluded = bundle.excluded_qt_modules(["QtCore", "QtGui", "QtQuick", "QtSql", "QtSvg"])
    assert excluded == ["PySide6.QtQuick", "PySide6.QtSql"]


def test_prune_drops_unwanted_plugins_and_the_libraries_only_they_link():
    links = {
        "/qt/plugins/platforms/libqxcb.so": ["libQt6XcbQpa.so.6", "libQt6Gui.so.6"],
        "/qt/plugins/platforms/libqwayland.so": ["libQt6WaylandClient.so.6"],
        "/qt/lib/libQt6XcbQpa.so.6": ["libQt6Gui.so.6", "libxcb-icccm.so.4"],
        "/qt/lib/libQt6Gui.so.6": ["libQt6Core.so.6"],
        "/py/QtGui.abi3.so": ["libQt6Gui.so.6"],
    }
    binaries = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/qt/plugins/platforms/libqxcb.so", "BINARY"),
        (
            "PySide6/Qt/plugins/platforms/libqwayland.so",
            "/qt/plugins/platforms/libqwayland.so",
            "BINARY",
        ),
        ("PySide6/Qt/plugins/sqldrivers/libqsqlite.so", "/qt/sql.so", "BINARY"),
        ("PySide6/Qt/lib/libQt6XcbQpa.so.6", "/qt/lib/libQt6XcbQpa.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Gui.so.6", "/qt/lib/libQt6Gui.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6Core.so.6", "/qt/lib/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/lib/libQt6WaylandClient.so.6", "/qt/lib/wl.so", "BINARY"),
        ("libxcb-icccm.so.4", "/usr/lib/libxcb-icccm.so.4", "BINARY"),
        ("libwayland-client.so.0", "/usr/lib/libwayland-client.so.0", "BINARY"),
        ("libpython3.11.so.1.0", "/usr/lib/libpython3.11.so.1.0", "BINARY"),
        ("_cffi_backend.cpython-311-x86_64-linux-gnu.so", "/py/_cffi.so", "EXTENSION"),
        ("PySide6/QtGui.abi3.so", "/py/QtGui.abi3.so", "EXTENSION"),
    ]
    kept = {dest for dest, _src, _type in bundle.prune(binaries, lambda s: links.get(s, []))}
    assert kept == {
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/lib/libQt6XcbQpa.so.6",
        "PySide6/Qt/lib/libQt6Gui.so.6",
        "PySide6/Qt/lib/libQt6Core.so.6",
        "libxcb-icccm.so.4",
        "libpython3.11.so.1.0",
        "_cffi_backend.cpython-311-x86_64-linux-gnu.so",
        "PySide6/QtGui.abi3.so",
    }


def test_symlinks_to_dropped_libraries_are_dropped_too():
    datas = [
        ("libQt6Gui.so.6", "PySide6/Qt/lib/libQt6Gui.so.6", "SYMLINK"),
        ("libQt6WaylandClient.so.6", "PySide6/Qt/lib/libQt6WaylandClient.so.6", "SYMLINK"),
        ("resources/style.qss", "/src/resources/style.qss", "DATA"),
    ]
    binaries = [("PySide6/Qt/lib/libQt6Gui.so.6", "/qt/lib/libQt6Gui.so.6", "BINARY")]
    kept = [dest for dest, _src, _type in bundle.drop_dangling_symlinks(datas, binaries)]
    assert kept == ["libQt6Gui.so.6", "resources/style.qss"]


def test_icons_exist_at_every_size_and_the_ico_holds_them_all():
    icons = PACKAGING / "icons"
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        with Image.open(icons / f"inbox-{size}.png") as image:
            assert image.size == (size, size)
            assert image.mode == "RGBA"
    with Image.open(icons / "inbox.ico") as ico:
        assert {16, 32, 48, 256} <= {w for w, _h in ico.info["sizes"]}
    with Image.open(icons / "inbox.icns") as icns:
        assert icns.size[0] >= 512


def test_desktop_entry_starts_the_installed_app_with_its_icon():
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(PACKAGING / "inbox.desktop")
    desktop = entry["Desktop Entry"]
    assert desktop["Type"] == "Application"
    assert desktop["Exec"].split()[0].endswith("/inbox-app")
    assert desktop["Icon"] == "inbox-app"


def test_installer_takes_its_version_from_the_build_not_a_literal():
    script = (PACKAGING / "inno" / "inbox.iss").read_text(encoding="utf-8")
    assert "AppVersion={#AppVersion}" in script
    assert not re.search(r"^AppVersion=\d", script, re.M)
    assert r"dist\inbox-app\*" in script
    build = (PACKAGING / "build.sh").read_text(encoding="utf-8")
    assert "DAppVersion=$version" in build and "inbox_app.__version__" in build


frozen = pytest.mark.skipif(
    os.environ.get("INBOX_TEST_FROZEN") != "1",
    reason="needs a build: bash packaging/build.sh && bash packaging/check.sh",
)


def _bundle_state() -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(DIST)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in DIST.rglob("*")
        if p.is_file() or p.is_dir()
    }


@pytest.mark.slow
@frozen
def test_built_app_paints_the_demo_window_offscreen_and_leaves_its_folder_alone(tmp_path):
    assert EXE.exists(), "no build: run `bash packaging/build.sh` first"
    before = _bundle_state()
    shot = tmp_path / "window.png"
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [str(EXE), "--demo", "--screenshot", str(shot)],
        env=env,
        capture_output=True,
        timeout=120,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    with Image.open(shot) as image:
        assert image.size[0] >= 800 and image.size[1] >= 500
        # A painted window has many colours; a blank or black grab has one or two.
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50
    assert _bundle_state() == before, "the frozen app wrote into its own folder"


@pytest.mark.slow
@frozen
def test_built_app_ships_the_qt_it_needs_and_not_the_rest():
    internal = DIST / "_internal"
    qt = internal / "PySide6" / "Qt"
    plugins = {p.relative_to(qt / "plugins").as_posix() for p in (qt / "plugins").rglob("*.*")}
    if sys.platform.startswith("linux"):
        for needed in ("platforms/libqxcb.so", "platforms/libqoffscreen.so"):
            assert needed in plugins
        assert {"imageformats/libqjpeg.so", "imageformats/libqgif.so"} <= plugins
        assert "printsupport/libcupsprintersupport.so" in plugins
    folders = {name.split("/")[0] for name in plugins}
    assert folders <= set(bundle.QT_PLUGINS), folders - set(bundle.QT_PLUGINS)
    names = {p.name for p in internal.rglob("*")}
    for unwanted in ("libQt6Quick.so.6", "libQt6Qml.so.6", "libQt6WaylandClient.so.6", "pytest"):
        assert unwanted not in names
    migrations = internal / "inbox_app" / "server" / "migrations"
    assert (migrations / "env.py").exists() and (migrations / "script.py.mako").exists()
    assert list((migrations / "versions").glob("*.py"))
