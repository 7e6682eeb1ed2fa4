"""Copies of a SQLite database taken while bots write to it, and checks of such a copy.

The copy is made with SQLite's online backup API from a read-only connection that holds one
read transaction for the whole copy. The bot's database is in WAL mode, where a reader
never blocks the writer, so the copy is the database as it was when the backup started
(every transaction committed before then, none after), however long the copy takes and
however much the bot writes meanwhile; without the held transaction, SQLite would start
the copy over after every write by another connection and a busy bot could keep it from
ever finishing. It goes `PAGES` pages at a time with a short pause between steps, so the
copy's disk reads leave room for the bot's commits. (Meanwhile the WAL can't be checkpointed
past the copy's snapshot, so it grows by what the bot writes during the copy.)

The copy is written under a temporary name beside the target, switched to rollback-journal
mode (one self-contained file, no -wal beside it), checked (`PRAGMA integrity_check`, an
Alembic schema revision), flushed to disk, and only then renamed: a crash never leaves a half
copy under the final name. These functions block; callers run them in a thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import InfochatError

PAGES = 256  # pages per step: 1 MiB with SQLite's default 4 KiB pages
PAUSE = 0.005  # seconds between steps
BUSY_TIMEOUT = 10.0  # seconds a step waits for a lock, as the bot's own connections do
BACKUP_NAME = re.compile(r"infochat-\d{8}-\d{6}\.db")
SIDE_FILES = ("-wal", "-shm", "-journal")

# (pages copied so far, pages in all), after each step
Progress = Callable[[int, int], None]


class BackupError(InfochatError):
    """The copy can't be made or isn't a usable infochat database; nothing was written."""


@dataclass(frozen=True)
class Copied:
    path: Path
    size: int  # bytes
    revision: str  # the Alembic schema revision of the copy


def backup_name(now: datetime) -> str:
    """`infochat-YYYYMMDD-HHMMSS.db`, in UTC: names sort in time order."""
    return f"infochat-{now.astimezone(UTC):%Y%m%d-%H%M%S}.db"


def back_up(
    source: Path,
    target: Path,
    *,
    overwrite: bool = False,
    pages: int = PAGES,
    pause: float = PAUSE,
    progress: Progress | None = None,
) -> Copied:
    """Copy the database at `source` to the file `target` (see the module's note)."""
    if not source.is_file():
        raise BackupError(f"There is no database at {source} to back up.")
    _refuse_existing(target, overwrite)
    try:
        src = open_read_only(source)
    except sqlite3.Error as exc:
        raise BackupError(f"Can't open {source} as a SQLite database: {exc}.") from None
    try:
        return copy_database(
            src,
            target,
            overwrite=overwrite,
            pages=pages,
            pause=pause,
            progress=progress,
            what=str(source),
        )
    finally:
        src.close()


def copy_database(
    src: sqlite3.Connection,
    target: Path,
    *,
    overwrite: bool,
    what: str,
    pages: int = PAGES,
    pause: float = PAUSE,
    progress: Progress | None = None,
) -> Copied:
    """Copy the open database `src` (`what` names it in messages) to `target`, checked."""
    _refuse_existing(target, overwrite)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    os.close(fd)
    temp = Path(name)
    try:
        try:
            revision = _copy(src, temp, pages, pause, progress)
        except sqlite3.Error as exc:
            raise BackupError(f"Can't copy {what}: {exc}.") from None
        except BackupError as exc:
            raise BackupError(f"The copy of {what} isn't usable: {exc}") from None
        _flush(temp)
        _move_into_place(temp, target, overwrite)
    finally:
        discard(temp)
    _flush_directory(target.parent)
    return Copied(target, target.stat().st_size, revision)


def open_read_only(path: Path) -> sqlite3.Connection:
    """A connection that can't change the file (and doesn't create one that's missing)."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT, isolation_level=None)


def schema_revision(conn: sqlite3.Connection) -> str:
    """The database's Alembic revision, after SQLite's integrity check; `BackupError` when it
    fails the check or isn't a migrated infochat database. (`sqlite3.Error` for a file that
    isn't SQLite at all.)"""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
    if problems != ["ok"]:
        shown = "; ".join(str(p) for p in problems[:3])
        raise BackupError(f"it fails SQLite's integrity check ({shown}).")
    table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if table is None:
        raise BackupError("it has no alembic_version table, so it isn't an infochat database.")
    rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    if len(rows) != 1 or not rows[0][0]:
        raise BackupError("its alembic_version table holds no single schema revision.")
    return str(rows[0][0])


def rotate(directory: Path, keep: int) -> list[Path]:
    """Delete the `infochat-YYYYMMDD-HHMMSS.db` files in `directory` beyond the `keep` newest
    (by the time in their names); other files are never touched. The deleted ones, oldest
    first."""
    if keep < 1:
        raise ValueError("keep at least one backup")
    backups = sorted(p for p in directory.iterdir() if BACKUP_NAME.fullmatch(p.name))
    old = [p for p in backups[: max(0, len(backups) - keep)] if p.is_file()]
    for path in old:
        path.unlink()
    return old


def discard(path: Path) -> None:
    """Remove a file and whatever SQLite may have left beside it."""
    for name in (path, *(path.with_name(path.name + s) for s in SIDE_FILES)):
        with contextlib.suppress(FileNotFoundError):
            name.unlink()


def _copy(
    src: sqlite3.Connection, temp: Path, pages: int, pause: float, progress: Progress | None
) -> str:
    def step(_status: int, remaining: int, total: int) -> None:
        if progress is not None:
            progress(total - remaining, total)
        if remaining and pause > 0:
            time.sleep(pause)

    dst = sqlite3.connect(temp, isolation_level=None)
    try:
        src.execute("BEGIN")  # one snapshot for the whole copy (see the module's note)
        try:
            src.execute("SELECT count(*) FROM sqlite_master").fetchone()
            src.backup(dst, pages=pages, progress=step)
        finally:
            src.execute("COMMIT")
        # The copied header says WAL when the source is in WAL mode: make it one plain file.
        dst.execute("PRAGMA journal_mode=DELETE")
        return schema_revision(dst)
    finally:
        dst.close()


def _refuse_existing(target: Path, overwrite: bool) -> None:
    if target.is_dir():
        raise BackupError(f"{target} is a directory.")
    if not target.parent.is_dir():
        raise BackupError(f"There is no directory {target.parent} to write {target.name} in.")
    if target.exists() and not overwrite:
        raise BackupError(f"{target} exists already; give --force to replace it.")


def _move_into_place(temp: Path, target: Path, overwrite: bool) -> None:
    leftovers = [s for s in SIDE_FILES if temp.with_name(temp.name + s).exists()]
    if leftovers:  # a journal beside it would be needed to read the copy right
        raise BackupError(f"The copy still has {', '.join(leftovers)} beside it.")
    if overwrite:
        os.replace(temp, target)
        return
    try:
        os.link(temp, target)  # fails rather than replace a file that appeared meanwhile
    except FileExistsError:
        raise BackupError(f"{target} exists already; give --force to replace it.") from None
    except OSError:  # a file system without hard links
        if target.exists():
            raise BackupError(f"{target} exists already; give --force to replace it.") from None
        os.replace(temp, target)


def _flush(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _flush_directory(directory: Path) -> None:
    """Make a rename durable (POSIX; Windows can't open a directory)."""
    if os.name == "posix":
        _flush(directory)
