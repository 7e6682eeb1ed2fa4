"""The README's console walkthrough of one community on two places (`scenarios/two_places.txt`):
the README shows exactly the script's lines, each is a console line, and the script plays."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from adapters.console.grammar import is_comment, parse_line
from adapters.console.runner import ConsoleOptions, build_session
from bot.clock import FakeClock
from bot.config import Settings
from bot.storage.database import Database, sqlite_url
from bot.storage.schema import members, places
from tests.adapters.console.conftest import SCENARIOS, Console

SCRIPT = SCENARIOS / "two_places.txt"
README = Path(__file__).resolve().parents[3] / "README.md"
SECTION = "## One community on Slack and Discord"


def script_lines() -> list[str]:
    lines = SCRIPT.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip() and not is_comment(line)]


def readme_walkthrough() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(SECTION) :]
    section = section[: section.index("\n## ", 1)]
    blocks: list[list[str]] = []
    inside = False
    for line in section.splitlines():
        if line.startswith("```"):
            inside = not inside
            if inside:
                blocks.append([])
        elif inside:
            blocks[-1].append(line)
    (block,) = [b for b in blocks if any(" /infochat" in line for line in b)]
    return [line for line in block if line.strip()]


def test_the_readme_shows_exactly_the_scripts_lines() -> None:
    assert readme_walkthrough() == script_lines()
    assert SCRIPT.relative_to(README.parent).as_posix() in README.read_text(encoding="utf-8")


def test_every_walkthrough_line_is_a_console_line() -> None:
    for line in script_lines():
        assert parse_line(line.replace("{code}", "K7QF-2MXH-9TRW")) is not None, line


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[Console]:
    """As the README starts it: `--community alumni --moderators mo,kim@campus`."""
    db = Database(sqlite_url(tmp_path / "two-places.db"))
    await db.migrate()
    output: list[str] = []
    options = ConsoleOptions(community="alumni", moderators=("mo", "kim@campus"), strict=True)
    session = build_session(db, Settings(data_dir=tmp_path), options, output.append, FakeClock())
    yield Console(session, output)
    await db.dispose()


async def test_the_walkthrough_plays_two_places_into_one_community(console: Console) -> None:
    assert await console.play(SCRIPT.read_text(encoding="utf-8")) == 0, console.text
    assert not console.refused()
    async with console.session.app.db.read() as conn:
        communities = set(
            (
                await conn.execute(
                    sa.select(places.c.community_id).where(places.c.platform == "console")
                )
            )
            .scalars()
            .all()
        )
        linked = (
            await conn.execute(sa.select(members.c.user_id).where(members.c.person_id.is_not(None)))
        ).all()
    assert len(communities) == 1  # alumni and campus are one community
    assert not linked  # priya unlinked her accounts at the end
    # sam's request on campus reached priya on alumni, as an ask with its buttons.
    asks = [m for m in console.private("priya") if m.kind == "dm" and m.sent.buttons]
    assert asks and all(m.place == "alumni" for m in asks)
    assert "[dm → priya@alumni]" in console.text
