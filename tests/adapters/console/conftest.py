"""Play console lines in-process: a FakeClock, a SQLite file in tmp_path, output captured."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from adapters.console.lines import ScriptSource
from adapters.console.runner import ConsoleOptions, build_session
from adapters.console.session import ConsoleSession, Outcome
from adapters.console.transcript import ConsoleMessage
from bot.clock import FakeClock
from bot.config import Settings
from bot.storage.database import Database, sqlite_url

SCENARIOS = Path(__file__).parent / "scenarios"


@dataclass
class Console:
    session: ConsoleSession
    output: list[str] = field(default_factory=list)
    exit_code: int | None = None

    @property
    def text(self) -> str:
        return "\n".join(self.output)

    async def play(self, script: str) -> int:
        self.exit_code = await self.session.run(
            ScriptSource(script.splitlines(), self.output.append)
        )
        return self.exit_code

    def outcome(self, text: str) -> Outcome:
        """The first line that is `text`, or else starts with it."""
        outcomes = self.session.outcomes
        exact = [o for o in outcomes if o.text == text]
        return exact[0] if exact else next(o for o in outcomes if o.text.startswith(text))

    def refused(self) -> list[str]:
        return [o.text for o in self.session.outcomes if not o.ok]

    def private(self, member: str, *, after: str | None = None) -> list[ConsoleMessage]:
        """What `member` saw privately (replies, DMs, introductions), optionally only what
        came after the line `after`."""
        start = self.outcome(after).shown_before if after else 0
        return [m for m in self.session.transcript.private_to(member) if m.number > start]

    def during(self, text: str, member: str | None = None) -> list[ConsoleMessage]:
        """The messages the line `text` produced (for `member` only, if given)."""
        outcomes = self.session.outcomes
        index = outcomes.index(self.outcome(text))
        messages = self.session.transcript.messages
        end = outcomes[index + 1].shown_before if index + 1 < len(outcomes) else len(messages)
        produced = messages[outcomes[index].shown_before : end]
        return [m for m in produced if member is None or m.involves(member)]

    def channel(self, name: str) -> list[ConsoleMessage]:
        return self.session.transcript.in_channel(name)

    def groups(self) -> list[ConsoleMessage]:
        return [m for m in self.session.transcript.messages if m.kind == "group"]


MakeConsole = Callable[..., Awaitable[Console]]


@pytest.fixture
async def make_console(tmp_path: Path) -> AsyncIterator[MakeConsole]:
    databases: list[Database] = []

    async def make(*, strict: bool = False, moderators: tuple[str, ...] = ("mo", "mia")) -> Console:
        db = Database(sqlite_url(tmp_path / f"console{len(databases)}.db"))
        databases.append(db)
        await db.migrate()
        output: list[str] = []
        settings = Settings(data_dir=tmp_path)
        options = ConsoleOptions(strict=strict, moderators=moderators, community="test")
        session = build_session(db, settings, options, output.append, FakeClock())
        return Console(session, output)

    yield make
    for db in databases:
        await db.dispose()


def scenario(name: str) -> str:
    return (SCENARIOS / name).read_text(encoding="utf-8")
