"""`infochat restore`: refuses (changing nothing) while a bot runs and for files it can't
use, keeps the old database aside with what its WAL held, migrates an older backup."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from adapters import cli
from bot.storage import run_lock
from tests.adapters.backup_support import (
    a_backup,
    data_dir,
    environment,
    infochat_command,
    refused,
    snapshot,
    volunteers_in,
)

__all__ = ["a_backup", "data_dir"]  # fixtures

# Each refusal leaves the data directory exactly as it was (`snapshot`).


def test_restore_refuses_a_file_that_is_not_a_sqlite_database(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all, " * 200)
    before = snapshot(data_dir)
    err = refused(["restore", str(garbage)], capsys)
    assert "isn't a readable SQLite database (file is not a database)" in err
    err = refused(["restore", str(tmp_path / "missing.db")], capsys)
    assert "There is no file" in err
    assert snapshot(data_dir) == before


def test_restore_refuses_a_sqlite_file_of_another_program(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    conn.close()
    before = snapshot(data_dir)
    assert "isn't an infochat database" in refused(["restore", str(other)], capsys)
    assert snapshot(data_dir) == before


def test_restore_refuses_a_backup_from_a_newer_infochat(
    data_dir: Path, a_backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(a_backup) as conn:
        conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.close()
    before = snapshot(data_dir)
    err = refused(["restore", str(a_backup)], capsys)
    assert "schema revision 9999_from_the_future" in err
    assert "newer infochat" in err
    assert snapshot(data_dir) == before


def test_restore_refuses_a_damaged_backup(
    data_dir: Path, a_backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with sqlite3.connect(a_backup) as conn:  # an index that no longer matches its table
        conn.execute("PRAGMA writable_schema = ON")
        changed = conn.execute(
            "UPDATE sqlite_master SET sql = replace(sql, 'public_recognition)', 'display_name)') "
            "WHERE type = 'index' AND tbl_name = 'members' AND sql LIKE '%public_recognition%'"
        ).rowcount
        assert changed == 1
    conn.close()
    before = snapshot(data_dir)
    assert "integrity check" in refused(["restore", str(a_backup)], capsys)
    assert snapshot(data_dir) == before


@pytest.fixture
def bot_running(data_dir: Path, tmp_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A real `infochat run` on the data directory: the console, waiting for lines on stdin."""
    bot = subprocess.Popen(
        [*infochat_command(), "run", "--script", "-"],
        env=environment(data_dir),
        cwd=tmp_path,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lock = run_lock.lock_path(data_dir / "infochat.db")
    try:
        for _ in range(1200):  # polls for up to a minute: the bot starting up
            if lock.exists() and lock.read_text() == f"run {bot.pid}\n":
                break
            assert bot.poll() is None, bot.communicate()
            threading.Event().wait(0.05)
        else:
            pytest.fail("the bot did not take the run lock")
        yield bot
    finally:
        if bot.poll() is None:
            bot.communicate(timeout=60)


@pytest.mark.skipif(not run_lock.SUPPORTED, reason="no flock on this system")
def test_restore_refuses_while_a_bot_runs_and_restores_once_it_stopped(
    data_dir: Path,
    a_backup: Path,
    bot_running: subprocess.Popen[str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    before = snapshot(data_dir)
    err = refused(["restore", str(a_backup)], capsys)
    assert f"a bot is running on {data_dir / 'infochat.db'} (pid {bot_running.pid})" in err
    assert snapshot(data_dir) == before

    bot_running.communicate(timeout=60)
    assert bot_running.returncode == 0
    assert cli.main(["restore", str(a_backup)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    assert "The previous database is kept as" in out
    (aside,) = data_dir.glob("infochat.db.before-restore-*")
    assert volunteers_in(aside) == {"priya"} == volunteers_in(data_dir / "infochat.db")


@pytest.mark.skipif(not run_lock.SUPPORTED, reason="no flock on this system")
def test_no_bot_starts_while_a_restore_holds_the_lock(data_dir: Path, tmp_path: Path) -> None:
    with run_lock.restoring(data_dir / "infochat.db") as locked:
        assert locked
        started = subprocess.run(
            [*infochat_command(), "run", "--script", "-"],
            env=environment(data_dir),
            cwd=tmp_path,
            input="",
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert started.returncode == 1
    assert f"is being restored (pid {os.getpid()})" in started.stderr


# A process that commits into the WAL, then dies without checkpointing it.
CRASH_AFTER_WRITING = """
import os, sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("PRAGMA wal_autocheckpoint = 0")
conn.execute("UPDATE members SET display_name = 'Only in the WAL' WHERE user_id = 'priya'")
os._exit(0)
"""


def test_the_old_database_is_kept_aside_with_what_only_its_wal_held(
    data_dir: Path, a_backup: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    database = data_dir / "infochat.db"
    crashed = subprocess.run(
        [sys.executable, "-c", CRASH_AFTER_WRITING, str(database)], check=False, timeout=60
    )
    assert crashed.returncode == 0
    assert database.with_name("infochat.db-wal").stat().st_size > 0
    assert cli.main(["restore", str(a_backup)]) == cli.EXIT_OK
    capsys.readouterr()
    (aside,) = data_dir.glob("infochat.db.before-restore-*")
    with sqlite3.connect(f"{aside.as_uri()}?mode=ro", uri=True) as conn:
        names = conn.execute("SELECT display_name FROM members").fetchall()
    assert names == [("Only in the WAL",)]
    with sqlite3.connect(database) as conn:
        assert conn.execute("SELECT display_name FROM members").fetchall() == [("Priya",)]
    assert not list(data_dir.glob(".infochat.db.restoring*"))


def test_without_flock_restore_says_it_cant_tell_whether_a_bot_runs(
    data_dir: Path,
    a_backup: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(run_lock, "SUPPORTED", False)
    assert cli.main(["restore", str(a_backup)]) == cli.EXIT_OK
    err = capsys.readouterr().err
    assert "this system has no flock" in err and "make sure it is stopped" in err


def test_a_backup_of_an_older_schema_is_migrated_to_the_newest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine

    from bot.storage.migrate import alembic_config

    old = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{old}")
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0005")
    engine.dispose()
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(tmp_path / "data"))
    assert cli.main(["restore", str(old)]) == cli.EXIT_OK
    out = capsys.readouterr().out
    with sqlite3.connect(tmp_path / "data" / "infochat.db") as conn:
        (current,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    conn.close()
    assert "(schema revision 0005)" in out and f"migrated to {current}." in out
    assert current == ScriptDirectory.from_config(alembic_config()).get_current_head() != "0005"
