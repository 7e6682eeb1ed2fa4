"""`infochat backup PATH [--keep N] [--force]` and `infochat restore FILE`.

SQLite only: the copy is made with SQLite's online backup while bots run (`bot.storage.backup`),
and a restore refuses while a bot runs on the file (`bot.storage.run_lock`). On PostgreSQL
both print the `pg_dump` / `pg_restore` command to use instead.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import URL, make_url

from bot.config import Settings
from bot.storage import run_lock
from bot.storage.backup import BackupError, Copied, back_up, backup_name, rotate
from bot.storage.database import Database
from bot.storage.restore import RestoreRefused, check_backup, put_back

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_commands(commands: Any) -> None:
    """The `backup` and `restore` subcommands (`commands`: argparse's subparsers)."""
    backup = commands.add_parser(
        "backup", help="write a consistent copy of the SQLite database, also while the bot runs"
    )
    backup.add_argument(
        "path",
        metavar="PATH",
        help="the copy's file name, or a directory for infochat-YYYYMMDD-HHMMSS.db (UTC) in it",
    )
    backup.add_argument(
        "--keep",
        type=_positive,
        metavar="N",
        help="with a directory: delete its older infochat-*.db backups beyond the N newest",
    )
    backup.add_argument("--force", action="store_true", help="replace an existing file")
    restore = commands.add_parser(
        "restore", help="put a backup back as the database (the bot must be stopped)"
    )
    restore.add_argument("file", metavar="FILE", help="a backup written by infochat backup")


class _Usage(BackupError):
    """The arguments don't fit together."""


async def backup(settings: Settings, args: argparse.Namespace) -> int:
    database = settings.sqlite_path()
    if database is None:
        return _not_a_sqlite_file(settings, "backup", args.path)
    try:
        copied, deleted = await asyncio.to_thread(
            _back_up, database, args.path, args.keep, args.force
        )
    except _Usage as exc:
        return _refuse(str(exc), EXIT_USAGE)
    except BackupError as exc:
        return _refuse(str(exc))
    print(
        f"Backed up {database} to {copied.path}: {_size(copied.size)}, "
        f"schema revision {copied.revision}, integrity check ok."
    )
    for old in deleted:
        print(f"Deleted the older backup {old}.")
    return EXIT_OK


def _back_up(
    database: Path, given: str, keep: int | None, force: bool
) -> tuple[Copied, list[Path]]:
    """To the file `given`, or into the directory `given` under a dated name, then rotate."""
    path = Path(given)
    if not path.is_dir():
        if keep is not None or given.endswith(("/", os.sep)):
            raise _Usage(f"There is no directory {path}: create it first, or name a file.")
        return back_up(database, path, overwrite=force), []
    copied = back_up(database, path / backup_name(datetime.now(UTC)), overwrite=force)
    return copied, [] if keep is None else rotate(path, keep)


async def restore(settings: Settings, args: argparse.Namespace) -> int:
    database = settings.sqlite_path()
    if database is None:
        return _not_a_sqlite_file(settings, "restore", args.file)
    file = Path(args.file)
    try:
        revision = await asyncio.to_thread(check_backup, file)
        with run_lock.restoring(database) as locked:
            if not locked:
                print(
                    "infochat: this system has no flock, so restore can't tell whether a bot "
                    "is running: make sure it is stopped.",
                    file=sys.stderr,
                )
            restored = await asyncio.to_thread(put_back, file, database, datetime.now(UTC))
            kept = (
                f"The previous database is kept as {restored.aside}."
                if restored.aside
                else "There was no database before."
            )
            try:
                current = await _migrate(settings)
            except Exception as exc:
                return _refuse(
                    f"restored {file} as {database}, but migrating it failed: {exc!r}. {kept}"
                )
    except (RestoreRefused, run_lock.RunLockHeld) as exc:
        return _refuse(str(exc))
    print(
        f"Restored {file} (schema revision {revision}) as {database}, migrated to {current}. {kept}"
    )
    return EXIT_OK


def postgres_commands(settings: Settings, command: str, path: str) -> str:
    """The pg_dump / pg_restore line for the configured database. The password is left out
    (libpq then takes it from PGPASSWORD or ~/.pgpass), as is SQLAlchemy's `+asyncpg`."""
    try:
        url = make_url(settings.database_url)
        bare = URL.create(
            url.get_backend_name(), url.username, None, url.host, url.port, url.database, url.query
        )
        plain = _quote(bare.render_as_string(hide_password=False))
    except Exception:
        plain = "'URL'"
    if command == "backup":
        if Path(path).is_dir():
            path = str(Path(path) / backup_name(datetime.now(UTC)).replace(".db", ".dump"))
        return f"pg_dump --format=custom --file={shlex.quote(path)} {plain}"
    return f"pg_restore --clean --if-exists --no-owner --dbname={plain} {shlex.quote(path)}"


def _quote(text: str) -> str:
    """Always in single quotes (shlex.quote leaves a plain URL bare)."""
    return "'" + text.replace("'", "'\"'\"'") + "'"


async def _migrate(settings: Settings) -> str:
    db = Database(settings.database_url)
    try:
        await db.migrate()
        current, _head = await db.schema_revisions()
    finally:
        await db.dispose()
    return current or "(none)"


def _not_a_sqlite_file(settings: Settings, command: str, path: str) -> int:
    """What to do instead, when the database isn't a SQLite file (exit status 2)."""
    try:
        backend = make_url(settings.database_url).get_backend_name()
    except Exception:
        backend = ""
    if backend != "postgresql":
        return _refuse(
            f"infochat {command} works on a SQLite database file, and the database is "
            f"{settings.safe_database_url}.",
            EXIT_USAGE,
        )
    tool = "pg_dump" if command == "backup" else "pg_restore"
    print(
        f"infochat: the database is PostgreSQL ({settings.safe_database_url}): SQLite's "
        f"online backup doesn't apply. Use PostgreSQL's {tool}"
        + (", with the bot stopped" if command == "restore" else "")
        + ":\n\n    "
        + postgres_commands(settings, command, path)
        + "\n\n(without the password: give it through PGPASSWORD or ~/.pgpass)"
        + ("; then run infochat migrate." if command == "restore" else "."),
        file=sys.stderr,
    )
    return EXIT_USAGE


def _refuse(message: str, status: int = EXIT_FAILED) -> int:
    print(f"infochat: {message}", file=sys.stderr)
    return status


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    scaled, unit = size / 1024, "KiB"
    for bigger in ("MiB", "GiB"):
        if scaled < 1024:
            break
        scaled, unit = scaled / 1024, bigger
    return f"{scaled:.1f} {unit} ({size} bytes)"


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return value
