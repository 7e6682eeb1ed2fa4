"""`bench/scale.py` at a tiny size, so the benchmark can't rot: its seeded rows read back
through the core, and a run prints the whole table (timings are the benchmark's business,
not the test's)."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from bench.scale import ROWS
from bench.seed import COMMUNITY, Size, member_actor, seed
from bot.app import Infochat
from bot.clock import FakeClock
from bot.commands import Command
from bot.storage import ledger, requests, volunteers
from bot.storage.database import Database
from bot.storage.schema import asks, communities, members

SCALE = Path(__file__).resolve().parents[1] / "bench" / "scale.py"
NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


async def test_seeded_rows_read_back_through_the_core(database_url: str) -> None:
    seeded = await seed(database_url, Size(40, 200, members=600, pending=10), NOW)
    db = Database(database_url)
    try:
        async with db.read() as conn:
            community_id = (
                await conn.execute(
                    sa.select(communities.c.id).where(
                        communities.c.external_id == COMMUNITY.external_id
                    )
                )
            ).scalar_one()
            assert len(await ledger.completed_chats(conn, community_id)) == 200
            page, waiting_approval = await requests.proposed_in(conn, community_id, 5)
            assert (len(page), waiting_approval) == (5, 10)
            assert (await conn.execute(sa.select(sa.func.count()).select_from(members))).scalar()
            member_id = (
                await conn.execute(
                    sa.select(members.c.id).where(
                        members.c.user_id == member_actor(seeded.volunteers[0]).user_id
                    )
                )
            ).scalar_one()
            profile = await volunteers.get_profile(conn, member_id)
            assert profile is not None and profile.active and profile.topics
            waiting = await conn.execute(sa.select(asks.c.asked_at).where(asks.c.status == "asked"))
            assert all(at is not None and at <= NOW for (at,) in waiting)
        app = Infochat(db, FakeClock(NOW))
        reply = await app.dispatch(
            Command(
                member_actor(seeded.seekers[0]),
                "request.create",
                "k1",
                "",
                {
                    "topic": "data science",
                    "why": "I analyse sales data and want to learn how data science work differs",
                    "questions": ("What does a week look like?", "Which skills mattered most?"),
                },
            )
        )
        assert reply.ok
    finally:
        await db.dispose()


TINY = (
    "--engine", "sqlite", "--sizes", "200+2000", "--members", "1000", "--pending", "50",
    "--commands", "3", "--digests", "1", "--queues", "2",
)  # fmt: skip


def test_a_tiny_run_prints_every_row_of_the_table() -> None:
    done = subprocess.run(
        [sys.executable, str(SCALE), *TINY],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode in (0, 1), done.stderr  # 1: some target missed
    lines = done.stdout.splitlines()
    for row in ROWS:
        label = row.label.format(pending="50")
        [line] = [line for line in lines if line.startswith(label)]
        assert line.rstrip().endswith(row.target())
        assert " PASS " in line or " FAIL " in line
    assert any(line.startswith("seeding (bulk SQL") for line in lines)
    assert "error" not in done.stdout
