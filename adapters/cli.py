"""The `infochat` command: `infochat run` starts the bot, `infochat migrate` updates the database,
`infochat doctor` checks the configuration, `infochat simulate` plays a synthetic community year
through the core (adapters/simulate.py: it needs no settings).

Settings are built here, once, and passed down. `run` starts every platform whose credentials
are set (Slack, Discord, both in one process: adapters/runtime.py), else the console.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from collections.abc import Sequence

from adapters import backups, simulate
from adapters.logs import configure_logging
from bot.config import ConfigError, Settings, load_settings
from bot.storage import run_lock
from bot.storage.database import Database

log = logging.getLogger("infochat")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="infochat",
        description="A community bot for informational interviews: consent first, pay it forward.",
        epilog="Settings come from INFOCHAT_* environment variables and infochat.toml; see README.md.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="{run,migrate,doctor,backup,restore,simulate}"
    )
    run = commands.add_parser(
        "run", help="start the bot (the console adapter when no platform token is set)"
    )
    run.add_argument(
        "--demo",
        action="store_true",
        help="a fresh demo community (data/demo.db, recreated each start): volunteers, moderator mo",
    )
    run.add_argument(
        "--script",
        metavar="FILE",
        help="play a script of console lines from FILE, or from stdin with -",
    )
    run.add_argument("--fresh", action="store_true", help="delete the database file first")
    run.add_argument(
        "--community", metavar="NAME", help="the community's name (default: local, or demo)"
    )
    run.add_argument(
        "--moderators",
        metavar="A,B",
        default="",
        help="members who are moderators, comma-separated",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="stop with exit status 1 at the first bad line or refused command",
    )
    commands.add_parser("migrate", help="bring the database schema up to date, then exit")
    doctor = commands.add_parser(
        "doctor",
        help="check the database, Slack and Discord setup; print what to fix (exit 1 if anything)",
    )
    doctor.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="how long to wait for each answer (default 10)",
    )
    backups.add_commands(commands)
    simulate.add_command(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "simulate":  # its own scenario: no settings, no database, no token
        return simulate.run(args)
    _tolerant_stdio()
    try:
        settings = load_settings()
    except ConfigError as exc:
        print(f"infochat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    configure_logging(settings)
    try:
        if args.command == "migrate":
            return asyncio.run(migrate(settings))
        if args.command == "doctor":
            from adapters.doctor import doctor  # loads the platform libraries it needs

            return asyncio.run(doctor(settings, _print, within=max(args.timeout, 0.1)))
        if args.command == "backup":
            return asyncio.run(backups.backup(settings, args))
        if args.command == "restore":
            return asyncio.run(backups.restore(settings, args))
        with run_lock.running(settings.sqlite_path()):  # a restore waits for the bot to stop
            return run(settings, args)
    except run_lock.RunLockHeld as exc:
        print(f"infochat: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print(file=sys.stderr)
        return EXIT_INTERRUPTED


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Every platform with credentials in one process, else the console."""
    if settings.platforms:
        return run_platforms_bot(settings)
    # Imported here: the console is one adapter among several, loaded only when it runs.
    from adapters.console.runner import ConsoleOptions, ConsoleSetupError, run_console
    from adapters.runtime import Terminated, console_ops, terminate_console

    options = ConsoleOptions(
        demo=args.demo,
        script=args.script,
        fresh=args.fresh,
        community=args.community,
        moderators=tuple(m for m in args.moderators.split(",") if m.strip()),
        strict=args.strict,
    )
    # The console's reads block the event loop: SIGTERM raises at once, and leaves with 0.
    previous = signal.signal(signal.SIGTERM, terminate_console)
    try:
        with console_ops(settings, options) as metrics:
            return asyncio.run(run_console(settings, options, sys.stdin, _print, metrics=metrics))
    except ConsoleSetupError as exc:
        print(f"infochat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Terminated:
        return EXIT_OK
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_platforms_bot(settings: Settings) -> int:
    from adapters.runtime import StartError, run_platforms

    try:
        return asyncio.run(run_platforms(settings))
    except StartError as exc:
        print(f"infochat: {exc}", file=sys.stderr)
        return EXIT_USAGE


async def migrate(settings: Settings) -> int:
    db = Database(settings.database_url)
    try:
        await db.migrate()
    finally:
        await db.dispose()
    print(f"The database is up to date: {settings.safe_database_url}")
    return EXIT_OK


def _print(text: str) -> None:
    print(text, flush=True)


def _tolerant_stdio() -> None:
    """Odd bytes on stdin or an ASCII terminal must not crash the console."""
    for stream in (sys.stdin, sys.stdout):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")


if __name__ == "__main__":
    sys.exit(main())
