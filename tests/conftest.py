from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.storage.database import sqlite_url
from tests.postgres import PostgresServer
from tests.support import World, make_world


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
    except (RuntimeError, OSError) as exc:
        pytest.skip(f"no PostgreSQL to test against: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test against each storage engine: a SQLite file, a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "infochat.db")
    server: PostgresServer = request.getfixturevalue("postgres")
    return await server.fresh_database()


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    w = await make_world(database_url)
    yield w
    await w.db.dispose()
