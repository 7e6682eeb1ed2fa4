"""The outbox `Transport` for Discord: members get DMs, channels are found by name, and an
introduction is a private thread in the introductions channel with both members added."""

from __future__ import annotations

import logging
from typing import Any

import discord

from adapters.discord import render
from bot.commands import CommunityRef
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.views import Destination, Message

log = logging.getLogger(__name__)

# Discord's JSON error codes that mean "never going to work".
UNKNOWN = {10003: "unknown channel", 10007: "unknown member", 10013: "unknown user"}
CANNOT_DM = 50007
DMS_CLOSED_CHANNEL = "introductions"
DMS_CLOSED_NOTE = (
    "I tried to send you a private message from infochat, but your DMs are closed. "
    "Allow direct messages from this server's members (Privacy settings), then use "
    "`/infochat status` or `/infochat me` to catch up."
)
MISSING_ACCESS = {50001: "missing access", 50013: "missing permissions"}


class DiscordTransport:
    def __init__(self, client: discord.Client) -> None:
        self.client = client
        self._channels: dict[tuple[str, str], discord.TextChannel] = {}
        self._dms: dict[str, discord.DMChannel] = {}
        # The private thread of each group (guild, channel, members): an introduction's later
        # messages (the picked time, the invite) go to the same thread.
        self._threads: dict[tuple[str, str, tuple[str, ...]], discord.Thread] = {}
        self._told: set[tuple[str, str]] = set()  # (guild, member) told that DMs are closed

    async def deliver(
        self, community: CommunityRef, destination: Destination, message: Message, delivery_id: int
    ) -> None:
        try:
            await self._deliver(community, destination, message)
        except discord.RateLimited as exc:
            raise DeliveryError("discord: rate limited", retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            raise self._classify(exc, community, destination) from exc

    async def _deliver(
        self, community: CommunityRef, destination: Destination, message: Message
    ) -> None:
        guild_id = community.external_id
        if destination.kind == "member":
            for user_id in destination.user_ids:
                dm = await self._dm(user_id)
                try:
                    await dm.send(**render.send_kwargs(guild_id, message))
                except discord.Forbidden as exc:
                    if exc.code == CANNOT_DM:
                        await self._dms_closed(guild_id, user_id)
                    raise
        elif destination.kind == "channel":
            channel = await self._channel(guild_id, destination.channel or "")
            await channel.send(**render.send_kwargs(guild_id, message))
        else:
            await self._introduce(guild_id, destination, message)

    async def _introduce(self, guild_id: str, destination: Destination, message: Message) -> None:
        key = _thread_key(guild_id, destination)
        thread = self._threads.get(key)
        if thread is None:
            channel = await self._channel(guild_id, key[1])
            thread = await channel.create_thread(
                name=(message.title or "Introduction")[:100],
                type=discord.ChannelType.private_thread,
                invitable=False,
            )
            for user_id in destination.user_ids:
                if user_id.isdigit():
                    await thread.add_user(discord.Object(int(user_id)))
            self._threads[key] = thread
        await thread.send(**render.send_kwargs(guild_id, message, introduction=True))

    async def _dms_closed(self, guild_id: str, user_id: str) -> None:
        """Tell a member with closed DMs, once per process, where their messages are waiting."""
        if (guild_id, user_id) in self._told:
            return
        self._told.add((guild_id, user_id))
        try:
            channel = await self._channel(guild_id, DMS_CLOSED_CHANNEL)
            await channel.send(
                content=f"<@{user_id}> {DMS_CLOSED_NOTE}",
                allowed_mentions=discord.AllowedMentions(
                    everyone=False, roles=False, users=[discord.Object(int(user_id))]
                ),
            )
        except (discord.HTTPException, PermanentDeliveryError) as exc:
            log.warning("discord: could not tell %s that their DMs are closed: %s", user_id, exc)

    async def _dm(self, user_id: str) -> discord.DMChannel:
        if not user_id.isdigit():
            raise PermanentDeliveryError(f"discord: {user_id!r} is not a Discord user id")
        if user_id not in self._dms:
            self._dms[user_id] = await self.client.create_dm(discord.Object(int(user_id)))
        return self._dms[user_id]

    async def _channel(self, guild_id: str, name: str) -> discord.TextChannel:
        """The guild's text channel called `name` (without `#`), looked up once."""
        name = name.lstrip("#")
        cached = self._channels.get((guild_id, name))
        if cached is not None:
            return cached
        if not guild_id.isdigit():
            raise PermanentDeliveryError(f"discord: {guild_id!r} is not a guild id")
        guild = self.client.get_guild(int(guild_id)) or await self.client.fetch_guild(int(guild_id))
        channels: Any = guild.channels or await guild.fetch_channels()
        for channel in channels:
            if isinstance(channel, discord.TextChannel) and channel.name == name:
                self._channels[(guild_id, name)] = channel
                return channel
        raise PermanentDeliveryError(
            f"discord: guild {guild_id} has no text channel #{name}; create it or change the setting"
        )

    def _classify(
        self, exc: discord.HTTPException, community: CommunityRef, destination: Destination
    ) -> Exception:
        where = f"{destination.kind} {destination.channel or ','.join(destination.user_ids)}"
        if exc.status == 429:
            return DeliveryError("discord: rate limited", retry_after=_retry_after(exc))
        if exc.code == CANNOT_DM:
            return PermanentDeliveryError(f"discord: {where} does not accept DMs from the bot")
        if exc.code in UNKNOWN:
            self._forget(community.external_id, destination)
            return PermanentDeliveryError(f"discord: {UNKNOWN[exc.code]} for {where}")
        if exc.code in MISSING_ACCESS or exc.status == 403:
            reason = MISSING_ACCESS.get(exc.code, "forbidden")
            return PermanentDeliveryError(
                f"discord: {reason} for {where} in guild {community.external_id}; "
                "check the bot's role and the channel's permissions"
            )
        if exc.status == 404:
            self._forget(community.external_id, destination)
            return PermanentDeliveryError(f"discord: not found: {where}")
        return DeliveryError(f"discord: HTTP {exc.status} for {where}: {exc.text[:200]}")

    def _forget(self, guild_id: str, destination: Destination) -> None:
        if destination.kind == "group":
            self._threads.pop(_thread_key(guild_id, destination), None)
        if destination.channel:
            self._channels.pop((guild_id, destination.channel.lstrip("#")), None)
        for user_id in destination.user_ids:
            self._dms.pop(user_id, None)


def _thread_key(guild_id: str, destination: Destination) -> tuple[str, str, tuple[str, ...]]:
    channel = (destination.channel or "introductions").lstrip("#")
    return guild_id, channel, tuple(sorted(destination.user_ids))


def _retry_after(exc: discord.HTTPException) -> float | None:
    """Seconds to wait from a 429 the library did not retry itself (header or body)."""
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else None
    except ValueError:
        return None
