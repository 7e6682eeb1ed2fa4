"""The bot's effective permissions in a channel, computed from the server's REST objects as
Discord documents it (Permissions → "Permission Overwrites" and "Implicit Permissions",
Threads → "Permissions"), for `infochat doctor` and the setup checklist: no gateway and no
cache needed, only `GET /guilds/{id}`, `/roles`, `/channels` and `/members/{bot}`.

1. Base: the server owner has everything; else @everyone's permissions (the role whose id
   is the server's) OR those of the member's roles; ADMINISTRATOR means everything.
2. Channel overwrites, unless ADMINISTRATOR: @everyone's deny then allow; the member's
   roles' denies together, then their allows together; the member's own deny then allow.
3. Implicit: without VIEW_CHANNEL nothing else counts; without SEND_MESSAGES (in a thread:
   SEND_MESSAGES_IN_THREADS, which replaces it there) embeds, files, TTS and mentions of
   everyone don't either. A thread has no overwrites of its own: it inherits its channel's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
SEND_TTS_MESSAGES = 1 << 12
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
MENTION_EVERYONE = 1 << 17
CREATE_PUBLIC_THREADS = 1 << 35
CREATE_PRIVATE_THREADS = 1 << 36
SEND_MESSAGES_IN_THREADS = 1 << 38
# Everything, whatever bits Discord adds later (permissions are an arbitrary-size integer).
ALL = (1 << 64) - 1

# What sending a message unlocks: denied with SEND_MESSAGES (Implicit Permissions).
NEEDS_SENDING = SEND_TTS_MESSAGES | EMBED_LINKS | ATTACH_FILES | MENTION_EVERYONE

# Names as Discord's UI shows them, for the permissions infochat needs.
NAMES = {
    VIEW_CHANNEL: "View Channels",
    SEND_MESSAGES: "Send Messages",
    EMBED_LINKS: "Embed Links",
    ATTACH_FILES: "Attach Files",
    CREATE_PRIVATE_THREADS: "Create Private Threads",
    SEND_MESSAGES_IN_THREADS: "Send Messages in Threads",
}

ROLE, MEMBER = 0, 1  # an overwrite's `type`


@dataclass(frozen=True)
class Overwrite:
    id: str
    type: int  # ROLE or MEMBER
    allow: int
    deny: int

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Overwrite:
        kind = data.get("type", ROLE)
        if isinstance(kind, str):  # API v6 and older said "role" / "member"
            kind = MEMBER if kind == "member" else ROLE
        return cls(
            str(data["id"]), int(kind), int(data.get("allow") or 0), int(data.get("deny") or 0)
        )


@dataclass(frozen=True)
class Member:
    """Who the permissions are for: a user id and the ids of their roles (not @everyone)."""

    user_id: str
    role_ids: frozenset[str]

    @classmethod
    def from_payload(cls, data: Mapping[str, Any]) -> Member:
        user = data.get("user") or {}
        return cls(str(user.get("id", "")), frozenset(str(r) for r in data.get("roles") or ()))


def base_permissions(guild_id: str, owner_id: str, roles: Mapping[str, int], member: Member) -> int:
    """Server-level permissions; `roles` maps every role id (@everyone's is the server's id)
    to its permissions. A role the member has but the server no longer lists counts for nothing."""
    if member.user_id == owner_id:
        return ALL
    permissions = roles.get(guild_id, 0)
    for role_id in member.role_ids:
        permissions |= roles.get(role_id, 0)
    if permissions & ADMINISTRATOR:
        return ALL
    return permissions


def channel_permissions(
    base: int, guild_id: str, member: Member, overwrites: Iterable[Overwrite]
) -> int:
    """The channel's overwrites applied to `base`, in Discord's order (explicit only; see
    `effective` for what is implied)."""
    if base & ADMINISTRATOR:
        return ALL
    by_id = {(o.type, o.id): o for o in overwrites}
    permissions = base
    everyone = by_id.get((ROLE, guild_id))
    if everyone is not None:
        permissions &= ~everyone.deny
        permissions |= everyone.allow
    allow = deny = 0
    for role_id in member.role_ids:
        overwrite = by_id.get((ROLE, role_id))
        if overwrite is not None:
            allow |= overwrite.allow
            deny |= overwrite.deny
    permissions &= ~deny
    permissions |= allow
    own = by_id.get((MEMBER, member.user_id))
    if own is not None:
        permissions &= ~own.deny
        permissions |= own.allow
    return permissions


def effective(permissions: int, *, in_thread: bool = False) -> int:
    """What `permissions` (explicit, in a channel) let one actually do there, or in a thread
    of that channel: the implicit denials applied."""
    if permissions == ALL:  # the owner, or ADMINISTRATOR on the server
        return ALL
    if not permissions & VIEW_CHANNEL:
        return 0
    # SEND_MESSAGES has no effect in threads: SEND_MESSAGES_IN_THREADS takes its place.
    sending = SEND_MESSAGES_IN_THREADS if in_thread else SEND_MESSAGES
    if not permissions & sending:
        permissions &= ~NEEDS_SENDING
    return permissions & ~SEND_MESSAGES if in_thread else permissions


def missing(have: int, need: int) -> list[str]:
    """The names of the permissions in `need` that `have` lacks, lowest bit first."""
    lacking = need & ~have
    return [name for bit, name in sorted(NAMES.items()) if lacking & bit]


def for_channel(
    guild: Mapping[str, Any],
    roles: Iterable[Mapping[str, Any]],
    channel: Mapping[str, Any],
    member: Mapping[str, Any],
) -> int:
    """A member's explicit permissions in a channel, from the REST payloads of the server,
    its roles, the channel and the member."""
    guild_id = str(guild["id"])
    who = Member.from_payload(member)
    role_permissions = {str(r["id"]): int(r.get("permissions") or 0) for r in roles}
    base = base_permissions(guild_id, str(guild.get("owner_id", "")), role_permissions, who)
    overwrites = [Overwrite.from_payload(o) for o in channel.get("permission_overwrites") or ()]
    return channel_permissions(base, guild_id, who, overwrites)
