"""Whose turn it is to write to a SQLite file: SQLite has one writer at a time.

Inside a process, `WriteTurns` queues coroutines first come, first served, and hands the
turn straight to the next one, except that short priority transactions (the delivery
worker's claim and outcome) go ahead of queued commands: otherwise every message waits
behind every command queued in the process, once to be claimed and once per outcome.

Between processes, `FileLock` is an exclusive `flock` on a file beside the database. A
waiting process blocks in the kernel and wakes as soon as the holder releases, and the
holder can't take it straight back while another process waits. Without it, a process that
finds the database locked sleeps in SQLite's busy handler (backing off to 100 ms a try)
while the process that just committed starts its next queued write at once, so one process
keeps the database for long runs and the others' commands wait many seconds.

These only order the turns; SQLite's own lock (`BEGIN IMMEDIATE`, the busy timeout) still
guards the file, e.g. against other programs or after a waiter gave up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections import deque
from collections.abc import AsyncIterator, Callable
from pathlib import Path

if sys.platform != "win32":
    import fcntl


class WriteTurns:
    """A process-local lock that is handed to the next waiter, priority waiters first."""

    def __init__(self, on_idle: Callable[[], None] = lambda: None) -> None:
        self.on_idle = on_idle  # called whenever the turn becomes free, nobody waiting
        self._held = False
        self._priority: deque[asyncio.Future[None]] = deque()
        self._queued: deque[asyncio.Future[None]] = deque()

    @contextlib.asynccontextmanager
    async def turn(self, *, priority: bool = False) -> AsyncIterator[None]:
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    @property
    def waiting(self) -> int:
        return len(self._priority) + len(self._queued)

    async def _acquire(self, priority: bool) -> None:
        if not self._held and not self.waiting:
            self._held = True
            return
        queue = self._priority if priority else self._queued
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        queue.append(granted)
        try:
            await granted
        except asyncio.CancelledError:
            if granted in queue:
                queue.remove(granted)
            elif granted.done() and not granted.cancelled():
                self._release()  # the turn was handed over just as the waiter was cancelled
            raise

    def _release(self) -> None:
        for queue in (self._priority, self._queued):
            while queue:
                granted = queue.popleft()
                if not granted.done():
                    granted.set_result(None)  # the turn passes on without being free
                    return
        self._held = False
        self.on_idle()


class FileLock:
    """An exclusive lock on `path` shared by every process (and every `Database`) that
    opens it, handed on in turn; a no-op where `flock` does not exist.

    A second lock, `next`, admits one waiter at a time to the lock: a process waiting for
    the lock holds `next`, so the holder, once it releases, can't take the lock again
    before that waiter has had it.
    """

    def __init__(self, path: Path, next_path: Path, timeout: float) -> None:
        self.paths = (path, next_path)
        self.timeout = timeout  # then give up, as SQLite's busy timeout would
        self._fds: tuple[int, int] | None = None

    async def acquire(self) -> None:
        if sys.platform != "win32":  # elsewhere SQLite's busy handler is all there is
            lock, gate = self._open()
            await _acquire(lock, gate, self.timeout)

    def release(self) -> None:
        if sys.platform != "win32":
            fcntl.flock(self._open()[0], fcntl.LOCK_UN)

    def close(self) -> None:
        if self._fds is not None:
            for fd in self._fds:
                os.close(fd)
            self._fds = None

    def _open(self) -> tuple[int, int]:
        if self._fds is None:
            lock, gate = (os.open(p, os.O_RDWR | os.O_CREAT, 0o600) for p in self.paths)
            self._fds = (lock, gate)
        return self._fds


if sys.platform != "win32":

    async def _acquire(lock: int, gate: int, give_up_after: float) -> None:
        if _try(gate):
            got = _try(lock)
            fcntl.flock(gate, fcntl.LOCK_UN)
            if got:
                return
        # Wait in a thread; if the waiter gives up, the lock it gets is given back.
        waiting = asyncio.get_running_loop().run_in_executor(None, _wait_in_turn, lock, gate)
        try:
            await asyncio.wait_for(asyncio.shield(waiting), give_up_after)
        except (asyncio.CancelledError, TimeoutError) as exc:
            waiting.add_done_callback(lambda done: _unlock_if_locked(lock, done))
            if isinstance(exc, TimeoutError):
                raise TimeoutError(
                    f"the database stayed locked for {give_up_after:.0f} s"
                ) from None
            raise

    def _try(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _wait_in_turn(lock: int, gate: int) -> None:
        """Blocking: be the one next waiter, then wait for the lock."""
        fcntl.flock(gate, fcntl.LOCK_EX)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
        finally:
            fcntl.flock(gate, fcntl.LOCK_UN)

    def _unlock_if_locked(fd: int, done: asyncio.Future[None]) -> None:
        if not done.cancelled() and done.exception() is None:
            fcntl.flock(fd, fcntl.LOCK_UN)
