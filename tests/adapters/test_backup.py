"""`infochat backup` and `infochat restore`: a copy taken while a bot writes holds everything
committed before it started, restores into a fresh data directory, and the bot works on it;
restore refuses (changing nothing) while a bot runs, and for files it can't use."""

from __future__ import annotations

import asyncio
import hashlib
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
from bot.storage.backup import back_up
from tests.support import World, make_world

WRITERS = 4  # commands dispatched concurrently
JOIN = 'role="Engineer" org=Acme topics="data engineering" timezone=UTC'


def infochat_command() -> list[str]:
    script = Path(sys.executable).with_name("infochat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "adapters.cli"]


def environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("INFOCHAT_")}
    env["INFOCHAT_DATA_DIR"] = str(data_dir)
    return env


class Writers:
    """Members joining as volunteers, `WRITERS` commands at a time, until stopped; `started`
    and `done` are in order of dispatch and of commit."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.started: list[str] = []
        self.done: list[str] = []
        self.stop = asyncio.Event()
        self.committed = asyncio.Event()  # set at each commit
        self.tasks: list[asyncio.Task[None]] = []
        self.after: int | None = None  # index in `started` after which to count commits
        self.committed_after = threading.Event()  # three such commands have committed

    def __enter__(self) -> Writers:
        self.tasks = [asyncio.create_task(self._write(w)) for w in range(WRITERS)]
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()

    async def finish(self) -> None:
        self.stop.set()
        await asyncio.gather(*self.tasks)

    async def wait_for(self, count: int) -> None:
        async with asyncio.timeout(60):
            while len(self.done) < count:
                self.committed.clear()
                await self.committed.wait()

    async def _write(self, writer: int) -> None:
        n = 0
        while not self.stop.is_set():
            user = f"w{writer}n{n}"
            n += 1
            self.started.append(user)
            reply = await self.world.app.dispatch_text(
                self.world.actor(user), f"/infochat volunteer join {JOIN}", f"join-{user}"
            )
            assert reply.ok, reply.messages
            self.done.append(user)
            self.committed.set()
            after = self.after
            if after is not None and len(set(self.done) & set(self.started[after:])) >= 3:
                self.committed_after.set()


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


def header_journal_versions(path: Path) -> tuple[int, int]:
    """Bytes 18 and 19 of a SQLite file: (1, 1) rollback journal, (2, 2) WAL."""
    head = path.read_bytes()[:20]
    return head[18], head[19]


async def the_restored_bot_works(data_dir: Path, must_hold: list[str]) -> None:
    database = data_dir / "infochat.db"
    assert integrity(database) == [("ok",)]
    assert set(must_hold) <= volunteers_in(database)
    restored = await make_world(database)
    try:
        current, head = await restored.db.schema_revisions()
        assert current == head
        reply = await restored.say("newcomer", f"/infochat volunteer join {JOIN}")
        assert reply.ok, reply.messages
    finally:
        await restored.db.dispose()


async def test_a_backup_taken_during_writes_holds_what_was_committed_before_it_started(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    live = tmp_path / "live" / "infochat.db"
    world = await make_world(live)
    copy = tmp_path / "copy.db"
    writers = Writers(world)
    steps: list[int] = []

    def step(done: int, total: int) -> None:
        """In the backup's thread, its snapshot held: let the bot commit three more
        commands that it started only now, then go on."""
        if not steps:
            writers.after = len(writers.started)
            assert writers.committed_after.wait(timeout=60), "the bot's writes were held up"
        steps.append(done)

    try:
        with writers:
            await writers.wait_for(20)
            before = list(writers.done)
            copied = await asyncio.to_thread(
                back_up, live, copy, pages=4, pause=0.001, progress=step
            )
            after = writers.started[writers.after or 0 :]
            await writers.wait_for(len(writers.done) + 5)  # the bot goes on after the copy
        await writers.finish()
    finally:
        await world.db.dispose()
    assert len(steps) > 5  # the copy went in several steps, the bot writing between them
    assert copied.size == copy.stat().st_size and copied.revision
    assert integrity(copy) == [("ok",)]
    assert header_journal_versions(copy) == (1, 1)
    assert not copy.with_name("copy.db-wal").exists()
    held = volunteers_in(copy)
    assert set(before) <= held  # everything committed before the backup started
    assert not held & set(after)  # and nothing begun after it took its snapshot
    assert sorted(os.listdir(tmp_path)) == ["copy.db", "live"]  # no partial file left

    fresh = tmp_path / "fresh"
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(fresh))
    assert await asyncio.to_thread(cli.main, ["restore", str(copy)]) == cli.EXIT_OK
    await the_restored_bot_works(fresh, before)
    assert volunteers_in(fresh / "infochat.db") == held | {"newcomer"}


async def test_the_backup_command_in_another_process_while_the_bot_writes(
    tmp_path: Path,
) -> None:
    live = tmp_path / "live"
    world = await make_world(live / "infochat.db")
    backups = tmp_path / "backups"
    backups.mkdir()
    try:
        with Writers(world) as writers:
            await writers.wait_for(20)
            before = list(writers.done)
            process = await asyncio.create_subprocess_exec(
                *infochat_command(),
                "backup",
                str(backups),
                "--keep",
                "3",
                env=environment(live),
                cwd=tmp_path,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await asyncio.wait_for(process.communicate(), 120)
            during = len(writers.done) - len(before)
        await writers.finish()
    finally:
        await world.db.dispose()
    assert process.returncode == 0, out.decode() + err.decode()
    assert during > 0  # the bot went on writing while the other process copied
    (copy,) = backups.iterdir()
    assert copy.name.startswith("infochat-") and copy.suffix == ".db"
    text = out.decode()
    assert f"to {copy}" in text and "schema revision" in text and "bytes" in text

    fresh = tmp_path / "fresh"
    restored = await asyncio.to_thread(
        subprocess.run,
        [*infochat_command(), "restore", str(copy)],
        env=environment(fresh),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "There was no database before." in restored.stdout
    await the_restored_bot_works(fresh, before)


# Restore's refusals: each leaves the data directory exactly as it was.


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


# Backup's own options and refusals.


def test_keep_deletes_only_the_older_backups_of_the_dated_pattern(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "backups"
    directory.mkdir()
    old = [f"infochat-2026010{d}-030000.db" for d in range(1, 6)]
    others = [
        "infochat-latest.db",
        "infochat-20260101-030000.db.bak",
        "my-infochat-20260101-030000.db",
        "infochat-2026011-030000.db",
        "notes.txt",
    ]
    for name in old + others:
        (directory / name).write_text("x")
    assert cli.main(["backup", str(directory), "--keep", "3"]) == cli.EXIT_OK
    out = capsys.readouterr().out
    left = sorted(p.name for p in directory.iterdir())
    (new,) = [n for n in left if n not in old + others]
    assert new.startswith("infochat-2026") and integrity(directory / new) == [("ok",)]
    assert left == sorted([new, old[3], old[4], *others])
    for name in old[:3]:
        assert f"Deleted the older backup {directory / name}." in out


def test_backup_refuses_to_overwrite_a_file_unless_forced(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "mine.db"
    target.write_text("keep me")
    assert "exists already; give --force" in refused(["backup", str(target)], capsys)
    assert target.read_text() == "keep me"
    err = refused(["backup", str(target), "--keep", "2"], capsys, cli.EXIT_USAGE)
    assert f"There is no directory {target}: create it first" in err
    err = refused(["backup", f"{tmp_path / 'nowhere'}/"], capsys, cli.EXIT_USAGE)
    assert "There is no directory" in err
    assert cli.main(["backup", str(target), "--force"]) == cli.EXIT_OK
    assert integrity(target) == [("ok",)]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "mine.db"]


def test_backup_without_a_database_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATA_DIR", str(tmp_path / "empty"))
    err = refused(["backup", str(tmp_path)], capsys)
    assert "There is no database at" in err
    assert not (tmp_path / "empty").exists()


def test_keep_must_be_a_positive_number(data_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        cli.main(["backup", str(tmp_path), "--keep", "0"])


def test_on_postgresql_backup_and_restore_print_the_pg_commands_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = "postgresql+asyncpg://infochat:s3cret-pw@db.example.org:5432/infochat"
    monkeypatch.setenv("INFOCHAT_DATABASE_URL", url)
    dump = tmp_path / "infochat.dump"
    err = refused(["backup", str(dump)], capsys, cli.EXIT_USAGE)
    assert "SQLite's online backup doesn't apply" in err
    assert (
        f"pg_dump --format=custom --file={dump} "
        "'postgresql://infochat@db.example.org:5432/infochat'" in err
    )
    err2 = refused(["restore", str(dump)], capsys, cli.EXIT_USAGE)
    assert f"--dbname='postgresql://infochat@db.example.org:5432/infochat' {dump}" in err2
    assert "pg_restore" in err2 and "infochat migrate" in err2
    for text in (err, err2):
        assert "s3cret-pw" not in text and "+asyncpg" not in text.split("\n", 1)[1]
    assert list(tmp_path.iterdir()) == []


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


def test_the_readme_backup_commands_parse_as_shown() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Backups", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].split() for line in block.splitlines() if line.strip()]
    assert [words[:2] for words in lines] == [
        ["infochat", "backup"],
        ["infochat", "backup"],
        ["infochat", "restore"],
    ]
    parser = cli.build_parser()
    nightly = parser.parse_args(lines[0][1:])  # what deploy/'s backup timer runs
    assert (nightly.path, nightly.keep) == ("/var/lib/infochat/backups", 14)
    for words in lines[1:]:
        parser.parse_args(words[1:])


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


def test_an_in_memory_database_has_no_file_to_back_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    err = refused(["backup", "copy.db"], capsys, cli.EXIT_USAGE)
    assert "works on a SQLite database file" in err and "pg_dump" not in err
    assert "works on a SQLite database file" in refused(["restore", "x.db"], capsys, 2)
