"""The `infochat` command: `infochat run` starts the bot, `infochat migrate` updates the database,
`infochat doctor` checks the configuration.

Settings are built here, once, and passed down. With no platform token configured, `run`
starts the console adapter; Slack tokens start the Slack adapter, a Discord token Discord's.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from adapters import backups
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
        dest="command", required=True, metavar="{run,migrate,doctor,backup,restore}"
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
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
    if settings.platform == "discord":
        return run_discord_bot(settings)
    if settings.platform == "slack":
        return run_slack_bot(settings)
    # Imported here: the console is one adapter among several, loaded only when it runs.
    from adapters.console.runner import ConsoleOptions, ConsoleSetupError, run_console

    options = ConsoleOptions(
        demo=args.demo,
        script=args.script,
        fresh=args.fresh,
        community=args.community,
        moderators=tuple(m for m in args.moderators.split(",") if m.strip()),
        strict=args.strict,
    )
    try:
        return asyncio.run(run_console(settings, options, sys.stdin, _print))
    except ConsoleSetupError as exc:
        print(f"infochat: {exc}", file=sys.stderr)
        return EXIT_USAGE


def run_discord_bot(settings: Settings) -> int:
    try:  # discord.py is the optional `discord` extra
        from adapters.discord.bot_client import run_discord
    except ImportError:
        print(
            "infochat: INFOCHAT_DISCORD_TOKEN is set, but discord.py is not installed; "
            "install it with: pip install -e '.[discord]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return asyncio.run(run_discord(settings))


def run_slack_bot(settings: Settings) -> int:
    """Socket Mode with the app-level token, else HTTP mode with the signing secret."""
    socket_mode = settings.slack_app_token is not None
    if settings.slack_bot_token is None or not (socket_mode or settings.slack_signing_secret):
        print(
            "infochat: Slack needs INFOCHAT_SLACK_BOT_TOKEN, and INFOCHAT_SLACK_APP_TOKEN "
            "(Socket Mode) or INFOCHAT_SLACK_SIGNING_SECRET (HTTP mode).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:  # slack-bolt is the optional `slack` extra
        from adapters.slack.serve import SlackStartError, serve_http, serve_socket
    except ImportError:
        print(
            "infochat: Slack tokens are set, but slack-bolt is not installed; "
            "install it with: pip install -e '.[slack]'",
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        asyncio.run(serve_socket(settings) if socket_mode else serve_http(settings))
    except SlackStartError as exc:
        print(f"infochat: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


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
