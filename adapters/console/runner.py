"""`infochat run` with no platform tokens: the console adapter on a SQLite file."""

from __future__ import annotations

import contextlib
import importlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from adapters.console import demo
from adapters.console.grammar import GrammarError, member_handle
from adapters.console.lines import InteractiveSource, LineSource, ScriptSource
from adapters.console.session import ConsoleSession
from adapters.console.transcript import Transcript
from adapters.console.transport import ConsoleTransport
from bot.app import Infochat
from bot.clock import Clock, OffsetClock, SystemClock
from bot.commands import CommunityRef
from bot.config import Settings
from bot.errors import InfochatError
from bot.metrics import Metrics
from bot.outbox import DeliveryWorker
from bot.storage.database import Database, sqlite_url

log = logging.getLogger(__name__)
LOCAL_COMMUNITY = "local"


@dataclass(frozen=True)
class ConsoleOptions:
    demo: bool = False
    script: str | None = None  # a file, or "-" for stdin
    fresh: bool = False
    community: str | None = None
    moderators: tuple[str, ...] = ()
    strict: bool = False


class ConsoleSetupError(InfochatError):
    """The console can't start as asked (e.g. the script file is missing)."""


def database_file(settings: Settings, options: ConsoleOptions) -> tuple[str, Path | None]:
    """The database URL, and its file when it is SQLite (the demo has its own file)."""
    if options.demo:
        path = settings.data_dir / "demo.db"
        return sqlite_url(path), path
    return settings.database_url, settings.sqlite_path()


def remove_database(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def run_console(
    settings: Settings,
    options: ConsoleOptions,
    stdin: TextIO,
    write: Callable[[str], None],
    clock: Clock | None = None,
    metrics: Metrics | None = None,
) -> int:
    """`metrics`: what the operations server beside the console shows (None: not counted)."""
    moderator_names(options.moderators)  # before anything is touched
    url, path = database_file(settings, options)
    if options.fresh and not options.demo and path is None:
        raise ConsoleSetupError("--fresh only works with a SQLite database file.")
    with _lines(options, stdin, write) as source:
        if path is not None and (options.demo or options.fresh):
            remove_database(path)
        db = Database(url)
        try:
            await db.migrate()
            session = build_session(
                db, settings, options, write, clock or _clock(options), metrics=metrics
            )
            if options.demo:
                await demo.seed(session)
            write(banner(session, options))
            log.info("console adapter on %s", _safe(url, settings))
            return await session.run(source)
        finally:
            await db.dispose()


def _clock(options: ConsoleOptions) -> Clock:
    """Real time; in demo mode real time that `wait` can move forward."""
    return OffsetClock() if options.demo else SystemClock()


def build_session(
    db: Database,
    settings: Settings,
    options: ConsoleOptions,
    write: Callable[[str], None],
    clock: Clock,
    *,
    metrics: Metrics | None = None,
) -> ConsoleSession:
    defaults = settings.community
    if options.demo:
        defaults = defaults.model_copy(update={"approval_required": True})
    name = options.community or (demo.DEMO_COMMUNITY if options.demo else LOCAL_COMMUNITY)
    place = name[:80]
    # `kim@campus` moderates the console place campus; `mo@<default place>` is `mo`.
    moderators = {m.removesuffix("@" + place.lower()) for m in moderator_names(options.moderators)}
    if options.demo:
        moderators |= set(demo.MODERATORS)
    transcript = Transcript(place)
    transport = ConsoleTransport(transcript, write, settings.data_dir / "attachments")
    worker = DeliveryWorker(db, transport, clock, metrics=metrics)
    app = Infochat(db, clock, defaults, metrics=metrics)
    return ConsoleSession(
        app=app,
        worker=worker,
        jobs=app.job_runner(),
        transcript=transcript,
        community=CommunityRef("console", place, place),
        write=write,
        moderators=frozenset(moderators),
        strict=options.strict,
    )


def moderator_names(names: tuple[str, ...]) -> frozenset[str]:
    """`--moderators a,b@campus`: members as the console reads them (`@mo` is mo; `b@campus`
    is b on the console place campus)."""
    out = set()
    for name in names:
        try:
            out.add(member_handle(name))
        except GrammarError as exc:
            raise ConsoleSetupError(f"--moderators: {exc}") from None
    return frozenset(out)


def banner(session: ConsoleSession, options: ConsoleOptions) -> str:
    lines = [f"infochat console · community “{session.community.name}”"]
    if options.demo:
        lines.append("Demo data (recreated at every start); moderators approve introductions.")
        lines.extend(session.member_rows())
    elif session.moderators:
        lines.append("Moderators: " + ", ".join(sorted(session.moderators)))
    lines.append("Type `help` for the console grammar, `quit` to leave.")
    return "\n".join(lines)


@contextlib.contextmanager
def _lines(
    options: ConsoleOptions, stdin: TextIO, write: Callable[[str], None]
) -> Iterator[LineSource]:
    if options.script not in (None, "-"):
        path = Path(options.script or "")
        try:
            handle = path.open(encoding="utf-8", errors="replace", newline=None)
        except OSError as exc:
            raise ConsoleSetupError(f"Can't read the script {path}: {exc.strerror}.") from None
        with handle:
            yield ScriptSource(handle, write)
        return
    if options.script == "-" or not stdin.isatty():
        yield ScriptSource(stdin, write)
        return
    with contextlib.suppress(ImportError):
        importlib.import_module("readline")  # line editing and history at the prompt
    yield InteractiveSource()


def _safe(url: str, settings: Settings) -> str:
    return url if url != settings.database_url else settings.safe_database_url
