"""The operations server: /healthz, /readyz with each check failing in turn (the database
unreadable then readable again, the schema behind, a platform down, a stale outbox) and
/metrics in Prometheus' text format, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families

from adapters.ops import Ops, application, serving
from adapters.supervise import PlatformState
from bot.metrics import Metrics
from bot.outbox import enqueue
from bot.storage.database import sqlite_url
from bot.storage.schema import communities
from bot.views import Destination, Message
from tests.support import World, make_world

Client = TestClient[Any, Any]


def ops_of(world: World, **platforms: bool) -> Ops:
    states = {name: PlatformState(name, connected=up) for name, up in platforms.items()}
    path = Path(world.db.url.database or "") if world.db.is_sqlite else None
    return Ops(world.db, world.clock, Metrics(), states, 300.0, path)


@pytest.fixture
async def client_of() -> AsyncIterator[Any]:
    clients: list[Client] = []

    async def make(ops: Ops) -> Client:
        client: Client = TestClient(TestServer(application(ops), host="127.0.0.1"))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


async def readiness(client: Client) -> tuple[int, dict[str, Any]]:
    response = await client.get("/readyz")
    return response.status, json.loads(await response.text())


async def a_message(world: World, age: timedelta) -> None:
    """One message due since `age` ago, in the community `help` created."""
    assert (await world.say("sam", "/infochat help")).ok
    async with world.db.transaction() as conn:
        community = (await conn.execute(sa.select(communities.c.id))).scalar_one()
        member = Destination(kind="member", user_ids=("sam",))
        await enqueue(conn, community, member, Message(text="hi"), world.clock.now() - age)


async def test_healthz_and_a_ready_process(world: World, client_of: Any) -> None:
    client = await client_of(ops_of(world, slack=True, discord=True))
    response = await client.get("/healthz")
    assert response.status == 200 and await response.json() == {"status": "ok"}
    status, body = await readiness(client)
    assert status == 200, body
    assert body["failed"] == [] and body["status"] == "ready"
    assert {"database", "schema", "outbox", "platform:slack", "platform:discord"} <= body.keys()


async def test_a_platform_not_connected_is_not_ready(world: World, client_of: Any) -> None:
    ops = ops_of(world, slack=True, discord=False)
    ops.platforms["discord"].last_error = "DiscordStartError: Discord refused the token"
    status, body = await readiness(await client_of(ops))
    assert status == 503 and body["failed"] == ["platform:discord"]
    assert body["platform:discord"]["error"] == "DiscordStartError: Discord refused the token"


async def test_a_schema_behind_the_newest_migration_is_not_ready(
    world: World, client_of: Any
) -> None:
    async with world.db.transaction() as conn:
        await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0007'"))
    status, body = await readiness(await client_of(ops_of(world)))
    assert status == 503 and body["failed"] == ["schema"]
    assert "infochat migrate" in body["schema"]["error"]


async def test_a_message_due_too_long_is_not_ready(world: World, client_of: Any) -> None:
    client = await client_of(ops_of(world))
    await a_message(world, timedelta(seconds=299))
    status, body = await readiness(client)
    assert status == 200 and body["outbox"]["pending"] == 1
    world.clock.advance(timedelta(seconds=2))
    status, body = await readiness(client)
    assert status == 503 and body["failed"] == ["outbox"]
    assert body["outbox"]["oldest_due_seconds"] == pytest.approx(301, abs=0.5)


async def test_metrics_parse_and_show_the_outbox(world: World, client_of: Any) -> None:
    ops = ops_of(world, slack=True)
    ops.metrics.platform("slack", connected=True, reconnect=True)
    client = await client_of(ops)
    await a_message(world, timedelta(seconds=42))
    response = await client.get("/metrics")
    assert response.status == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(await response.text())}
    (pending,) = families["infochat_outbox_pending"].samples
    (age,) = families["infochat_outbox_oldest_pending_age_seconds"].samples
    assert pending.value == 1 and age.value == pytest.approx(42)
    (connected,) = families["infochat_platform_connected"].samples
    assert connected.labels == {"platform": "slack"} and connected.value == 1


async def test_an_unreadable_database_file_is_not_ready_until_it_is_back(
    tmp_path: Path, client_of: Any
) -> None:
    """The file is moved away and garbage put in its place, then put back: chmod 000 would
    not stop reads when the tests run as root."""
    world = await make_world(tmp_path / "infochat.db")
    try:
        client = await client_of(ops_of(world))
        assert (await readiness(client))[0] == 200
        path = tmp_path / "infochat.db"
        path.rename(tmp_path / "moved.db")
        path.write_bytes(b"this is not a database " * 200)
        status, body = await readiness(client)
        assert status == 503 and "database" in body["failed"]
        assert "not a SQLite database" in body["database"]["error"]
        path.unlink()
        status, body = await readiness(client)
        assert status == 503 and "database" in body["failed"]  # gone altogether
        (tmp_path / "moved.db").rename(path)
        status, body = await readiness(client)
        assert status == 200, body
    finally:
        await world.db.dispose()


async def test_the_server_listens_where_it_is_told_and_is_off_when_empty(
    tmp_path: Path,
) -> None:
    world = await make_world(sqlite_url(tmp_path / "infochat.db"))
    try:
        async with serving(ops_of(world), None) as port:
            assert port is None
        async with serving(ops_of(world), ("127.0.0.1", 0)) as port:
            assert port is not None and port > 0
            async with TestClient(TestServer(application(ops_of(world)))) as client:
                assert (await client.get("/healthz")).status == 200
    finally:
        await world.db.dispose()
