"""The OpenAPI document matches the answers: a bounded, deterministic schemathesis run over
/openapi.json against the app (in process, a fresh SQLite database, an admin's token)."""

from __future__ import annotations

import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis.errors import FlakyFailure
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import PASSWORD
from tests.harness import make_settings

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Not exercised here: they never answer JSON the document could describe.
SKIPPED = (
    "/api/v1/stream",  # an endless Server-Sent Events stream
    "/webhooks/",  # signed carrier forms (tests/server/test_webhooks.py)
    "/media/",  # files
)


@pytest.fixture(scope="module")
def app_and_token(tmp_path_factory):
    from fastapi.testclient import TestClient

    from inbox_app.server.app import create_app
    from inbox_app.server.migrate import upgrade
    from inbox_app.server.services.auth import create_user

    tmp = tmp_path_factory.mktemp("openapi")
    url = f"sqlite:///{tmp / 'inbox.db'}"
    upgrade(url)
    app = create_app(make_settings(url, tmp, 8000), background=False)
    with app.state.sessionmaker() as session:
        create_user(session, "alice", PASSWORD, is_admin=True)
    with TestClient(app) as client:
        token = client.post(
            "/api/v1/auth/token", json={"username": "alice", "password": PASSWORD}
        ).json()["access_token"]
        yield app, token


def test_every_answer_matches_the_openapi_document(app_and_token):
    """Three examples per operation, derandomized; every failure is listed, not just the first."""
    from hypothesis import given

    app, token = app_and_token
    loaded = schemathesis.openapi.from_asgi("/openapi.json", app)
    headers = {"Authorization": f"Bearer {token}"}
    failures: list[str] = []
    tried = 0
    for result in loaded.get_all_operations():
        operation = result.ok()
        if operation.path.startswith(SKIPPED) or operation.path == "/api/v1/auth/logout":
            continue  # logout would end the run's own session

        @given(case=operation.as_strategy())
        @settings(
            max_examples=3,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def run(case):
            case.call_and_validate(headers=headers, checks=CHECKS)

        tried += 1
        name = f"{operation.method.upper()} {operation.path}"
        try:
            run()
        except FlakyFailure as exc:
            # Failed once, then passed on hypothesis's replay: seen once on a loaded CI worker
            # (PUT /credits/settings), never here. Run the operation again; a document mismatch
            # fails every time, so only a failure that comes back counts. The first one is
            # reported as a warning with its sub-exceptions, for whoever sees it next.
            warnings.warn(f"{name} failed once, then passed: {_summary(exc)}", stacklevel=1)
            try:
                run()
            except BaseException as again:
                if isinstance(again, KeyboardInterrupt):
                    raise
                failures.append(f"{name}: " + _summary(again))
        except BaseException as exc:  # one line per operation that breaks the document
            if isinstance(exc, KeyboardInterrupt):
                raise
            failures.append(f"{name}: " + _summary(exc))
    assert tried > 40
    assert not failures, "\n".join(failures)


def _summary(exc: BaseException) -> str:
    """The exception's first lines, and those of each sub-exception (hypothesis reports a case
    that failed only once as a group, whose own text says nothing of why)."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()][:8]
    for sub in getattr(exc, "exceptions", ()):
        lines.append(f"[{type(sub).__name__}] {_summary(sub)}")
    return " | ".join(lines)
