"""Putting a backup back as the database: checks first, then the old file aside, then the copy.

`check_backup` refuses, before anything changes, a file that isn't an infochat SQLite
database or whose schema is newer than this code knows. `put_back` keeps the current
database as `<name>.before-restore-YYYYMMDD-HHMMSS` (its WAL checkpointed into it first, or,
when that fails, its -wal and -shm moved along under the matching names, so SQLite still
reads it whole), and copies the backup in under a temporary name, renamed when complete.
The caller holds the run lock (`run_lock.restoring`) and migrates the result. These
functions block; callers run them in a thread.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import InfochatError
from bot.storage.backup import (
    SIDE_FILES,
    BackupError,
    copy_database,
    open_read_only,
    schema_revision,
)


class RestoreRefused(InfochatError):
    """The backup can't be restored; nothing was changed."""


@dataclass(frozen=True)
class Restored:
    revision: str  # the backup's schema revision, before migrating
    aside: Path | None  # where the previous database was kept, if there was one


def check_backup(file: Path) -> str:
    """The backup's schema revision, or `RestoreRefused` saying why it can't be restored."""
    if not file.is_file():
        raise RestoreRefused(f"There is no file {file}.")
    try:
        conn = open_read_only(file)
    except sqlite3.Error as exc:
        raise RestoreRefused(f"Can't open {file}: {exc}.") from None
    try:
        revision = schema_revision(conn)
    except sqlite3.Error as exc:
        raise RestoreRefused(f"{file} isn't a readable SQLite database ({exc}).") from None
    except BackupError as exc:
        raise RestoreRefused(f"{file} can't be restored: {exc}") from None
    finally:
        conn.close()
    from alembic.script import ScriptDirectory  # Alembic is only loaded when asked

    from bot.storage.migrate import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    known = {migration.revision for migration in script.walk_revisions()}
    if revision not in known:
        raise RestoreRefused(
            f"{file} has schema revision {revision}, which this infochat doesn't know (its "
            f"newest is {script.get_current_head()}): it was made by a newer infochat, or "
            "by another program. Upgrade infochat first."
        )
    return revision


def put_back(file: Path, database: Path, now: datetime) -> Restored:
    """Replace `database` with a copy of the backup `file` (checked with `check_backup`)."""
    if database.exists() and file.resolve() == database.resolve():
        raise RestoreRefused(f"{file} is the database itself.")
    database.parent.mkdir(parents=True, exist_ok=True)
    staged = database.with_name(f".{database.name}.restoring")
    src = open_read_only(file)
    try:
        copied = copy_database(src, staged, overwrite=True, what=str(file))
    except BackupError as exc:
        raise RestoreRefused(str(exc)) from None
    finally:
        src.close()
    aside: Path | None = None
    try:
        _owned_like(staged, database)
        aside = _set_aside(database, now)
        os.replace(staged, database)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()
        if aside is not None and not database.exists():  # put the old one back
            _move_files(aside, database)
        raise
    return Restored(copied.revision, aside)


def aside_name(database: Path, now: datetime) -> Path:
    stamp = f"{now.astimezone(UTC):%Y%m%d-%H%M%S}"
    path = database.with_name(f"{database.name}.before-restore-{stamp}")
    n = 2
    while any(path.with_name(path.name + s).exists() for s in ("", *SIDE_FILES)):
        path = database.with_name(f"{database.name}.before-restore-{stamp}-{n}")
        n += 1
    return path


def _set_aside(database: Path, now: datetime) -> Path | None:
    """Move the database (and whatever SQLite keeps beside it) to its before-restore name."""
    if not database.exists():
        return None
    _checkpoint(database)
    aside = aside_name(database, now)
    _move_files(database, aside)
    return aside


def _move_files(source: Path, target: Path) -> None:
    """Rename a database file and the files SQLite keeps beside it, as one."""
    for suffix in ("", *SIDE_FILES):
        with contextlib.suppress(FileNotFoundError):
            os.replace(
                source.with_name(source.name + suffix), target.with_name(target.name + suffix)
            )


def _owned_like(new: Path, old: Path) -> None:
    """The restored file gets the old one's permissions and, when allowed (root), its owner:
    a restore run as root must leave a file the bot's own user can still write."""
    if not old.exists():
        return
    st = old.stat()
    os.chmod(new, stat.S_IMODE(st.st_mode))
    chown = getattr(os, "chown", None)  # POSIX only
    if chown is not None and (st.st_uid, st.st_gid) != (new.stat().st_uid, new.stat().st_gid):
        with contextlib.suppress(PermissionError):
            chown(new, st.st_uid, st.st_gid)


def _checkpoint(database: Path) -> None:
    """Fold the WAL into the file, so the kept database is one file. A damaged database (a
    reason to restore) may refuse: then its -wal and -shm are moved along as they are."""
    try:
        conn = sqlite3.connect(
            f"{database.resolve().as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=1.0
        )
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error:
        pass
    finally:
        conn.close()
