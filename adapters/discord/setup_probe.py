"""Discord's part of the setup checklist: the bot-wide checks `infochat doctor` makes (the
token, the servers the bot is in) and `DiscordProbe`, the checks for one server (its
channels exist, the bot's effective permissions there cover what it does in each, the
moderator role exists).

Everything goes through discord.py's REST client (`HTTPClient`: the running client's
`client.http`, or one logged in for the doctor), so no gateway is needed. Every call has a
within; an error or an unreachable Discord is a ✘ line, never an exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
import discord

from adapters.discord import permissions as perms
from adapters.discord.bot_client import invite_url
from bot.commands import CommunityRef
from bot.domain.community import CommunitySettings
from bot.setup_checks import Check

log = logging.getLogger(__name__)
CALL_TIMEOUT = 10.0  # seconds, for each REST call
TEXT_CHANNELS = (0, 5)  # text and announcement channels: what discord.py calls TextChannel
T = TypeVar("T")


@dataclass(frozen=True)
class Needs:
    """What the bot does in one community channel (adapters/discord/transport.py)."""

    channel: int  # permissions in the channel itself
    thread: int = 0  # … and in the private threads it opens there


# Approvals and other posts are embeds; the digest carries its chart as a file; an
# introduction is a private thread (its .ics invite a file), as are the messages of a member
# whose DMs are closed.
NEEDS = {
    "moderators_channel": Needs(perms.VIEW_CHANNEL | perms.SEND_MESSAGES | perms.EMBED_LINKS),
    "digest_channel": Needs(
        perms.VIEW_CHANNEL | perms.SEND_MESSAGES | perms.EMBED_LINKS | perms.ATTACH_FILES
    ),
    "introductions_channel": Needs(
        perms.VIEW_CHANNEL | perms.CREATE_PRIVATE_THREADS,
        perms.SEND_MESSAGES_IN_THREADS | perms.EMBED_LINKS | perms.ATTACH_FILES,
    ),
}


class Unanswered(Exception):
    """A REST call failed: `reason` in words for a checklist line; `status` Discord's HTTP
    status when it answered (0 when it didn't)."""

    def __init__(self, reason: str, status: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


async def call(awaitable: Awaitable[T], within: float = CALL_TIMEOUT) -> T:
    try:
        async with asyncio.timeout(within):
            return await awaitable
    except discord.LoginFailure:
        raise Unanswered("the token was refused (401)", 401) from None
    except discord.HTTPException as exc:
        text = exc.text or exc.response.reason or ""
        raise Unanswered(f"{exc.status} {text}".strip(), exc.status) from None
    except TimeoutError:
        raise Unanswered(f"no answer within {within:g} s") from None
    except (aiohttp.ClientError, OSError, discord.DiscordException) as exc:
        raise Unanswered(f"Discord is unreachable ({type(exc).__name__})") from None


@dataclass(frozen=True)
class Bot:
    user_id: str
    name: str
    application_id: str


async def bot_checks(
    http: discord.http.HTTPClient, token: str, within: float = CALL_TIMEOUT
) -> tuple[list[Check], Bot | None]:
    """Log in (`GET /users/@me`): the token is a bot's and Discord accepts it."""
    try:
        me: Mapping[str, Any] = await call(http.static_login(token), within)
    except Unanswered as exc:
        if exc.status != 401:  # 401 is Discord refusing the token; the rest is the way there
            label = f"Discord answers at {discord.http.Route.BASE} ({exc.reason})"
            return [Check(False, label, "check the network and INFOCHAT_DISCORD_API_BASE")], None
        fix = (
            "reset the token (Developer Portal → your application → Bot → Reset Token) and "
            "set INFOCHAT_DISCORD_TOKEN to it"
        )
        return [Check(False, f"Discord accepts the bot token ({exc.reason})", fix)], None
    if not me.get("bot"):
        fix = "use the token of a bot user (Developer Portal → Bot), not a person's"
        return [Check(False, "the token is a bot's", fix)], None
    user_id = str(me.get("id"))
    try:
        app = await call(http.application_info(), within)
        application_id = str(app.get("id") or user_id)
    except Unanswered:
        application_id = user_id  # the bot user's id is its application's for current apps
    bot = Bot(user_id, str(me.get("username") or "infochat"), application_id)
    return [Check(True, f"bot token valid: {bot.name} ({bot.user_id})")], bot


async def guild_checks(
    http: discord.http.HTTPClient, bot: Bot, guild_id: int | None, within: float = CALL_TIMEOUT
) -> tuple[list[Check], list[CommunityRef]]:
    """The bot is in the configured server, or (none configured) in at least one; the
    servers to check."""
    invite = f"invite it with {invite_url(bot.application_id)}"
    if guild_id is not None:
        try:
            guild = await call(http.get_guild(guild_id, with_counts=False), within)
        except Unanswered as exc:
            fix = invite if exc.status in (403, 404) else "check the network"
            label = f"the bot is in server {guild_id} (INFOCHAT_DISCORD_GUILD_ID; {exc.reason})"
            return [Check(False, label, fix)], []
        ref = CommunityRef("discord", str(guild["id"]), str(guild.get("name") or ""))
        return [Check(True, f"the bot is in server {ref.name} ({ref.external_id})")], [ref]
    try:
        guilds: Sequence[Mapping[str, Any]] = await call(
            http.get_guilds(200, with_counts=False), within
        )
    except Unanswered as exc:
        return [Check(False, f"the bot's servers can be listed ({exc.reason})", "check the network")], []  # fmt: skip
    refs = [CommunityRef("discord", str(g["id"]), str(g.get("name") or "")) for g in guilds]
    if not refs:
        return [Check(False, "the bot is in a server", invite)], []
    names = ", ".join(f"{r.name} ({r.external_id})" for r in refs)
    return [Check(True, f"the bot is in {len(refs)} server(s): {names}")], refs


class DiscordProbe:
    """One server's Discord setup, through discord.py's `HTTPClient` (the running client's
    `client.http`, or the doctor's), computed from REST objects: no gateway, no cache."""

    def __init__(
        self,
        http: discord.http.HTTPClient,
        bot_id: str,
        *,
        moderator_role: str = "Moderator",
        application_id: str = "",
        within: float = CALL_TIMEOUT,
    ) -> None:
        self.http = http
        self.bot_id = bot_id
        self.moderator_role = moderator_role
        self.application_id = application_id or bot_id
        self.within = within

    async def check(self, community: CommunityRef, settings: CommunitySettings) -> list[Check]:
        try:
            return await self._check(community.external_id, settings)
        except Exception as exc:  # the protocol: a ✘ line, never an exception
            log.exception("discord: the setup checks of server %s failed", community.external_id)
            fix = "see the log; check the bot token and INFOCHAT_DISCORD_API_BASE"
            return [Check(False, f"Discord's setup can be checked ({type(exc).__name__})", fix)]

    async def _check(self, gid: str, settings: CommunitySettings) -> list[Check]:
        try:
            guild, roles, channels, member = await self._read(gid)
        except Unanswered as exc:
            fix = (
                f"invite the bot with {invite_url(self.application_id)}"
                if exc.status in (403, 404)
                else "check the network and INFOCHAT_DISCORD_API_BASE"
            )
            return [Check(False, f"the bot can read server {gid} ({exc.reason})", fix)]
        checks = [
            _channel_check(setting, str(getattr(settings, setting)), guild, roles, channels, member)
            for setting in ("introductions_channel", "moderators_channel", "digest_channel")
        ]
        checks.append(self._role_check(roles))
        return checks

    async def _read(
        self, gid: str
    ) -> tuple[Mapping[str, Any], list[Any], list[Any], Mapping[str, Any]]:
        if not gid.isdigit():
            raise Unanswered("not a server id", 404)
        guild: Mapping[str, Any] = await call(
            self.http.get_guild(gid, with_counts=False), self.within
        )
        roles: list[Any] = list(await call(self.http.get_roles(gid), self.within))
        channels: list[Any] = list(await call(self.http.get_all_guild_channels(gid), self.within))
        member: Mapping[str, Any] = await call(self.http.get_member(gid, self.bot_id), self.within)
        return guild, roles, channels, member

    def _role_check(self, roles: Sequence[Mapping[str, Any]]) -> Check:
        wanted = self.moderator_role
        if any(r.get("name") == wanted or str(r.get("id")) == wanted for r in roles):
            return Check(True, f"the moderator role {wanted} exists")
        return Check(
            False,
            f"the moderator role {wanted} exists",
            f"create a role named {wanted} and give it to the moderators, or set "
            "INFOCHAT_DISCORD_MODERATOR_ROLE to an existing role's name or id",
        )


def _channel_check(
    setting: str,
    name: str,
    guild: Mapping[str, Any],
    roles: Sequence[Mapping[str, Any]],
    channels: Sequence[Mapping[str, Any]],
    member: Mapping[str, Any],
) -> Check:
    name = name.lstrip("#")
    channel = next(
        (c for c in channels if c.get("name") == name and c.get("type") in TEXT_CHANNELS), None
    )
    if channel is None:
        return Check(
            False,
            f"#{name} exists",
            f"create a text channel #{name}, or choose another with "
            f"/infochat-mod settings fields:{setting}=NAME",
        )
    needs = NEEDS[setting]
    explicit = perms.for_channel(guild, roles, channel, member)
    lacking = perms.missing(perms.effective(explicit), needs.channel)
    if needs.thread:
        in_threads = perms.missing(perms.effective(explicit, in_thread=True), needs.thread)
        lacking += [f"{p} (in its threads)" for p in in_threads if p not in lacking]
    if lacking:
        return Check(
            False,
            f"the bot can do its work in #{name}: missing {', '.join(lacking)}",
            f"allow them for the bot's role in #{name} (Edit Channel → Permissions), or remove "
            "the overwrite that denies them",
        )
    return Check(True, f"#{name} exists and the bot has the permissions it needs there")
