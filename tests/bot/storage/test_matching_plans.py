"""Matching's hot queries read indexes on SQLite, never a whole table or a sort of one."""

from pathlib import Path

import sqlalchemy as sa

from bot.domain.matching import Postings
from bot.domain.models import RequestFields
from bot.storage import shortlist
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import volunteer_loads


async def _plan(db: Database, query: sa.Select[tuple[int]]) -> str:
    compiled = query.compile(dialect=db.engine.dialect)
    params = tuple(compiled.params[name] for name in compiled.positiontup or ())
    async with db.engine.connect() as conn:
        rows = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params)
        return "\n".join(str(r[-1]) for r in rows)


async def test_the_usual_request_reads_its_tiers_in_order_from_an_index(tmp_path: Path) -> None:
    db = Database(sqlite_url(tmp_path / "plans.db"))
    await db.migrate()
    try:
        fields = RequestFields(
            topic="data engineering",
            why="",
            questions=(),
            minutes=30,
            format="video",
            time_frame_days=14,
            affiliations=("MIT",),
        )
        tiers = shortlist._tiers(1, Postings.of(fields), near=False)
        assert len(tiers) == 2  # shares the affiliation, then doesn't
        by_affiliation = shortlist._sharing(1, "a:mit", "t:data engineering")
        for tier in (*tiers, by_affiliation):
            plan = await _plan(db, tier.offset(0).limit(8))
            assert plan.startswith(
                "SEARCH volunteer_keys USING COVERING INDEX ix_volunteer_keys_order"
            )
            assert "SCAN" not in plan and "TEMP B-TREE" not in plan
        stale = sa.select(volunteer_loads.c.member_id).where(
            volunteer_loads.c.load_until < sa.bindparam("now", "2026-01-01")
        )
        plan = await _plan(db, stale)
        assert "USING COVERING INDEX ix_volunteer_loads_load_until" in plan, plan
    finally:
        await db.dispose()
