"""The process's log output: plain text lines (the default) or one JSON object per line
(`INFOCHAT_LOG_FORMAT=json`, for log shippers), and never a configured secret.

Each line carries the command key or the outbox message id it is about (see
`bot/log_context.py`). Every secret value in the settings (the platform tokens, Slack's
signing secret, the database password) is replaced by `**********` in every line, whoever
logged it: infochat, slack_sdk, discord.py, aiohttp, an exception's traceback.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TextIO
from urllib.parse import quote, quote_plus

from sqlalchemy.engine import make_url

from bot import log_context
from bot.config import Settings

MASK = "**********"
# Shorter values would mask ordinary words all over the log; real tokens are far longer.
MIN_SECRET_LENGTH = 4
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s%(context)s: %(message)s"


def secret_values(settings: Settings) -> list[str]:
    """The values to keep out of the logs, as they may appear there (the database password
    also URL-encoded, as it is written in the URL)."""
    found = [
        secret.get_secret_value()
        for secret in (
            settings.slack_bot_token,
            settings.slack_app_token,
            settings.slack_signing_secret,
            settings.discord_token,
        )
        if secret is not None
    ]
    try:
        password = make_url(settings.database_url).password
    except Exception:  # an unparseable URL fails later, with a message that hides it
        password = None
    if password:
        found += [str(password), quote(str(password), safe=""), quote_plus(str(password))]
    return found


class Redactor:
    """Replaces each secret value in a text, longest first (one may contain another)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        unique = {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}
        self.secrets = sorted(unique, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


class RedactSecrets(logging.Filter):
    """Masks secrets in a record before any handler formats it: its message with its
    arguments filled in, its traceback and its stack. Done on the record, before formatting,
    so a secret is masked even where JSON would escape it."""

    def __init__(self, redact: Redactor) -> None:
        super().__init__()
        self.redact = redact

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: show what there is rather than lose it
            message = f"{record.msg!r} % {record.args!r}"
        record.msg, record.args = self.redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = _FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


class TextFormatter(logging.Formatter):
    """`time LEVEL logger [command KEY action] : message`, the bracket when there is one."""

    def __init__(self) -> None:
        super().__init__(TEXT_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        fields = log_context.current()
        parts = [f"{name}={value}" for name, value in fields.items()]
        record.context = f" [{' '.join(parts)}]" if parts else ""
        return super().format(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per line, whatever the message holds (newlines, quotes, control
    characters, any unicode: all escaped, so the line is ASCII)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        entry.update(log_context.current())
        return json.dumps(entry, ensure_ascii=True, default=str)


class LogHandler(logging.StreamHandler[TextIO]):
    """Masks secrets on the record (the filter) and once more in the finished line."""

    def __init__(
        self, redact: Redactor, formatter: logging.Formatter, stream: TextIO | None = None
    ) -> None:
        super().__init__(stream or sys.stderr)
        self.redact = redact
        self.setFormatter(formatter)
        self.addFilter(RedactSecrets(redact))

    def format(self, record: logging.LogRecord) -> str:
        return self.redact(super().format(record))


def log_handler(settings: Settings, stream: TextIO | None = None) -> LogHandler:
    """A handler writing to `stream` (stderr) in the configured format, secrets masked."""
    formatter = JsonFormatter() if settings.log_format == "json" else TextFormatter()
    return LogHandler(Redactor(secret_values(settings)), formatter, stream)


def configure_logging(settings: Settings) -> None:
    """The root logger writes through `log_handler` at `settings.log_level`. As with
    `logging.basicConfig`, a root logger that already has handlers (an embedding program's,
    a test runner's) is left as it is."""
    logging.basicConfig(level=settings.log_level, handlers=[log_handler(settings)])
    logging.captureWarnings(True)


_FORMATTER = logging.Formatter()
