"""The log handler `infochat` installs: text or one JSON object per line, with the command key
or delivery id the line is about, and no configured secret in any line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters import cli
from adapters.logs import MASK, LogHandler, log_handler, secret_values
from bot.app import HANDLERS
from bot.config import Settings, load_settings
from bot.errors import DeliveryError
from bot.outbox import DeliveryWorker
from bot.services.context import Context
from bot.views import Reply
from tests.bot.test_outbox import FlakyTransport
from tests.delivery import enqueue_messages
from tests.support import make_world

TOKEN = "xoxb-1111-TOKENVALUE-zz"
APP_TOKEN = "xapp-1-APPTOKENVALUE"
SIGNING = "signing-SECRETVALUE"
DISCORD = "MTIz.DISCORDTOKEN.VALUE"
PASSWORD = "p@ss:w/rd SECRET"


def settings(fmt: str = "text", **more: Any) -> Settings:
    return load_settings(
        log_format=fmt,
        slack_bot_token=TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING,
        discord_token=DISCORD,
        database_url="postgresql+asyncpg://bot:p%40ss%3Aw%2Frd%20SECRET@db:5432/infochat",
        **more,
    )


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, list[LogHandler]]]:
    """A logger of the test's own; `attach(settings)` sends its records to `out`."""
    logger = logging.getLogger("infochat.test-logs")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    out = io.StringIO()
    handlers: list[LogHandler] = []
    yield logger, out, handlers
    for handler in handlers:
        logger.removeHandler(handler)


def attach(
    captured: tuple[logging.Logger, io.StringIO, list[LogHandler]], fmt: str, *names: str
) -> LogHandler:
    logger, out, handlers = captured
    handler = log_handler(settings(fmt), out)
    handlers.append(handler)
    for name in (logger.name, *names):
        logging.getLogger(name).addHandler(handler)
    return handler


def secrets() -> list[str]:
    return [TOKEN, APP_TOKEN, SIGNING, DISCORD, PASSWORD, "p%40ss%3Aw%2Frd%20SECRET"]


def test_the_secret_values_are_each_token_and_the_database_password() -> None:
    found = secret_values(settings())
    assert {TOKEN, APP_TOKEN, SIGNING, DISCORD, PASSWORD} <= set(found)
    assert "p%40ss%3Aw%2Frd%20SECRET" in found
    assert secret_values(load_settings()) == []  # nothing configured, nothing to hide


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_secrets_are_masked_in_messages_arguments_and_tracebacks(
    captured: tuple[logging.Logger, io.StringIO, list[LogHandler]], fmt: str
) -> None:
    logger, out, _ = captured
    attach(captured, fmt)
    logger.debug("Authorization: Bearer %s", TOKEN)
    logger.info(f"dialling with {DISCORD} and {APP_TOKEN}")
    logger.warning("signed with %r", {"secret": SIGNING})
    logger.error("database at %s", f"postgresql://bot:{PASSWORD}@db/x")
    try:
        raise RuntimeError(f"rejected token {TOKEN}")
    except RuntimeError:
        logger.exception("start failed for %s", "p%40ss%3Aw%2Frd%20SECRET")
    logger.warning("stack", stack_info=True)
    text = out.getvalue()
    for secret in secrets():
        assert secret not in text
    assert text.count(MASK) >= 7
    if fmt == "json":
        lines = [json.loads(line) for line in text.splitlines()]
        assert "RuntimeError: rejected token **********" in lines[4]["exc_info"]
    else:
        assert "RuntimeError: rejected token **********" in text


def test_short_values_are_not_treated_as_secrets() -> None:
    handler = log_handler(load_settings(slack_bot_token="xoxb-1", slack_signing_secret="s"))
    assert handler.redact("xoxb-1 says something") == "********** says something"


def test_json_lines_are_valid_whatever_the_message_holds(
    captured: tuple[logging.Logger, io.StringIO, list[LogHandler]],
) -> None:
    logger, out, _ = captured
    attach(captured, "json")
    nasty = 'two\nlines "quoted" back\\slash \x00\x07\x1b[31m tab\t é 世界 🎉 \ud800 \u2028'
    logger.warning(nasty)
    logger.warning("%s and %d%%", nasty, 5)
    try:
        raise ValueError(nasty)
    except ValueError:
        logger.error("failed", exc_info=True)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3
    first, second, third = (json.loads(line) for line in lines)
    assert first["message"] == nasty
    assert second["message"] == f"{nasty} and 5%"
    assert third["message"] == "failed" and nasty in third["exc_info"]
    assert first["level"] == "WARNING" and first["logger"] == "infochat.test-logs"
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert all(line.isascii() for line in lines)
    assert "command_key" not in first and "delivery_id" not in first


def test_text_lines_keep_the_familiar_format(
    captured: tuple[logging.Logger, io.StringIO, list[LogHandler]],
) -> None:
    logger, out, _ = captured
    attach(captured, "text")
    logger.warning("plain %s", "words")
    line = out.getvalue().strip()
    assert line.endswith(" WARNING infochat.test-logs: plain words")


async def test_a_command_s_lines_carry_its_key_and_action(
    captured: tuple[logging.Logger, io.StringIO, list[LogHandler]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, out, _ = captured
    attach(captured, "json", "bot.app")

    async def broken(ctx: Context) -> Reply:
        raise RuntimeError("a bug in help")

    monkeypatch.setitem(HANDLERS, "help", broken)
    world = await make_world(tmp_path / "logs.db")
    try:
        await world.say("sam", "/infochat help", key="interaction-123")
    finally:
        await world.db.dispose()
    (line,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert line["command_key"] == "interaction-123" and line["action"] == "help"
    assert line["logger"] == "bot.app" and "a bug in help" in line["exc_info"]
    assert "delivery_id" not in line


async def test_a_delivery_s_lines_carry_its_outbox_id(
    captured: tuple[logging.Logger, io.StringIO, list[LogHandler]], tmp_path: Path
) -> None:
    _, out, _ = captured
    attach(captured, "text", "bot.outbox")
    world = await make_world(tmp_path / "logs.db")
    try:
        transport = FlakyTransport(errors=[DeliveryError("busy"), DeliveryError("still busy")])
        await enqueue_messages(world.db, world.clock, 2)
        await DeliveryWorker(world.db, transport, world.clock).drain()
    finally:
        await world.db.dispose()
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "[delivery_id=1]" in lines[0] and "message 1 will be retried" in lines[0]
    assert "[delivery_id=2]" in lines[1] and "message 2 will be retried" in lines[1]


def test_an_unknown_log_format_stops_the_start_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_LOG_FORMAT", "xml")
    monkeypatch.setenv("INFOCHAT_SLACK_BOT_TOKEN", TOKEN)
    assert cli.main(["migrate"]) == cli.EXIT_USAGE
    err = capsys.readouterr().err
    assert "log_format" in err and "'text' or 'json'" in err
    assert TOKEN not in err
