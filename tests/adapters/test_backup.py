"""`infochat backup`: a copy taken while a bot writes holds everything committed before it
started, restores into a fresh data directory, and the bot works on it; the file, directory,
rotation and PostgreSQL cases."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
from pathlib import Path

import pytest

from adapters import cli
from bot.storage.backup import back_up
from tests.adapters.backup_support import (
    JOIN,
    data_dir,
    environment,
    infochat_command,
    integrity,
    refused,
    volunteers_in,
)
from tests.support import World, make_world

WRITERS = 4  # commands dispatched concurrently
__all__ = ["data_dir"]  # a fixture


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


def test_the_readme_backup_commands_parse_as_shown() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("### Backups", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    lines = [line.split("#", 1)[0].split() for line in block.splitlines() if line.strip()]
    assert lines[0] == ["mkdir", "-p", "backups"]  # `--keep` wants the directory to exist
    commands = lines[1:]
    assert [words[:2] for words in commands] == [
        ["infochat", "backup"],
        ["infochat", "backup"],
        ["infochat", "restore"],
    ]
    parser = cli.build_parser()
    kept = parser.parse_args(commands[0][1:])
    assert (kept.path, kept.keep) == ("backups", 14)
    for words in commands[1:]:
        parser.parse_args(words[1:])


def test_an_in_memory_database_has_no_file_to_back_up(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("INFOCHAT_DATABASE_URL", "sqlite+aiosqlite:///:memory:")
    err = refused(["backup", "copy.db"], capsys, cli.EXIT_USAGE)
    assert "works on a SQLite database file" in err and "pg_dump" not in err
    assert "works on a SQLite database file" in refused(["restore", "x.db"], capsys, 2)
