"""One-time codes that join two places into one community, or two accounts into one member.

The code is shown once to whoever asked for it and kept only as a SHA-256 hash. It is valid
for `VALID_FOR`, used once, and a new code of the same kind from the same member replaces
their earlier one. Redeeming marks it used in the caller's transaction: a refusal later in
the same command rolls that back, so a refused command changes nothing.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.errors import InvalidInput
from bot.storage.schema import link_codes

Kind = Literal["place", "account"]
VALID_FOR = timedelta(minutes=15)
# No 0/O, 1/I/L: read aloud or copied by hand without doubt. 12 characters: 60 bits.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
GROUPS, GROUP_SIZE = 3, 4
KIND_NAMES = {"place": "linking a place", "account": "linking your accounts"}


@dataclass(frozen=True)
class LinkCode:
    id: int
    kind: Kind
    community_id: int  # the community of the place it was made on
    place_id: int  # the place it was made on
    member_id: int  # who made it (the account row that asked)
    created_at: datetime
    expires_at: datetime


def new_code() -> str:
    """`K7QF-2MXH-9TRW`."""
    groups = ("".join(secrets.choice(ALPHABET) for _ in range(GROUP_SIZE)) for _ in range(GROUPS))
    return "-".join(groups)


def normalised(code: str) -> str:
    """As typed: case, spaces and dashes don't matter."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def code_hash(code: str) -> str:
    return hashlib.sha256(normalised(code).encode()).hexdigest()


async def issue(
    conn: AsyncConnection,
    kind: Kind,
    community_id: int,
    place_id: int,
    member_id: int,
    now: datetime,
) -> tuple[str, datetime]:
    """A fresh code (its only plain copy) and when it expires; the member's earlier unused
    code of this kind stops working."""
    await conn.execute(
        sa.delete(link_codes).where(
            link_codes.c.kind == kind,
            link_codes.c.member_id == member_id,
            link_codes.c.used_at.is_(None),
        )
    )
    code = new_code()
    expires = now + VALID_FOR
    await conn.execute(
        sa.insert(link_codes).values(
            kind=kind,
            code_hash=code_hash(code),
            community_id=community_id,
            place_id=place_id,
            member_id=member_id,
            created_at=now,
            expires_at=expires,
        )
    )
    return code, expires


async def check(conn: AsyncConnection, kind: Kind, code: str, now: datetime) -> LinkCode:
    """The code's record, left unused (e.g. while its member chooses how to use it);
    `InvalidInput` when it is unknown, used, expired or of the other kind."""
    field = {"code": "Check the code, or ask for a new one."}
    if len(normalised(code)) != GROUPS * GROUP_SIZE:
        raise InvalidInput(
            "That doesn't look like a link code: it has 12 letters and digits, "
            "like `K7QF-2MXH-9TRW`.",
            fields=field,
        )
    row = (
        await conn.execute(sa.select(link_codes).where(link_codes.c.code_hash == code_hash(code)))
    ).first()
    if row is None:
        raise InvalidInput("I don't know that code. Check it, or ask for a new one.", fields=field)
    if row.kind != kind:
        raise InvalidInput(
            f"That code is for {KIND_NAMES[row.kind]}, not for {KIND_NAMES[kind]}.", fields=field
        )
    if row.used_at is not None:
        raise InvalidInput("That code was used already. Ask for a new one.", fields=field)
    if row.expires_at <= now:
        raise InvalidInput(
            "That code has expired (codes last 15 minutes). Ask for a new one.", fields=field
        )
    return LinkCode(
        row.id,
        row.kind,
        row.community_id,
        row.place_id,
        row.member_id,
        row.created_at,
        row.expires_at,
    )


async def redeem(conn: AsyncConnection, kind: Kind, code: str, now: datetime) -> LinkCode:
    """The code's record, now used; `InvalidInput` (nothing changed) when it is unknown,
    used, expired or of the other kind."""
    found = await check(conn, kind, code, now)
    await mark_used(conn, found, now)
    return found


async def mark_used(conn: AsyncConnection, code: LinkCode, now: datetime) -> None:
    """A code `check` found valid is used now (in the caller's transaction); refused when a
    concurrent command used it first (engines with row locks)."""
    marked = await conn.execute(
        sa.update(link_codes)
        .where(link_codes.c.id == code.id, link_codes.c.used_at.is_(None))
        .values(used_at=now)
    )
    if marked.rowcount != 1:
        raise InvalidInput(
            "That code was used already. Ask for a new one.",
            fields={"code": "Check the code, or ask for a new one."},
        )


async def forget_member_codes(conn: AsyncConnection, member_ids: list[int]) -> None:
    """A member's codes, used or not (when their data is erased or merged)."""
    if member_ids:
        await conn.execute(sa.delete(link_codes).where(link_codes.c.member_id.in_(member_ids)))
