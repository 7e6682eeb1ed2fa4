"""What the backup and restore tests share: a data directory with a bot's database, a
backup of it, the real `infochat` command, and readings of a SQLite file."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import sys
from pathlib import Path

import pytest

from adapters import cli
from tests.support import make_world

JOIN = 'role="Engineer" org=Acme topics="data engineering" timezone=UTC'


def infochat_command() -> list[str]:
    script = Path(sys.executable).with_name("infochat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env["INFOCHAT_DATA_DIR"] = str(data_dir)
    return env


def volunteers_in(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT m.user_id FROM members m JOIN volunteers v ON v.member_id = m.id"
        ).fetchall()
        orphans = conn.execute(
            "SELECT count(*) FROM members m LEFT JOIN volunteers v ON v.member_id = m.id "
            "WHERE v.member_id IS NULL"
        ).fetchone()
    assert orphans == (0,)  # a join's member and volunteer rows come in one transaction
    return {r[0] for r in rows}


def integrity(path: Path) -> list[tuple[str]]:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchall()


def snapshot(directory: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(directory.iterdir())
        if p.is_file()
    }


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data directory with a bot's database in it (one member joined), configured."""
    directory = tmp_path / "data"
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(directory))

    async def seed() -> None:
        world = await make_world(directory / "infochat.db")
        try:
            assert (await world.say("priya", f"/infochat volunteer join {JOIN}")).ok
        finally:
            await world.db.dispose()

    asyncio.run(seed())
    return directory


@pytest.fixture
def a_backup(data_dir: Path, tmp_path: Path) -> Path:
    path = tmp_path / "good.db"
    assert cli.main(["backup", str(path)]) == cli.EXIT_OK
    return path


def refused(argv: list[str], capsys: pytest.CaptureFixture[str], status: int = 1) -> str:
    assert cli.main(argv) == status
    captured = capsys.readouterr()
    assert captured.out == ""
    return captured.err
