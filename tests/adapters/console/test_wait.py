"""`wait`: the demo clock moves forward and what fell due happens in front of you."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.console.grammar import GrammarError, Wait, parse_line
from adapters.console.runner import ConsoleOptions, build_session
from bot.clock import SystemClock
from bot.config import Settings
from bot.storage.database import Database, sqlite_url
from tests.adapters.console.conftest import MakeConsole

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
