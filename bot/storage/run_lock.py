"""Whether a bot is running on a SQLite file: a `flock` on `<database>.run.lock` beside it.

`infochat run` holds a shared lock for its whole life: several bots on one file are allowed
(they take turns to write, `write_turns`), and `infochat restore` takes the lock exclusively,
so it can't replace the file under a running bot and no bot starts during a restore. The
kernel drops a lock when its process ends, however it ends, so a crashed bot never leaves a
stale lock behind. The file holds the holder's pid (the last one to take it), for messages.

Where `flock` doesn't exist (Windows) nothing is locked: `SUPPORTED` says so, and restore
tells the operator to make sure the bot is stopped.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from bot.errors import InfochatError

if sys.platform != "win32":
    import fcntl

SUPPORTED = sys.platform != "win32"
RUN, RESTORE = "run", "restore"


class RunLockHeld(InfochatError):
    """Another process holds the lock in a way that excludes this one."""

    def __init__(self, database: Path, holder: str, pid: int | None) -> None:
        self.database, self.holder, self.pid = database, holder, pid
        by = f" (pid {pid})" if pid is not None else ""
        if holder == RESTORE:
            text = f"{database} is being restored{by}; start the bot when the restore is done."
        else:
            text = f"a bot is running on {database}{by}; stop it first, then restore."
        super().__init__(text)


def lock_path(database: Path) -> Path:
    return database.with_name(database.name + ".run.lock")


@contextlib.contextmanager
def running(database: Path | None) -> Iterator[None]:
    """Held by `infochat run` (shared): a restore can't start while it is held.

    `database` None (PostgreSQL, an in-memory database) or no `flock`: nothing to hold."""
    if database is None or not SUPPORTED:
        yield
        return
    with _locked(database, RUN, exclusive=False):
        yield


@contextlib.contextmanager
def restoring(database: Path) -> Iterator[bool]:
    """Held by `infochat restore` (exclusive); yields False where nothing can be locked."""
    if not SUPPORTED:
        yield False
        return
    with _locked(database, RESTORE, exclusive=True):
        yield True


if sys.platform != "win32":

    @contextlib.contextmanager
    def _locked(database: Path, role: str, *, exclusive: bool) -> Iterator[None]:
        path = lock_path(database)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except PermissionError:  # made by another user (a restore run as root): lock only
            fd = os.open(path, os.O_RDONLY)
        try:
            try:
                fcntl.flock(fd, (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH) | fcntl.LOCK_NB)
            except BlockingIOError:
                holder, pid = _holder(fd)
                raise RunLockHeld(database, RESTORE if role == RUN else holder, pid) from None
            with contextlib.suppress(OSError):  # not for a read-only lock file
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{role} {os.getpid()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)  # closing the file releases the lock

    def _holder(fd: int) -> tuple[str, int | None]:
        """Who wrote the lock file last: ("run", pid), ("restore", pid), or unknown."""
        words = os.pread(fd, 64, 0).decode(errors="replace").split()
        if len(words) == 2 and words[0] in (RUN, RESTORE) and words[1].isdigit():
            return words[0], int(words[1])
        return RUN, None
