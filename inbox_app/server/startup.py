"""What `serve` and `init-db` check first: a setting that cannot work stops start-up with one
line naming it (`INBOX_X: what is wrong`), not a traceback now or a 500 later."""

from __future__ import annotations

from inbox_app.server.config import Settings


class StartupError(SystemExit):
    """Start-up stops here; the message is the one line the operator reads."""


def _reason(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0].strip()


def check_media_dir(settings: Settings) -> None:
    from inbox_app.server.media_store import store_for

    try:
        store_for(settings).probe()
    except Exception as exc:
        if settings.media_url:
            raise StartupError(
                f"INBOX_MEDIA_URL: {settings.media_url} cannot be written to ({_reason(exc)})"
            ) from None
        raise StartupError(
            f"INBOX_MEDIA_DIR: {settings.effective_media_dir} is not a writable directory "
            f"({_reason(exc)})"
        ) from None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return url.split("@")[-1]


def check_database(settings: Settings) -> None:
    """The database answers (a missing PostgreSQL database says so)."""
    from sqlalchemy import text

    from inbox_app.server.db import make_engine

    url = settings.effective_database_url
    try:
        engine = make_engine(url)
    except Exception as exc:
        raise StartupError(f"INBOX_DATABASE_URL: {_safe_url(url)}: {_reason(exc)}") from None
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:
        reason = _reason(exc)
        hint = ""
        if "does not exist" in reason and url.startswith("postgresql"):
            hint = "; create it (createdb) or correct the name"
        raise StartupError(
            f"INBOX_DATABASE_URL: cannot connect to {_safe_url(url)}: {reason}{hint}"
        ) from None
    finally:
        engine.dispose()


def migrate(settings: Settings) -> None:
    """Upgrade the schema; a database that fails half-way is named, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from inbox_app.server.migrate import upgrade

    url = settings.effective_database_url
    try:
        upgrade(url)
    except SQLAlchemyError as exc:
        raise StartupError(
            f"INBOX_DATABASE_URL: migrating {_safe_url(url)} failed: {_reason(exc)}"
        ) from None


def prepare(settings: Settings, *, media: bool = True) -> None:
    """Every check, then the migration: what `serve` (and, without media, `init-db`) runs."""
    check_database(settings)
    if media:
        check_media_dir(settings)
    migrate(settings)
