"""The moderators' audit log: every moderator action, who, what, when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.schema import audit_log, members


@dataclass(frozen=True)
class AuditEntry:
    at: datetime
    actor: str
    action: str
    target: str
    detail: dict[str, Any]


async def record(
    conn: AsyncConnection,
    community_id: int,
    actor_id: int,
    action: str,
    target: str,
    detail: dict[str, Any],
    now: datetime,
) -> None:
    await conn.execute(
        sa.insert(audit_log).values(
            community_id=community_id,
            actor_id=actor_id,
            action=action,
            target=target,
            detail=detail,
            created_at=now,
        )
    )


async def recent(conn: AsyncConnection, community_id: int, limit: int = 20) -> list[AuditEntry]:
    rows = await conn.execute(
        sa.select(audit_log, members.c.display_name)
        .join(members, members.c.id == audit_log.c.actor_id)
        .where(audit_log.c.community_id == community_id)
        .order_by(audit_log.c.id.desc())
        .limit(limit)
    )
    return [AuditEntry(r.created_at, r.display_name, r.action, r.target, r.detail) for r in rows]


async def actor_of(
    conn: AsyncConnection, community_id: int, action: str, target: str
) -> str | None:
    """The name of the moderator who last did `action` on `target`, if anyone did."""
    row = (
        await conn.execute(
            sa.select(members.c.display_name)
            .join(audit_log, members.c.id == audit_log.c.actor_id)
            .where(
                audit_log.c.community_id == community_id,
                audit_log.c.action == action,
                audit_log.c.target == target,
            )
            .order_by(audit_log.c.id.desc())
            .limit(1)
        )
    ).first()
    return str(row.display_name) if row is not None else None
