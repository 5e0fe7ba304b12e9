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
# Twilio's magic test number: the server's number in simulate mode without INBOX_TWILIO_FROM.
SIMULATED_NUMBER = "+15005550006"
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


# INBOX_SECRET_KEY signs media links and webhooks: a short one can be guessed.
MIN_SECRET_KEY_LENGTH = 32


class Settings(BaseSettings):
    """Every `INBOX_*` variable of CONTRACT.md, typed; unknown `INBOX_*` names are ignored."""

    model_config = SettingsConfigDict(env_prefix="INBOX_", extra="ignore", frozen=True)

    database_url: str = Field(
        default="",
        description="Where the data lives. Empty: a SQLite file `inbox.db` in the user data "
        "directory (`~/.local/share/inbox/` on Linux). Several server processes need PostgreSQL "
        "(`postgresql://` is read as psycopg 3).",
        json_schema_extra={
            "format": "a `sqlite:///PATH` or `postgresql://USER:PASSWORD@HOST:PORT/DATABASE` URL"
        },
        examples=["postgresql://inbox:PASSWORD@127.0.0.1:5432/inbox"],
    )
    media_dir: Path | None = Field(
        default=None,
        description="Directory of MMS images and thumbnails. Unset: `media/` beside the SQLite "
        "file, or in the user data directory.",
        examples=["/var/lib/inbox-server/media"],
    )
    media_url: str | None = Field(
        default=None,
        description="Keep media in an S3-compatible object store instead of INBOX_MEDIA_DIR: "
        "`s3://BUCKET/PREFIX`, needed when server processes run on several machines. "
        "Credentials, region and endpoint are boto3's own settings (`AWS_ACCESS_KEY_ID`, "
        "`AWS_SECRET_ACCESS_KEY`, `AWS_DEFAULT_REGION`, `AWS_ENDPOINT_URL_S3`).",
        json_schema_extra={"format": "`s3://BUCKET/PREFIX`"},
        examples=["s3://firm-inbox/media"],
    )
    public_url: str = Field(
        default="http://127.0.0.1:8000",
        description="The base URL the carrier calls, exactly as Twilio is configured with it: "
        "webhook signatures are checked against it and outbound image links are built from it. "
        "Behind a TLS proxy, the proxy's `https://` address.",
        json_schema_extra={"format": "an `http://` or `https://` URL"},
        examples=["https://inbox.example.com"],
    )
    send_mode: SendMode = Field(
        default=SendMode.SIMULATE,
        description="`simulate` keeps every text on this server (a built-in carrier simulator); "
        "`live` sends through Twilio and needs the three INBOX_TWILIO_* credentials.",
        examples=["live"],
    )
    twilio_account_sid: str | None = Field(
        default=None,
        description="The Twilio account (Console, Account Info).",
        examples=["AC0123456789abcdef0123456789abcdef"],
    )
    twilio_auth_token: SecretStr | None = Field(
        default=None,
        description="The account's auth token; also the key webhooks are signed with, in every "
        "mode. Unset: webhooks are signed with the install's secret (INBOX_SECRET_KEY).",
        examples=["0123456789abcdef0123456789abcdef"],
    )
    twilio_from: str | None = Field(
        default=None,
        description="The server's Twilio number. It belongs to at most one firm: the server's "
        "first firm is given it (when created, or at start-up when it is the only firm), any "
        "other only explicitly (`inbox-server set-firm-number FIRM NUMBER`, or `from_number` in "
        "the firm's settings). A firm sends only from a number it owns; a text to a number no "
        "firm owns is stored nowhere. Unset in simulate mode: the simulator's +15005550006.",
        json_schema_extra={"format": "a phone number (E.164)"},
        examples=["+12015550100"],
    )
    twilio_api_base: str | None = Field(
        default=None,
        description="Twilio's REST API base URL. Unset: `https://api.twilio.com`; tests point "
        "it at a local Twilio-compatible fake.",
        json_schema_extra={"format": "an `http://` or `https://` URL"},
        examples=["http://127.0.0.1:9100"],
    )
    payment_mode: PaymentMode = Field(
        default=PaymentMode.MANUAL,
        description="`manual`: an admin records a bundle bought by invoice; `stripe`: top-ups "
        "charge the firm's saved card (needs INBOX_STRIPE_API_KEY).",
        examples=["stripe"],
    )
    stripe_api_key: SecretStr | None = Field(
        default=None,
        description="Stripe secret key, for INBOX_PAYMENT_MODE=stripe.",
        examples=["sk_live_..."],
    )
    stripe_api_base: str | None = Field(
        default=None,
        description="Stripe's API base URL. Unset: Stripe's own; tests point it at a local fake.",
        json_schema_extra={"format": "an `http://` or `https://` URL"},
        examples=["http://127.0.0.1:9200"],
    )
    # Not in CONTRACT.md's table but operators need them; defaults keep the contract's behaviour.
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs media links (and webhooks when there is no auth token); at least 32 "
        "characters, a shorter one stops start-up. Unset: a random key made once in "
        "`secret.key` beside the database. Several processes on one PostgreSQL must share one: "
        "set it to the same value everywhere.",
        examples=["a-long-random-string-of-at-least-32-characters"],
    )
    token_ttl_hours: int = Field(
        default=12,
        ge=1,
        le=24 * 90,
        description="How long a sign-in lasts, in hours.",
        examples=[24],
    )
    dispatcher_interval: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="Seconds between the dispatcher's looks for due texts.",
        examples=[1.0],
    )
    dispatcher_enabled: bool = Field(
        default=True,
        description="Whether this process sends due texts (and makes the reminders a large "
        "import leaves to it). Turn it off on processes that should only answer the API; keep "
        "it on in at least one.",
        examples=["false"],
    )
    send_rate_per_second: float = Field(
        default=1.0,
        ge=0,
        description="Texts per second per sender number, shared by every process (Twilio's "
        "long-code limit is 1); 0 means no limit.",
        examples=[10],
    )
    lease_seconds: int = Field(
        default=120,
        ge=5,
        description="How long a process's claim on a text lasts before another process may take "
        "it over (a crashed sender).",
        examples=[300],
    )
    metrics_token: SecretStr | None = Field(
        default=None,
        description="Turns on `GET /metrics` (Prometheus format) for scrapers that send "
        "`Authorization: Bearer` with this value. Unset: /metrics answers 404.",
        examples=["a-long-random-string-for-prometheus"],
    )
    simulate_status_delay: float = Field(
        default=0.3,
        ge=0,
        le=60,
        description="Simulate mode: seconds before the simulator reports a text delivered.",
        examples=[1.5],
    )
    simulate_failure_rate: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Simulate mode: the share of texts the simulator fails, to show errors.",
        examples=[0],
    )
    trusted_proxies: str = Field(
        default="",
        description="Reverse proxies whose X-Forwarded-For is believed (uvicorn's "
        "forwarded_allow_ips): comma-separated addresses or networks. Empty: the peer's own "
        "address is the client's, so sign-in limits per address count the proxy as one client.",
        json_schema_extra={"format": "comma-separated IP addresses or networks"},
        examples=["127.0.0.1"],
    )

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_long(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_SECRET_KEY_LENGTH:
            raise ValueError(
                f"must be at least {MIN_SECRET_KEY_LENGTH} characters (a long random string); "
                "it signs media links and webhooks"
            )
        return value

    @field_validator("public_url")
    @classmethod
    def _public_url_is_http(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("media_url")
    @classmethod
    def _media_url_is_s3(cls, value: str | None) -> str | None:
        if not value:
            return None
        bucket = value.removeprefix("s3://").split("/", 1)[0]
        if not value.startswith("s3://") or not bucket:
            raise ValueError("must be an s3://BUCKET/PREFIX URL")
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

    def proxy_options(self) -> dict[str, object]:
        """uvicorn's proxy settings: X-Forwarded-For only from INBOX_TRUSTED_PROXIES."""
        trusted = ",".join(p.strip() for p in self.trusted_proxies.split(",") if p.strip())
        if not trusted:
            return {"proxy_headers": False}
        return {"proxy_headers": True, "forwarded_allow_ips": trusted}

    @property
    def default_number(self) -> str | None:
        """The server's own number: INBOX_TWILIO_FROM, else the simulator's in simulate mode.

        It belongs to at most one firm, given to it explicitly (`set-firm-number`, the firm's
        settings), or to the server's first firm when that firm is created or is the only one.
        """
        from inbox_app.domain import phone as phones

        if self.twilio_from:
            return phones.normalize_sender(self.twilio_from)
        return SIMULATED_NUMBER if self.send_mode is SendMode.SIMULATE else None

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


_SECRET_FIELDS = frozenset({"twilio_auth_token", "stripe_api_key", "secret_key", "metrics_token"})


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
        # One line, starting with the variable, so it is what an operator (or systemd) sees.
        raise SettingsError("; ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
