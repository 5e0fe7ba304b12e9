"""Backend settings, read once from the `INBOX_*` environment variables (CONTRACT.md)."""

from __future__ import annotations

import os
import secrets
import threading
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "inbox"
SECRET_FILE = "secret.key"
# Secrets read from (or written to) the data directory, once per process and path.
_install_secrets: dict[Path, str] = {}
_install_secrets_lock = threading.Lock()


class SendMode(StrEnum):
    SIMULATE = "simulate"
    LIVE = "live"


class PaymentMode(StrEnum):
    MANUAL = "manual"
    STRIPE = "stripe"


def data_dir() -> Path:
    """The user data directory where the embedded SQLite database and media live by default."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class Settings(BaseSettings):
    """Every `INBOX_*` variable of CONTRACT.md, typed; unknown `INBOX_*` names are ignored."""

    model_config = SettingsConfigDict(env_prefix="INBOX_", extra="ignore", frozen=True)

    database_url: str = ""
    media_dir: Path | None = None
    public_url: str = "http://127.0.0.1:8000"
    send_mode: SendMode = SendMode.SIMULATE
    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_base: str | None = None
    payment_mode: PaymentMode = PaymentMode.MANUAL
    stripe_api_key: SecretStr | None = None
    stripe_api_base: str | None = None
    # Not in CONTRACT.md's table but operators need them; defaults keep the contract's behaviour.
    secret_key: SecretStr | None = None
    token_ttl_hours: int = Field(default=12, ge=1, le=24 * 90)
    dispatcher_interval: float = Field(default=0.5, gt=0, le=60)
    dispatcher_enabled: bool = True
    send_rate_per_second: float = Field(default=1.0, ge=0)
    lease_seconds: int = Field(default=120, ge=5)
    simulate_status_delay: float = Field(default=0.3, ge=0, le=60)
    simulate_failure_rate: float = Field(default=0.05, ge=0, le=1)

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("database_url")
    @classmethod
    def _database_url_known(cls, value: str) -> str:
        if value and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # We ship psycopg 3; SQLAlchemy's bare postgresql:// means psycopg2.
            value = "postgresql+psycopg://" + value.split("://", 1)[1]
        return value

    @model_validator(mode="after")
    def _live_needs_credentials(self) -> Settings:
        if self.send_mode is SendMode.LIVE:
            missing = [
                f"INBOX_{name.upper()}"
                for name in ("twilio_account_sid", "twilio_auth_token", "twilio_from")
                if not getattr(self, name)
            ]
            if missing:
                raise ValueError(f"INBOX_SEND_MODE=live needs {', '.join(missing)}")
        if self.payment_mode is PaymentMode.STRIPE and not self.stripe_api_key:
            raise ValueError("INBOX_PAYMENT_MODE=stripe needs INBOX_STRIPE_API_KEY")
        return self

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{data_dir() / 'inbox.db'}"

    @property
    def effective_media_dir(self) -> Path:
        if self.media_dir:
            return self.media_dir
        url = self.effective_database_url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            return Path(url.removeprefix("sqlite:///")).parent / "media"
        return data_dir() / "media"

    @property
    def state_dir(self) -> Path:
        """Where this install keeps its own files: beside the SQLite database, else the data dir."""
        url = self.effective_database_url
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            return Path(url.removeprefix("sqlite:///")).parent
        return data_dir()

    @property
    def install_secret(self) -> str:
        """INBOX_SECRET_KEY, else a random key made once per install (`secret.key`, mode 0600)."""
        if self.secret_key:
            return self.secret_key.get_secret_value()
        return install_secret(self.state_dir / SECRET_FILE)

    @property
    def webhook_token(self) -> str:
        """The key webhooks are signed with: INBOX_TWILIO_AUTH_TOKEN, else the install's secret."""
        if self.twilio_auth_token:
            return self.twilio_auth_token.get_secret_value()
        return self.install_secret


def install_secret(path: Path) -> str:
    """The secret stored at `path`, created atomically on first use so processes agree on it."""
    path = path.absolute()
    with _install_secrets_lock:
        cached = _install_secrets.get(path)
        if cached is None:
            cached = _install_secrets[path] = _read_or_create_secret(path)
        return cached


def _read_or_create_secret(path: Path) -> str:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_urlsafe(48) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
            # link() never replaces: when two processes start at once, the first file wins and
            # both use it.
            try:
                os.link(temp, path)
            except FileExistsError:
                pass  # another process made it first: use theirs
            except OSError:
                # No hard links on this file system: a rename, racing only a simultaneous start.
                if not path.exists():
                    os.replace(temp, path)
        finally:
            temp.unlink(missing_ok=True)
    value = path.read_text(encoding="utf-8").strip()
    if len(value) < 32:
        raise SettingsError(
            f"{path} holds no usable secret; delete it to make a new one "
            "(signed media links and simulated webhooks signed with the old one stop working)."
        )
    return value


_SECRET_FIELDS = frozenset({"twilio_auth_token", "stripe_api_key", "secret_key"})


class SettingsError(SystemExit):
    """Start-up stops here, naming the variable that is wrong."""


def load_settings() -> Settings:
    """Read the environment; a bad value becomes a message naming the variable."""
    try:
        return Settings()
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            loc = [str(part) for part in err["loc"] if part]
            name = f"INBOX_{loc[0].upper()}" if loc else "INBOX settings"
            message = err["msg"].removeprefix("Value error, ")
            value = err.get("input")
            secret = bool(loc) and loc[0] in _SECRET_FIELDS
            shown = (
                f" (got {value!r})"
                if loc and not secret and isinstance(value, str | int | float)
                else ""
            )
            lines.append(f"{name}: {message}{shown}")
        raise SettingsError("Invalid settings:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
