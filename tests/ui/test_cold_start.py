"""What the client's start imports and builds before its first paint (bench/cold_start.py
times it; these only check that what was made lazy stays lazy)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
import inbox_app.__main__, inbox_app.ui.app, inbox_app.ui.main_window
from inbox_app.models import schemas
built = sorted(
    name for name, value in vars(schemas).items()
    if isinstance(value, type) and issubclass(value, schemas.Schema)
    and value.__pydantic_complete__
)
print(json.dumps({"modules": sorted(sys.modules), "built": built}))
"""


def _probe() -> dict:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_client_start_imports_no_chart_dialog_records_page_or_server():
    modules = set(_probe()["modules"])
    for name in (
        "pyqtgraph",
        "numpy",
        "inbox_app.ui.dialogs.top_up",
        "inbox_app.ui.dialogs.usage",
        "inbox_app.ui.records.clients",
        "inbox_app.ui.records.upcoming",
        "inbox_app.server",
        "fastapi",
    ):
        assert name not in modules, f"{name} is imported before the first paint"


def test_the_client_start_builds_no_wire_schema_at_import():
    assert _probe()["built"] == []


def test_the_server_builds_every_wire_schema_when_imported():
    probe = (
        "import inbox_app.server\n"
        "from inbox_app.models import schemas\n"
        "models = [v for v in vars(schemas).values()"
        " if isinstance(v, type) and issubclass(v, schemas.Schema)]\n"
        "assert models and all(m.__pydantic_complete__ for m in models)\n"
        "assert not any(m.model_config.get('defer_build') for m in models)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


def test_the_dialogs_package_still_offers_every_dialog():
    import inbox_app.ui.dialogs as dialogs

    for name in dialogs.__all__:
        assert getattr(dialogs, name) is not None
