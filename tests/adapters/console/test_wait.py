"""`wait`: the demo clock moves forward and what fell due happens in front of you."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from adapters.console.grammar import GrammarError, Wait, parse_line
from adapters.console.runner import ConsoleOptions, build_session
from bot.clock import SystemClock
from bot.config import Settings
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import jobs
from tests.adapters.console.conftest import Console, MakeConsole

REQUEST = (
    'sam /infochat request topic="data engineering" why="I am a backend developer moving toward '
    'data pipelines and want to hear how the work differs" q="What does a typical week look like '
    'in your role?" q="Which skills mattered most when you moved into data engineering?"'
)


def test_wait_amounts() -> None:
    assert parse_line("wait 3d") == Wait(timedelta(days=3))
    assert parse_line("wait 12 hours") == Wait(timedelta(hours=12))
    assert parse_line("WAIT 2w") == Wait(timedelta(weeks=2))
    for bad in ("wait", "wait soon", "wait 0d", "wait 400w", "wait -1d"):
        with pytest.raises(GrammarError):
            parse_line(bad)


async def test_waiting_brings_the_reminder_then_the_next_volunteer(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    volunteer = ' /infochat volunteer join role="Data engineer" org=Acme topics="data engineering" timezone=UTC'
    await console.play(
        "\n".join([f"priya{volunteer}", f"grace{volunteer}", REQUEST, "sam press Ask Priya"])
    )
    await console.play("wait 3d")
    assert any(
        "reminder" in (m.message.title or "") for m in console.private("priya", after="wait 3d")
    )
    await console.play("wait 4d")
    assert any(m.message.buttons for m in console.private("grace", after="wait 4d"))
    assert "time passes" in console.text


async def test_wait_is_refused_outside_demo_time(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = Database(sqlite_url(tmp_path / "real.db"))
    await db.migrate()
    output: list[str] = []
    session = build_session(
        db, Settings(data_dir=tmp_path), ConsoleOptions(), output.append, SystemClock()
    )
    from adapters.console.lines import ScriptSource

    await session.run(ScriptSource(["wait 3d"], output.append))
    assert "only works in demo mode" in "\n".join(output)
    await db.dispose()


def digests(console: Console) -> list[str]:
    return [m.message.text for m in console.channel("digest")]


async def test_wait_8d_posts_the_weekly_digest_that_fell_due(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)  # the clock starts on Monday 5 January, 09:00
    await console.play("sam /infochat help\nwait 8d")
    (digest,) = digests(console)
    assert "(5 Jan – 11 Jan)" in digest


async def test_one_wait_over_two_digest_times_posts_both_in_order(
    make_console: MakeConsole,
) -> None:
    console = await make_console(strict=True)
    await console.play("sam /infochat help\nwait 15d")
    first, second = digests(console)
    assert "(5 Jan – 11 Jan)" in first and "(12 Jan – 18 Jan)" in second
    assert console.channel("digest")[0].number < console.channel("digest")[1].number


async def test_jobs_within_a_wait_run_at_their_own_times(make_console: MakeConsole) -> None:
    console = await make_console(strict=True)
    volunteer = ' /infochat volunteer join role="Data engineer" org=Acme topics="data engineering" timezone=UTC'
    await console.play(
        "\n".join([f"priya{volunteer}", f"grace{volunteer}", REQUEST, "sam press Ask Priya"])
    )
    start = console.session.app.clock.now()
    # Priya's reminder (day 3), her ask lapsing (day 7) and Grace being asked, then Grace's
    # own reminder (day 10), scheduled within the wait: all in one.
    await console.play("wait 10d")
    assert any("reminder" in (m.message.title or "") for m in console.private("priya"))
    assert any("reminder" in (m.message.title or "") for m in console.private("grace"))
    async with console.session.app.db.transaction() as conn:
        ran = (
            await conn.execute(
                sa.select(jobs.c.kind, jobs.c.due_at, jobs.c.done_at)
                .where(jobs.c.status == "done", jobs.c.due_at > start)
                .order_by(jobs.c.done_at)
            )
        ).all()
    assert [(r.kind, r.due_at - start) for r in ran if r.kind.startswith("ask.")] == [
        ("ask.remind", timedelta(days=3)),
        ("ask.expire", timedelta(days=7)),
        ("ask.remind", timedelta(days=10)),
    ]
    assert all(r.done_at == r.due_at for r in ran)
    assert console.session.app.clock.now() == start + timedelta(days=10)
