"""What the client's start imports and builds before its first paint (bench/cold_start.py
times it; these only check that what was made lazy stays lazy).

A start with a cached inbox paints it before the session (ui/application.py
`paint_cached_start`): that paint must not wait for pydantic, asyncio, qasync, the keyring or
httpx, nor for the parts of the window it does not show (ui/main_window.py `attach`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Loaded after the first paint of a start from the cache, never before it.
AFTER_THE_FIRST_PAINT = (
    "pydantic",
    "pydantic_core",
    "asyncio",
    "qasync",
    "keyring",
    "httpx",
    "phonenumbers",  # the cache keeps each number as the list shows it
    "inbox_app.models.schemas",
    "inbox_app.sync.session",
    "inbox_app.sync.api",
    "inbox_app.sync.credentials",
    "inbox_app.sync.records",
    "inbox_app.ui.app",
    "inbox_app.ui.thread_view",
    "inbox_app.ui.compose",
    "inbox_app.ui.notifications",
    "inbox_app.ui.inbox.search_hits",
    "inbox_app.ui.inbox.presence",
)

# What `inbox-app` runs before its first paint (inbox_app/__main__.py), in a private HOME.
FIRST_PAINT = """
import json, sys
from pathlib import Path
import inbox_app.__main__
from inbox_app.ui.application import make_application, paint_cached_start
app = make_application([sys.argv[0]])
window = paint_cached_start(None, Path(sys.argv[1]))
print(json.dumps({"rows": window.list_model.rowCount() if window else None,
                  "modules": sorted(sys.modules)}))
"""

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


def test_a_start_from_the_cache_paints_before_pydantic_asyncio_and_the_keyring(tmp_path):
    from inbox_app.models.schemas import ConversationOut, UserOut
    from inbox_app.sync import quick_start
    from inbox_app.sync.cache import LocalStore, cache_path

    url = "http://127.0.0.1:9"
    store = LocalStore(cache_path(url, "bench", tmp_path))
    store.save_conversations(
        [ConversationOut(id=i, phone=f"+1202555{i:04d}") for i in range(1, 4)], replace=True
    )
    user = UserOut(id=1, username="bench", display_name="B", role="staff", firm_id=1)
    store.set_meta("user", user.model_dump_json())
    store.close()
    quick_start.remember(url, "bench", tmp_path)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", FIRST_PAINT, str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    probe = json.loads(result.stdout.splitlines()[-1])
    assert probe["rows"] == 3  # painted from the cache
    modules = set(probe["modules"])
    for name in AFTER_THE_FIRST_PAINT:
        assert name not in modules, f"{name} is imported before the first paint"
