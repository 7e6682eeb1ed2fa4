"""A real `infochat run` with a Discord token, at DEBUG, logging in text and in JSON, against
the fake REST API and gateway: the token (which discord.py sends in every request and in
IDENTIFY) and the database password appear in no line, and every JSON line parses. A token
Discord refuses is not logged either."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.storage.database import sqlite_url
from tests.adapters.discord.gateway import FakeGateway
from tests.adapters.discord.harness import FakeDiscord
from tests.adapters.discord.payloads import GUILD_ID, slash
from tests.adapters.discord.session import CALLBACK, USERS
from tests.adapters.process import (
    assert_context_logged,
    environment,
    infochat_run,
    run_until_logged,
)
from tests.postgres import PostgresServer

TOKEN = "MTA0DISCORDTOKEN.Gx7Yq2.s3cr3t-VALUE"
PASSWORD = "DBPASSWORD-8c1f"
SECRETS = (TOKEN, "DISCORDTOKEN", PASSWORD)


@pytest.fixture
async def gateway(fake: FakeDiscord) -> AsyncIterator[FakeGateway]:
    server = FakeGateway()
    await server.start()
    fake.gateway_url = server.url
    yield server
    await server.close()


@pytest.fixture
async def secret_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A PostgreSQL database whose URL holds a password (the test server trusts local
    logins, so it is carried, logged if anything logs the URL, and never checked). Without
    PostgreSQL on the machine, a SQLite file: the tokens are still checked."""
    try:
        postgres: PostgresServer = request.getfixturevalue("postgres")
    except pytest.skip.Exception:
        return sqlite_url(tmp_path / "infochat.db")
    url = await postgres.fresh_database()
    user, rest = url.split("://", 1)[1].split("@", 1)
    return f"postgresql+asyncpg://{user}:{PASSWORD}@{rest}"


def assert_no_secret(output: str) -> None:
    assert output.strip(), "the run logged nothing: nothing was checked"
    for secret in SECRETS:
        assert secret not in output


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_debug_run_logs_no_secret(
    fake: FakeDiscord,
    gateway: FakeGateway,
    secret_database_url: str,
    tmp_path: Path,
    log_format: str,
) -> None:
    env = environment(
        tmp_path,
        log_level="DEBUG",
        log_format=log_format,
        database_url=secret_database_url,
        discord_token=TOKEN,
        discord_api_base=fake.base,
        discord_guild_id=GUILD_ID,
    )
    async with infochat_run(tmp_path, env) as run:
        await gateway.ready(within=30)
        assert gateway.identify[0]["token"] == TOKEN  # it was in use
        for payload in (
            slash(USERS["sam"], "sam", "help"),
            slash(USERS["sam"], "sam", "my-data", what="export"),
        ):
            await gateway.push("INTERACTION_CREATE", payload)
            await fake.wait_for("POST", CALLBACK.format(id=payload["id"]), within=30)
        # The export is a delivery: the outbox's worker sends it to the member's DMs.
        await fake.wait_for("POST", r"/channels/\d+/messages", within=30)
    assert run.process.returncode == 0  # SIGTERM: a clean stop
    assert_no_secret(run.output)
    assert "discord." in run.output  # discord.py's own DEBUG lines are among them
    assert_context_logged(run, log_format)


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_refused_token_is_not_logged(
    fake: FakeDiscord, tmp_path: Path, log_format: str
) -> None:
    fake.fail("GET", "/users/@me", 401, {"message": "401: Unauthorized", "code": 0})
    env = environment(
        tmp_path,
        log_level="DEBUG",
        log_format=log_format,
        discord_token=TOKEN,
        discord_api_base=fake.base,
    )
    # Refused, it is retried with backoff (the other platform would go on); SIGTERM ends it.
    run = await run_until_logged(tmp_path, env, "retrying in")
    assert run.process.returncode == 0
    assert "refused the token" in run.output
    assert_no_secret(run.output)
    if log_format == "json":
        assert run.json_lines()
