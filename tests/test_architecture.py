"""The layer rules of DESIGN.md are enforced by import-linter, and a violation is caught."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": ""},
    )


def _copy_project(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    shutil.copytree(
        ROOT / "inbox_app", tree / "inbox_app", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def test_layer_contracts_hold():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_domain_importing_sqlalchemy_breaks_the_build(tmp_path):
    tree = _copy_project(tmp_path)
    (tree / "inbox_app/domain/leak.py").write_text("import sqlalchemy  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "Domain is pure" in result.stdout and "BROKEN" in result.stdout


def test_ui_importing_the_orm_tables_breaks_the_build(tmp_path):
    tree = _copy_project(tmp_path)
    (tree / "inbox_app/ui/leak.py").write_text("import inbox_app.models.tables  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "UI never touches the server" in result.stdout


def test_server_importing_qt_breaks_the_build(tmp_path):
    tree = _copy_project(tmp_path)
    (tree / "inbox_app/server/leak.py").write_text("import PySide6.QtCore  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert "Server never imports Qt" in result.stdout
