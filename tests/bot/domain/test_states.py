"""The ask state machine: every legal move succeeds once, every illegal one changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.domain.models import ACTIVE_ASK, ASK_TRANSITIONS, AskStatus
from bot.storage import requests as store
from bot.storage.schema import asks
from tests.support import GOOD_REQUEST, join_all, make_world

TERMINAL = set(AskStatus) - set(ASK_TRANSITIONS)


def test_only_active_states_can_move_and_terminal_states_are_final() -> None:
    assert set(ASK_TRANSITIONS) == set(ACTIVE_ASK)
    assert {
        AskStatus.ACCEPTED,
        AskStatus.DECLINED,
        AskStatus.NOT_NOW,
        AskStatus.SUGGESTED,
        AskStatus.EXPIRED,
        AskStatus.WITHDRAWN,
        AskStatus.DENIED,
    } == TERMINAL
    # A volunteer is only ever asked through a moderator's approval or directly, never back.
    assert AskStatus.PROPOSED not in {t for targets in ASK_TRANSITIONS.values() for t in targets}


@pytest.mark.parametrize("source", list(AskStatus))
async def test_transitions_from(tmp_path: Path, source: AskStatus) -> None:
    world = await make_world(tmp_path / "s.db")
    await join_all(world, ("priya",))
    await world.say("sam", GOOD_REQUEST)
    async with world.db.transaction() as conn:
        member_id = (
            await conn.execute(sa.text("select id from members where user_id='priya'"))
        ).scalar_one()
    for target in AskStatus:
        async with world.db.transaction() as conn:
            ask_id = await store.insert_ask(conn, 1, member_id, source, (), world.clock.now())
        legal = target in ASK_TRANSITIONS.get(source, frozenset())
        async with world.db.transaction() as conn:
            assert await store.transition_ask(conn, ask_id, target, world.clock.now()) is legal
            assert await store.transition_ask(conn, ask_id, target, world.clock.now()) is False
            status = (
                await conn.execute(sa.select(asks.c.status).where(asks.c.id == ask_id))
            ).scalar_one()
        assert status == (target if legal else source).value, (source, target)
    await world.db.dispose()
