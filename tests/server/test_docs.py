"""The repository documents itself: settings, every route, and API docs that need no Internet."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs"
ROUTE_IN_DOC = re.compile(r"`(GET|POST|PUT|PATCH|DELETE) (/[^\s`]*)")


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from inbox_app.server.app import create_app
    from inbox_app.server.config import Settings

    path = tmp_path_factory.mktemp("docs") / "inbox.db"
    return create_app(Settings(database_url=f"sqlite:///{path}"), background=False)


def app_routes(app) -> list[tuple[str, str, str]]:
    """(method, path, module of the endpoint) of every route, included routers walked through."""
    from starlette.routing import Mount

    found = []

    def walk(routes) -> None:
        for route in routes:
            if hasattr(route, "effective_route_contexts"):  # FastAPI's included router
                walk(list(route.effective_route_contexts()))
            elif isinstance(route, Mount):
                found.append(("GET", route.path + "/{path}", "inbox_app.server.apidocs"))
            else:
                module = getattr(getattr(route, "endpoint", None), "__module__", "")
                for method in sorted(set(route.methods or ()) - {"HEAD"}):
                    found.append((method, route.path, module))

    walk(app.routes)
    return found


def test_docs_settings_md_is_generated_from_the_settings_class():
    from inbox_app.server.ops.settings_doc import DOC_PATH, render

    assert DOC_PATH.read_text(encoding="utf-8") == render(), (
        "docs/settings.md is out of date with inbox_app/server/config.py: run "
        "`python -m inbox_app.server.ops.settings_doc --write` and commit docs/settings.md"
    )


def test_every_setting_has_a_description_example_and_section():
    from inbox_app.server.config import Settings

    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    for name, info in Settings.model_fields.items():
        assert info.description and info.examples, f"INBOX_{name.upper()} needs docs in config.py"
        assert f"## INBOX_{name.upper()}\n" in text


def test_every_route_of_the_app_is_in_docs_api_md(app):
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    documented = {(method, path) for method, path in ROUTE_IN_DOC.findall(text)}
    routes = app_routes(app)
    assert len(routes) > 60
    missing = []
    for method, path, module in routes:
        if (method, path) in documented:
            continue
        where = module.rsplit(".", 1)[-1]
        section = f"routes/{where}.py" if ".routes." in module else "app.py"
        missing.append(
            f"`{method} {path}` (endpoint in {module}): add a line with it to the section "
            f"'## … ({section})' of docs/api.md (make the section if it is not there)"
        )
    assert not missing, "Routes missing from docs/api.md:\n" + "\n".join(missing)
    actual = {(method, path) for method, path, _ in routes}
    stale = sorted(documented - actual)
    assert not stale, f"docs/api.md documents routes the app does not have: {stale}"


def test_api_md_has_a_section_per_router():
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    routers = sorted(
        p.stem
        for p in (Path(__file__).resolve().parents[2] / "inbox_app/server/routes").glob("*.py")
        if p.stem != "__init__"
    )
    for name in routers:
        assert re.search(rf"^## .*\(routes/{name}\.py\)$", text, re.M), (
            f"docs/api.md needs a section '## Title (routes/{name}.py)' for that router"
        )


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_docs_pages_load_nothing_from_outside(app):
    from fastapi.testclient import TestClient

    outside = re.compile(r"""(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}""", re.I)
    with TestClient(app) as client:
        for page in ("/docs", "/redoc", "/docs/oauth2-redirect"):
            response = client.get(page)
            assert response.status_code == 200
            assert not outside.findall(response.text), (page, outside.findall(response.text))
            for asset in re.findall(r"""(?:src|href)=["']([^"']+)""", response.text):
                assert asset.startswith("/docs-assets/"), asset
                assert client.get(asset).status_code == 200, asset
        assert client.get("/openapi.json").json()["info"]["title"] == "Inbox backend"
