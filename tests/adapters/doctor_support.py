"""Running `infochat doctor` in-process for the tests: a migrated database, settings, and the
checklist it printed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.doctor import doctor
from bot.commands import CommunityRef
from bot.config import Settings
from bot.domain.community import CommunitySettings
from bot.storage.database import Database, sqlite_url
from bot.storage.members import get_or_create_community


@dataclass
class Report:
    status: int
    lines: list[str]

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def failed(self) -> list[str]:
        return [line.strip() for line in self.lines if line.strip().startswith("✘")]

    def passed(self) -> list[str]:
        return [line.strip() for line in self.lines if line.strip().startswith("✔")]

    def line(self, *words: str) -> str:
        """The one check line holding all of `words`."""
        found = [line.strip() for line in self.lines if all(w in line for w in words)]
        assert len(found) == 1, (words, self.text)
        return found[0]


async def migrated(data_dir: Path) -> Path:
    db = Database(sqlite_url(data_dir / "infochat.db"))
    await db.migrate()
    await db.dispose()
    return data_dir


async def diagnose(within: float = 5.0, **values: Any) -> Report:
    lines: list[str] = []
    status = await doctor(Settings(**values), lines.append, within=within)
    return Report(status, lines)


async def met(data_dir: Path, ref: CommunityRef, settings: CommunitySettings) -> None:
    """The bot has met this community, which keeps these settings."""
    db = Database(sqlite_url(data_dir / "infochat.db"))
    try:
        async with db.transaction() as conn:
            await get_or_create_community(conn, ref, settings, datetime.now(UTC))
    finally:
        await db.dispose()


def one_problem(report: Report, *words: str) -> str:
    """The report's only ✘ line, which holds `words`; exit status 1."""
    assert report.status == 1, report.text
    assert len(report.failed()) == 1, report.text
    line = report.failed()[0]
    for word in words:
        assert word in line, (word, line)
    return line
