"""`infochat doctor`: checks the live configuration and prints a checklist, one line per
check (✔, or ✘ with how to fix it), grouped by Database, Slack and Discord; exit status 1
when anything is wrong.

It changes nothing: it never creates, migrates or writes to the database (a SQLite file that
doesn't exist yet stays that way), and it only reads from Slack and Discord. Every call has
a timeout, so an unreachable database or platform is a ✘ line, not a hang.

The community channels checked are those of the community's stored settings when the bot
has met it, else the defaults (`settings.community`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from bot.commands import CommunityRef
from bot.config import Settings
from bot.domain.community import CommunitySettings
from bot.setup_checks import Check
from bot.storage.database import Database
from bot.storage.digest import community_of

CALL_TIMEOUT = 10.0  # seconds, for each call to the database or a platform


@dataclass
class Section:
    title: str
    checks: list[Check] = field(default_factory=list)
    note: str = ""  # shown instead of checks, e.g. "not configured"

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


@dataclass
class Stored:
    """The database, when it answers and is migrated: communities' settings are read there."""

    db: Database | None
    defaults: CommunitySettings

    async def settings_of(self, ref: CommunityRef, within: float) -> CommunitySettings:
        if self.db is None:
            return self.defaults
        try:
            async with asyncio.timeout(within), self.db.read() as conn:
                found = await community_of(conn, ref)
        except Exception:
            return self.defaults
        return found.settings if found is not None else self.defaults


async def diagnose(settings: Settings, within: float = CALL_TIMEOUT) -> list[Section]:
    database, db = await database_section(settings, within)
    stored = Stored(db, settings.community)
    try:
        return [
            database,
            *await slack_sections(settings, stored, within),
            *await discord_sections(settings, stored, within),
        ]
    finally:
        if db is not None:
            await db.dispose()


async def database_section(settings: Settings, within: float) -> tuple[Section, Database | None]:
    """Reachable, and the schema at the newest migration; the database when both hold."""
    section = Section("Database")
    where = settings.safe_database_url
    path = settings.sqlite_path()
    if path is not None and not path.exists():
        section.checks.append(
            Check(False, f"the database {path} exists", "not created yet: run infochat migrate")
        )
        return section, None
    db = Database(settings.database_url)
    try:
        async with asyncio.timeout(within):
            current, head = await db.schema_revisions()
    except Exception as exc:
        await db.dispose()
        reason = "no answer in time" if isinstance(exc, TimeoutError) else type(exc).__name__
        fix = "check INFOCHAT_DATABASE_URL, that the server runs and the file can be read"
        section.checks.append(Check(False, f"the database answers: {where} ({reason})", fix))
        return section, None
    section.checks.append(Check(True, f"the database answers: {where}"))
    if current != head:
        label = (
            f"the schema is at the newest migration ({head}); it has none yet"
            if current is None
            else f"the schema is at the newest migration ({head}); it is at {current}"
        )
        section.checks.append(Check(False, label, "run infochat migrate"))
        await db.dispose()
        return section, None
    section.checks.append(Check(True, f"the schema is at the newest migration ({head})"))
    return section, db


async def slack_sections(settings: Settings, stored: Stored, within: float) -> list[Section]:
    if settings.slack_bot_token is None and settings.slack_app_token is None:
        return [Section("Slack", note="not configured (INFOCHAT_SLACK_BOT_TOKEN is unset)")]
    try:
        from adapters.slack.app import web_client
        from adapters.slack.setup_probe import SlackProbe, workspace_checks
    except ImportError:
        fix = "pip install -e '.[slack]'"
        return [Section("Slack", [Check(False, "slack-bolt is installed", fix)])]
    import aiohttp

    section = Section("Slack")
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else ""
    async with aiohttp.ClientSession() as session:
        client = web_client(token, settings.slack_api_url, session)
        checks, me = await workspace_checks(settings, client, within)
        section.checks.extend(checks)
        if me is None:
            return [section]
        ref = CommunityRef("slack", me.team_id, me.team)
        probe = SlackProbe(
            client,
            mapped=settings.slack_channels,
            moderators=settings.slack_moderators,
            moderator_group=settings.slack_moderator_group,
            bot_name=me.user,
            within=within,
        )
        community = await stored.settings_of(ref, within)
        section.checks.extend(await probe.check(ref, community))
    return [section]


async def discord_sections(settings: Settings, stored: Stored, within: float) -> list[Section]:
    if settings.discord_token is None:
        return [Section("Discord", note="not configured (INFOCHAT_DISCORD_TOKEN is unset)")]
    try:
        import discord

        from adapters.discord.bot_client import use_api_base
        from adapters.discord.setup_probe import DiscordProbe, bot_checks, guild_checks
    except ImportError:
        fix = "pip install -e '.[discord]'"
        return [Section("Discord", [Check(False, "discord.py is installed", fix)])]
    use_api_base(settings.discord_api_base)
    http = discord.http.HTTPClient(asyncio.get_running_loop(), max_ratelimit_timeout=within)
    try:
        section = Section("Discord")
        checks, bot = await bot_checks(http, settings.discord_token.get_secret_value(), within)
        section.checks.extend(checks)
        if bot is None:
            return [section]
        checks, refs = await guild_checks(http, bot, settings.discord_guild_id, within)
        section.checks.extend(checks)
        sections = [section]
        probe = DiscordProbe(
            http,
            bot.user_id,
            moderator_role=settings.discord_moderator_role,
            application_id=bot.application_id,
            within=within,
        )
        for ref in refs:
            community = await stored.settings_of(ref, within)
            found = await probe.check(ref, community)
            sections.append(Section(f"Discord server {ref.name} ({ref.external_id})", found))
        return sections
    finally:
        await http.close()


def render(sections: list[Section]) -> list[str]:
    lines: list[str] = []
    for section in sections:
        lines.append(section.title)
        if section.note:
            lines.append(f"  – {section.note}")
        lines.extend(f"  {check.line()}" for check in section.checks)
    problems = sum(not c.ok for s in sections for c in s.checks)
    if problems:
        lines.append(
            f"{problems} problem{'s' if problems > 1 else ''}: fix the ✘ lines above, then run "
            "infochat doctor again."
        )
    else:
        lines.append("All good.")
    return lines


async def doctor(
    settings: Settings, out: Callable[[str], None], within: float = CALL_TIMEOUT
) -> int:
    """Print the checklist; 0 when every check passed, 1 otherwise."""
    sections = await diagnose(settings, within)
    for line in render(sections):
        out(line)
    return 0 if all(s.ok for s in sections) else 1
