"""`inbox-server check`: the settings, the database, the media store and the carrier, one line each.

Read-only apart from one probe object written to and removed from the media store. Exit 0 when
everything holds, 1 when anything does not, so an install script or a monitor can run it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from inbox_app.server.config import PaymentMode, SendMode, Settings, SettingsError, load_settings

TWILIO_API = "https://api.twilio.com"
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Result:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def check_settings(settings: Settings) -> Result:
    parts = [
        f"send mode {settings.send_mode.value}",
        f"payments {settings.payment_mode.value}",
        f"public URL {settings.public_url}",
    ]
    if settings.secret_key is None:
        parts.append(f"secret key from {settings.state_dir / 'secret.key'}")
    else:
        parts.append("INBOX_SECRET_KEY set")
    if settings.send_mode is SendMode.LIVE and not settings.public_url.startswith("https://"):
        return Result(
            "settings",
            False,
            "INBOX_PUBLIC_URL must be the https:// address Twilio calls in live mode "
            f"(got {settings.public_url})",
        )
    return Result("settings", True, ", ".join(parts))


def check_database(settings: Settings) -> Result:
    from alembic.script import ScriptDirectory
    from sqlalchemy import text

    from inbox_app.server.db import make_engine
    from inbox_app.server.migrate import alembic_config, current

    url = settings.effective_database_url
    kind = url.split(":", 1)[0].split("+", 1)[0]
    if kind == "sqlite":
        from pathlib import Path

        path = url.removeprefix("sqlite:///")
        if path != ":memory:" and not Path(path).is_file():
            return Result("database", False, f"no database at {path}; run `inbox-server init-db`")
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    engine = make_engine(url, pool_pre_ping=False) if kind == "sqlite" else make_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        return Result("database", False, f"cannot connect to {_safe_url(url)}: {reason}")
    finally:
        engine.dispose()
    revision = current(url)
    if revision != head:
        return Result(
            "database",
            False,
            f"{_safe_url(url)} is at revision {revision or 'none (empty)'}, the code needs {head}; "
            "run `inbox-server init-db`",
        )
    return Result("database", True, f"{_safe_url(url)} at revision {head} (up to date)")


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def check_media(settings: Settings) -> Result:
    from inbox_app.server.media_store import store_for

    store = store_for(settings)
    try:
        detail = store.probe()
    except Exception as exc:
        return Result("media", False, f"{store.describe()}: {exc}")
    return Result("media", True, detail)


def check_carrier(settings: Settings) -> Result:
    sid = settings.twilio_account_sid
    token = settings.twilio_auth_token.get_secret_value() if settings.twilio_auth_token else None
    if settings.send_mode is SendMode.SIMULATE and not (sid and token):
        signing = "INBOX_TWILIO_AUTH_TOKEN" if token else "the install's secret key"
        return Result(
            "carrier",
            True,
            f"simulate mode: nothing goes to Twilio; webhooks signed with {signing}",
        )
    if not (sid and token):
        return Result(
            "carrier", False, "live mode needs INBOX_TWILIO_ACCOUNT_SID and INBOX_TWILIO_AUTH_TOKEN"
        )
    base = (settings.twilio_api_base or TWILIO_API).rstrip("/")
    try:
        response = httpx.get(
            f"{base}/2010-04-01/Accounts/{sid}.json", auth=(sid, token), timeout=TIMEOUT_SECONDS
        )
    except httpx.HTTPError as exc:
        return Result("carrier", False, f"cannot reach Twilio at {base}: {exc}")
    if response.status_code in (401, 403):
        return Result(
            "carrier",
            False,
            f"Twilio refused INBOX_TWILIO_ACCOUNT_SID / INBOX_TWILIO_AUTH_TOKEN "
            f"(HTTP {response.status_code})",
        )
    if response.status_code != 200:
        return Result("carrier", False, f"Twilio answered HTTP {response.status_code}")
    try:
        account = response.json()
    except ValueError:
        return Result("carrier", False, "Twilio's answer was not JSON")
    status = account.get("status") or "unknown"
    name = account.get("friendly_name") or sid
    mode = "live mode" if settings.send_mode is SendMode.LIVE else "simulate mode (checked anyway)"
    ok = status == "active"
    detail = f"{mode}: Twilio account {name!r} is {status}; sending from {settings.twilio_from}"
    return Result("carrier", ok, detail)


def check_payments(settings: Settings) -> Result:
    if settings.payment_mode is PaymentMode.MANUAL:
        return Result("payments", True, "manual: admins record bundles bought by invoice")
    return Result("payments", True, "stripe: the firm's saved card is charged for top-ups")


CHECKS: tuple[Callable[[Settings], Result], ...] = (
    check_settings,
    check_database,
    check_media,
    check_carrier,
    check_payments,
)


def run_checks(out=None) -> int:
    out = out or sys.stdout
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(Result("settings", False, str(exc).replace("\n", " ")).line(), file=out)
        return 1
    failed = False
    for check in CHECKS:
        try:
            result = check(settings)
        except Exception as exc:  # a check that breaks is a failed check, not a traceback
            result = Result(check.__name__.removeprefix("check_"), False, repr(exc))
        failed = failed or not result.ok
        print(result.line(), file=out, flush=True)
    return 1 if failed else 0
