"""Structured logging for `inbox-server`: one `key=value` line per event, secrets redacted.

What we log at INFO names things by id (message 12, firm 3), never by content: no message
bodies, phone-number lists, tokens or keys. The formatter also blanks any secret it was given,
in case one slips into an exception text.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable

REDACTED = "[redacted]"
# Loggers of libraries that say too much at INFO.
QUIET = {
    # Twilio's client logs every request it makes, with the form (message bodies, numbers).
    "twilio.http_client": logging.WARNING,
    # One line per outbound HTTP request, with its URL (media links carry access tokens).
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    # A line per migration plugin on every start.
    "alembic.runtime.plugins": logging.WARNING,
}
# Attributes every LogRecord has; anything else was passed with `extra=` and is printed.
# uvicorn's `color_message` repeats `msg` with terminal colours.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",
}


def _quote(value: object) -> str:
    text = str(value)
    if text and not any(c in text for c in ' "=\\\n\r\t'):
        return text
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )
    return f'"{escaped}"'


class KeyValueFormatter(logging.Formatter):
    """`ts=… level=… logger=… msg="…"` plus `extra=` fields and `exc="…"`, on one line."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        # Short strings would blank ordinary words; real secrets are long.
        self.secrets = sorted({s for s in secrets if s and len(s) >= 8}, key=len, reverse=True)

    def format(self, record: logging.LogRecord) -> str:
        stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        fields = [
            ("ts", f"{stamp}.{int(record.msecs):03d}Z"),
            ("level", record.levelname.lower()),
            ("logger", record.name),
            ("msg", record.getMessage()),
        ]
        fields += [(k, v) for k, v in vars(record).items() if k not in _STANDARD]
        if record.exc_info:
            fields.append(("exc", self.formatException(record.exc_info)))
        line = " ".join(f"{key}={_quote(value)}" for key, value in fields)
        for secret in self.secrets:
            line = line.replace(secret, REDACTED)
        return line


def configure(level: int = logging.INFO, secrets: Iterable[str] = ()) -> None:
    """Send every logger's records to standard error as key=value lines."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(KeyValueFormatter(secrets))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for name, quiet_level in QUIET.items():
        logging.getLogger(name).setLevel(quiet_level)


def redact(secrets: Iterable[str]) -> None:
    """Also blank these in every line (they are known only once the settings are loaded)."""
    extra = {s for s in secrets if s and len(s) >= 8}
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if isinstance(formatter, KeyValueFormatter):
            merged = set(formatter.secrets) | extra
            formatter.secrets = sorted(merged, key=len, reverse=True)
