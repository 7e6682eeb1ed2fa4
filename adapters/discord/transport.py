"""The outbox `Transport` for Discord: members get DMs, channels are found by name, and an
introduction is a private thread in the introductions channel with both members added.

Failures get a clear log line and a fallback where one exists: a member whose DMs are closed
gets the message in a private thread of the introductions channel (and is told why there);
an introduction the bot can't open a thread for goes to each member's DMs; a member who
left is skipped; a deleted channel is looked up again by name once; a community channel the
bot can't post in goes to the server owner's DMs with what to fix. What can't work is
permanent (the outbox marks it failed, with the reason); a long 429 is retried after its
Retry-After. Nothing raises past the outbox worker.

Every message carries a nonce made from the outbox row and where it goes, with
`enforce_nonce` (discord.py sets it with any nonce): for a few minutes Discord answers a
repeated send with the message it already created, so a delivery retried after a crash or a
lapsed lease isn't posted twice.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import discord

from adapters.discord import render
from bot.commands import CommunityRef
from bot.errors import DeliveryError, PermanentDeliveryError
from bot.views import Destination, Message

log = logging.getLogger(__name__)

# Discord's JSON error codes that mean "never going to work".
UNKNOWN_CHANNEL = 10003
UNKNOWN = {UNKNOWN_CHANNEL: "unknown channel", 10007: "unknown member", 10013: "unknown user"}
LEFT = (10007, 10013)  # the member left the server, or the account is gone
CANNOT_DM = 50007
MISSING_ACCESS = {50001: "missing access", 50013: "missing permissions"}
FALLBACK_CHANNEL = "introductions"
DMS_CLOSED_NOTE = (
    "your DMs are closed, so infochat posts your private messages in this thread (only you "
    "and the moderators can see it). To get them as DMs again, allow direct messages from "
    "this server's members (Privacy settings)."
)

OWNER_NOTE = (
    "infochat couldn't post this in #{channel} ({problem}). Create the channel (or give the "
    "bot View Channels and Send Messages there); until then it comes to you, the server owner."
)

ThreadKey = tuple[str, str, tuple[str, ...]]  # guild, channel name, members


class DiscordTransport:
    def __init__(self, client: discord.Client, fallback_channel: str = FALLBACK_CHANNEL) -> None:
        self.client = client
        # Where members with closed DMs get their messages (the introductions channel).
        self.fallback = fallback_channel.lstrip("#")
        self._channels: dict[tuple[str, str], discord.TextChannel] = {}
        self._dms: dict[str, discord.DMChannel] = {}
        # The private thread of each group (and of each member whose DMs are closed): later
        # messages (the picked time, the invite) go to the same thread.
        self._threads: dict[ThreadKey, discord.Thread] = {}

    async def deliver(
        self,
        community: CommunityRef,
        destination: Destination,
        message: Message,
        delivery_id: int,
        *,
        in_doubt: bool = False,
    ) -> None:
        # The nonce makes every attempt safe to repeat, so `in_doubt` needs nothing more.
        try:
            await self._attempt(community, destination, message, delivery_id)
        except PermanentDeliveryError as problem:
            if destination.kind != "channel":
                raise
            await self._to_owner(community.external_id, destination, message, problem, delivery_id)

    async def _attempt(
        self, community: CommunityRef, destination: Destination, message: Message, delivery: int
    ) -> None:
        try:
            try:
                await self._deliver(community.external_id, destination, message, delivery)
            except discord.NotFound as exc:
                if exc.code != UNKNOWN_CHANNEL:
                    raise
                log.warning(
                    "discord: a channel for %s is gone; looking it up again", _where(destination)
                )
                self._forget(community.external_id, destination)
                await self._deliver(community.external_id, destination, message, delivery)
        except discord.RateLimited as exc:
            raise DeliveryError("discord: rate limited", retry_after=exc.retry_after) from exc
        except discord.HTTPException as exc:
            raise self._classify(exc, community, destination) from exc

    async def _deliver(
        self, guild_id: str, destination: Destination, message: Message, delivery: int
    ) -> None:
        if destination.kind == "member":
            for user_id in destination.user_ids:
                fallback = self._fallback(destination)
                await self._to_member(guild_id, user_id, message, fallback, delivery)
        elif destination.kind == "channel":
            channel = await self._channel(guild_id, destination.channel or "")
            kwargs = render.send_kwargs(guild_id, message)
            await channel.send(**kwargs, nonce=nonce(delivery, "channel", channel.name))
        elif destination.kind == "admins":
            await self._to_server_owner(guild_id, destination, message, delivery)
        else:
            await self._introduce(guild_id, destination, message, delivery)

    def _fallback(self, destination: Destination) -> str:
        """The community's introductions channel (its current setting), else the default."""
        return (destination.channel or self.fallback).lstrip("#")

    async def _to_owner(
        self,
        guild_id: str,
        destination: Destination,
        message: Message,
        problem: PermanentDeliveryError,
        delivery: int,
    ) -> None:
        """A community channel the bot can't post in (missing, no permission): the server
        owner gets the message by DM, with what to fix, so it isn't lost."""
        name = (destination.channel or "").lstrip("#")
        try:
            guild = self.client.get_guild(int(guild_id)) or await self.client.fetch_guild(
                int(guild_id)
            )
            owner = str(guild.owner_id)
            dm = await self._dm(owner)
            await dm.send(
                content=OWNER_NOTE.format(channel=name, problem=problem),
                allowed_mentions=discord.AllowedMentions.none(),
                nonce=nonce(delivery, "owner note", owner),
            )
            await dm.send(
                **render.send_kwargs(guild_id, message), nonce=nonce(delivery, "owner", owner)
            )
        except (discord.HTTPException, ValueError, PermanentDeliveryError) as exc:
            log.error(
                "discord: giving up on #%s (%s); the owner can't be told either (%s)",
                name,
                problem,
                exc,
            )
            raise problem from exc
        log.error(
            "discord: can't post in #%s (%s); sent to the server owner %s", name, problem, owner
        )

    async def _to_server_owner(
        self, guild_id: str, destination: Destination, message: Message, delivery: int
    ) -> None:
        """The people who set the bot up: the server owner by DM; when the owner doesn't
        take DMs from the bot, the moderators' channel."""
        if not guild_id.isdigit():
            raise PermanentDeliveryError(f"discord: {guild_id!r} is not a guild id")
        guild = self.client.get_guild(int(guild_id)) or await self.client.fetch_guild(int(guild_id))
        owner = str(guild.owner_id)
        kwargs = render.send_kwargs(guild_id, message)
        try:
            dm = await self._dm(owner)
            await dm.send(**kwargs, nonce=nonce(delivery, "admins", owner))
        except discord.Forbidden as exc:
            if exc.code != CANNOT_DM:
                raise
            name = (destination.channel or "moderators").lstrip("#")
            log.warning("discord: the owner of %s takes no DMs; posting in #%s", guild_id, name)
            channel = await self._channel(guild_id, name)
            await channel.send(**kwargs, nonce=nonce(delivery, "admins channel", channel.name))

    async def _to_member(
        self, guild_id: str, user_id: str, message: Message, fallback: str, delivery: int
    ) -> None:
        dm = await self._dm(user_id)
        try:
            await dm.send(
                **render.send_kwargs(guild_id, message), nonce=nonce(delivery, "dm", user_id)
            )
        except discord.Forbidden as exc:
            if exc.code != CANNOT_DM:
                raise
            log.warning(
                "discord: member %s has DMs closed; posting in their private thread in #%s",
                user_id,
                fallback,
            )
            await self._to_member_thread(guild_id, user_id, message, fallback, delivery)

    async def _to_member_thread(
        self, guild_id: str, user_id: str, message: Message, fallback: str, delivery: int
    ) -> None:
        key: ThreadKey = (guild_id, fallback, (user_id,))
        try:
            thread, new = await self._thread(key, "infochat: your messages")
            if new:
                await thread.send(
                    content=f"<@{user_id}> {DMS_CLOSED_NOTE}",
                    allowed_mentions=_only(user_id),
                    nonce=nonce(delivery, "thread note", user_id),
                )
            kwargs = render.send_kwargs(guild_id, message)
            kwargs.update(content=f"<@{user_id}>", allowed_mentions=_only(user_id))
            await thread.send(**kwargs, nonce=nonce(delivery, "thread", user_id))
        except (discord.HTTPException, PermanentDeliveryError) as exc:
            raise PermanentDeliveryError(
                f"discord: member {user_id} has DMs closed, and no private thread could be "
                f"opened in #{fallback} ({exc})"
            ) from exc

    async def _introduce(
        self, guild_id: str, destination: Destination, message: Message, delivery: int
    ) -> None:
        key = _thread_key(guild_id, destination)
        try:
            thread, _ = await self._thread(key, message.title or "Introduction")
        except (discord.Forbidden, PermanentDeliveryError) as exc:
            log.warning(
                "discord: no private thread in #%s for guild %s (%s); the introduction goes "
                "to each member's DMs instead",
                key[1],
                guild_id,
                exc,
            )
            for user_id in destination.user_ids:
                await self._to_member(guild_id, user_id, message, key[1], delivery)
            return
        kwargs = render.send_kwargs(guild_id, message, introduction=True)
        await thread.send(**kwargs, nonce=nonce(delivery, "group"))

    async def _thread(self, key: ThreadKey, title: str) -> tuple[discord.Thread, bool]:
        """The group's private thread, opened (with its members added) the first time."""
        cached = self._threads.get(key)
        if cached is not None:
            return cached, False
        guild_id, channel_name, members = key
        channel = await self._channel(guild_id, channel_name)
        thread = await channel.create_thread(
            name=title[:100], type=discord.ChannelType.private_thread, invitable=False
        )
        for user_id in members:
            try:
                await thread.add_user(discord.Object(int(user_id)))
            except discord.HTTPException as exc:
                if exc.code not in LEFT:
                    raise
                log.warning("discord: member %s left guild %s; not added", user_id, guild_id)
        self._threads[key] = thread
        return thread, True

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
        where = _where(destination)
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
            self._threads.pop((guild_id, self._fallback(destination), (user_id,)), None)


def nonce(delivery: int, *where: str) -> str:
    """The nonce of one message of a delivery: the outbox row and a short digest of where
    the message goes (Discord dedupes nonces per author, and allows 25 characters)."""
    digest = hashlib.blake2b("/".join(where).encode(), digest_size=4).hexdigest()
    return f"{delivery}.{digest}"


def _only(user_id: str) -> discord.AllowedMentions:
    return discord.AllowedMentions(
        everyone=False, roles=False, replied_user=False, users=[discord.Object(int(user_id))]
    )


def _where(destination: Destination) -> str:
    return f"{destination.kind} {destination.channel or ','.join(destination.user_ids)}"


def _thread_key(guild_id: str, destination: Destination) -> ThreadKey:
    channel = (destination.channel or FALLBACK_CHANNEL).lstrip("#")
    members = tuple(sorted(u for u in destination.user_ids if u.isdigit()))
    return guild_id, channel, members


def _retry_after(exc: discord.HTTPException) -> float | None:
    """Seconds to wait from a 429 the library did not retry itself (header or body)."""
    header = exc.response.headers.get("Retry-After") if exc.response is not None else None
    try:
        return float(header) if header else None
    except ValueError:
        return None
