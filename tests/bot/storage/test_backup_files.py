"""The backup copy and the run lock on their own: an interrupted copy leaves nothing behind,
a copy is checked before it gets its name, bots share the run lock and a restore excludes
them, and the lock goes with the process that held it."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.storage import run_lock
from bot.storage.backup import BackupError, back_up, rotate
from bot.storage.restore import put_back
from tests.support import make_world


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "data" / "infochat.db"

    async def seed() -> None:
        world = await make_world(path)
        await world.db.dispose()

    asyncio.run(seed())
    return path


def test_a_copy_interrupted_half_way_leaves_no_file_under_any_name(
    database: Path, tmp_path: Path
) -> None:
    target = tmp_path / "out" / "copy.db"
    target.parent.mkdir()

    def crash(done: int, total: int) -> None:
        if done >= 8:
            raise KeyboardInterrupt  # e.g. Ctrl-C during the copy

    with pytest.raises(KeyboardInterrupt):
        back_up(database, target, pages=4, pause=0, progress=crash)
    assert list(target.parent.iterdir()) == []


def test_a_copy_of_a_database_that_is_not_infochats_is_not_kept(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    target = tmp_path / "out.db"
    with pytest.raises(BackupError, match="isn't an infochat database"):
        back_up(other, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["other.db"]


def test_rotation_keeps_at_least_one(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        rotate(tmp_path, 0)


@pytest.mark.skipif(not run_lock.SUPPORTED, reason="no flock on this system")
def test_bots_share_the_run_lock_and_a_restore_excludes_them(database: Path) -> None:
    with run_lock.running(database), run_lock.running(database):
        with pytest.raises(run_lock.RunLockHeld) as held, run_lock.restoring(database):
            pass
        assert held.value.pid == os.getpid() and held.value.holder == run_lock.RUN
        assert "a bot is running on" in str(held.value)
    with run_lock.restoring(database) as locked:
        assert locked
        with (
            pytest.raises(run_lock.RunLockHeld, match="is being restored"),
            run_lock.running(database),
        ):
            pass
    with run_lock.running(None):  # PostgreSQL: nothing to lock
        pass


@pytest.mark.skipif(not run_lock.SUPPORTED, reason="no flock on this system")
def test_the_run_lock_goes_with_the_process_that_held_it(database: Path) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from pathlib import Path; from bot.storage import run_lock\n"
            "with run_lock.running(Path(sys.argv[1])):\n"
            "    print('held', flush=True); sys.stdin.read()",
            str(database),
        ],
        cwd=Path(__file__).resolve().parents[3],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "held\n"
        with pytest.raises(run_lock.RunLockHeld) as held, run_lock.restoring(database):
            pass
        assert held.value.pid == holder.pid
        holder.kill()  # a crash: no clean-up runs
        holder.wait(timeout=60)
        with run_lock.restoring(database) as locked:
            assert locked
    finally:
        if holder.poll() is None:
            holder.kill()
        holder.communicate(timeout=60)


def test_a_restore_that_fails_at_the_switch_puts_the_old_database_back(
    database: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backup = tmp_path / "backup.db"
    back_up(database, backup)
    rename = os.replace

    def failing(source: str | Path, target: str | Path) -> None:
        if Path(source).name.endswith(".restoring"):
            raise OSError("the disk gave up")
        rename(source, target)

    monkeypatch.setattr(os, "replace", failing)
    with pytest.raises(OSError, match="the disk gave up"):
        put_back(backup, database, datetime(2026, 1, 5, 9, tzinfo=UTC))
    # Only the database is there, its WAL folded into it (no before-restore file, no copy).
    assert os.listdir(database.parent) == ["infochat.db"]
    with sqlite3.connect(database) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    conn.close()
