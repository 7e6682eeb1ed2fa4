"""Moving a community's rows when places are linked into one community, or unlinked again.

Joining moves every row of one community into another (set-based: one statement a table,
whatever the size). The joining community's row stays, with no place left: unlinking one of
its places later gives that place back to the community it was founded in, with what came
from that place (its members, what they did, what waits to be sent there).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.models import ACTIVE_ASK
from bot.storage.schema import (
    asks,
    audit_log,
    communities,
    help_chains,
    introductions,
    jobs,
    link_codes,
    members,
    outbox,
    places,
    processed_commands,
    requests,
    volunteer_keys,
    volunteers,
)

# What a pending job's target names (see `jobs.target`), so unlinking moves the jobs of the
# rows it moves.
JobTarget = Literal["ask", "request", "introduction", "member"]

# Tables with a community_id whose every row moves when one community joins another.
_MOVED_WHOLE = (places, members, volunteers, volunteer_keys, requests, introductions, audit_log)


async def join(conn: AsyncConnection, joining: int, into: int, dropped_jobs: Sequence[str]) -> None:
    """Every row of community `joining` becomes community `into`'s: its places, members,
    profiles, requests, introductions, audit entries, outbox messages (sent or not), recent
    command replies, pending jobs (except the community's own jobs of `dropped_jobs` kinds,
    which `into` already has) and link codes. The ledger's folded help chains of both are
    derived data: dropped, rebuilt when next needed."""
    for table in _MOVED_WHOLE:
        await conn.execute(
            sa.update(table).where(table.c.community_id == joining).values(community_id=into)
        )
    # Sent messages too: housekeeping drops them after a while, and only the community
    # with places has housekeeping.
    await conn.execute(
        sa.update(outbox).where(outbox.c.community_id == joining).values(community_id=into)
    )
    await _move_commands(conn, joining, into, None)
    await conn.execute(
        sa.delete(jobs).where(
            jobs.c.community_id == joining,
            jobs.c.status == "pending",
            jobs.c.kind.in_(sorted(dropped_jobs)),
        )
    )
    await conn.execute(
        sa.update(jobs)
        .where(jobs.c.community_id == joining, jobs.c.status == "pending")
        .values(community_id=into)
    )
    await conn.execute(
        sa.update(link_codes).where(link_codes.c.community_id == joining).values(community_id=into)
    )
    await conn.execute(
        sa.delete(help_chains).where(help_chains.c.community_id.in_((joining, into)))
    )


async def _move_commands(
    conn: AsyncConnection, source: int, into: int, users: sa.ScalarSelect[str] | None
) -> None:
    """Recent command replies (of `users` only, when given) move, unless `into` has one under
    the same (user, key) already: that row stays, the other is dropped (a cache kept for
    retries of a few minutes, keyed by user id: the same id on two places shares it)."""
    mine = processed_commands.c.community_id == source
    if users is not None:
        mine = sa.and_(mine, processed_commands.c.user_id.in_(users))
    theirs = processed_commands.alias("theirs")
    taken = (
        sa.exists()
        .where(
            theirs.c.community_id == into,
            theirs.c.user_id == processed_commands.c.user_id,
            theirs.c.key == processed_commands.c.key,
        )
        .correlate(processed_commands)
    )
    await conn.execute(sa.delete(processed_commands).where(mine, taken))
    await conn.execute(sa.update(processed_commands).where(mine).values(community_id=into))


@dataclass(frozen=True)
class CrossAsk:
    """An ask still waiting whose seeker and volunteer end up in different communities."""

    ask_id: int
    request_id: int
    seeker_leaves: bool  # the seeker is on the leaving place (the request goes with them)


# A place and the community founded on it (the one it returns to when unlinked).
_FOUNDED_ON = sa.and_(
    places.c.platform == communities.c.platform,
    places.c.external_id == communities.c.external_id,
)


async def founding_community(conn: AsyncConnection, place_id: int) -> int | None:
    """The community founded on the place (where it returns when unlinked)."""
    return (
        await conn.execute(
            sa.select(communities.c.id).join(places, _FOUNDED_ON).where(places.c.id == place_id)
        )
    ).scalar_one_or_none()


async def lock_communities(conn: AsyncConnection, community_ids: Sequence[int]) -> None:
    """Serialise linking and unlinking of these communities on engines with row locks
    (PostgreSQL; SQLite writers are serialised already). In id order: no deadlock."""
    if conn.dialect.name == "sqlite":
        return
    await conn.execute(
        sa.select(communities.c.id)
        .where(communities.c.id.in_(sorted(set(community_ids))))
        .order_by(communities.c.id)
        .with_for_update()
    )


async def founding_place(conn: AsyncConnection, community_id: int) -> int | None:
    """The place the community was founded on (not always its oldest place: a place that
    joined it may be older)."""
    return (
        await conn.execute(
            sa.select(places.c.id)
            .join(communities, _FOUNDED_ON)
            .where(communities.c.id == community_id)
        )
    ).scalar_one_or_none()


def _on_place(place_id: int) -> sa.Select[tuple[int]]:
    return sa.select(members.c.id).where(members.c.place_id == place_id)


async def cross_asks(conn: AsyncConnection, community: int, place_id: int) -> list[CrossAsk]:
    """Asks still waiting between a member on the place and a member elsewhere."""
    seeker_here = requests.c.seeker_id.in_(_on_place(place_id))
    volunteer_here = asks.c.volunteer_id.in_(_on_place(place_id))
    rows = await conn.execute(
        sa.select(asks.c.id, asks.c.request_id, seeker_here.label("seeker_here"))
        .join(requests, requests.c.id == asks.c.request_id)
        .where(
            requests.c.community_id == community,
            asks.c.status.in_([s.value for s in ACTIVE_ASK]),
            sa.or_(
                sa.and_(seeker_here, sa.not_(volunteer_here)),
                sa.and_(volunteer_here, sa.not_(seeker_here)),
            ),
        )
        .order_by(asks.c.id)
    )
    return [CrossAsk(r.id, r.request_id, bool(r.seeker_here)) for r in rows]


async def split(
    conn: AsyncConnection,
    place_id: int,
    community: int,
    home: int,
    job_targets: Mapping[str, JobTarget],
) -> None:
    """The place leaves `community` for `home`, taking what came from it: its members (linked
    accounts spanning the two sides are split apart), their profiles and index rows, the
    requests of its seekers with their introductions and pending jobs, its members' audit
    entries and recent command replies, the outbox messages of the place, and the codes
    made there. One statement a table, whatever the size."""
    here = _on_place(place_id).scalar_subquery()
    away = sa.select(members.c.id).where(
        members.c.community_id == community, members.c.place_id != place_id
    )
    # Linked accounts across the split become members of their own again, and nobody is
    # reached across it any more.
    for column in (members.c.person_id, members.c.reach_id):
        await conn.execute(
            sa.update(members)
            .where(
                sa.or_(
                    sa.and_(members.c.place_id == place_id, column.in_(away)),
                    sa.and_(
                        members.c.community_id == community,
                        members.c.place_id != place_id,
                        column.in_(_on_place(place_id)),
                    ),
                )
            )
            .values({column.name: None})
        )
    # Read before the requests move (statements below run in this order).
    request_ids = sa.select(requests.c.id).where(
        requests.c.community_id == community, requests.c.seeker_id.in_(here)
    )
    targets: dict[JobTarget, sa.Select[Any]] = {
        "request": sa.select(sa.cast(requests.c.id, sa.String)).where(
            requests.c.id.in_(request_ids)
        ),
        "ask": sa.select(sa.cast(asks.c.id, sa.String)).where(asks.c.request_id.in_(request_ids)),
        "introduction": sa.select(sa.cast(introductions.c.id, sa.String)).where(
            introductions.c.request_id.in_(request_ids)
        ),
        "member": sa.select(sa.cast(members.c.id, sa.String)).where(members.c.place_id == place_id),
    }
    moved_jobs = [
        sa.and_(jobs.c.kind.in_(_kinds(job_targets, target)), jobs.c.target.in_(query))
        for target, query in targets.items()
    ]
    await conn.execute(
        sa.update(jobs)
        .where(jobs.c.community_id == community, jobs.c.status == "pending", sa.or_(*moved_jobs))
        .values(community_id=home)
    )
    await conn.execute(
        sa.update(introductions)
        .where(introductions.c.request_id.in_(request_ids))
        .values(community_id=home)
    )
    await conn.execute(
        sa.update(requests).where(requests.c.id.in_(request_ids)).values(community_id=home)
    )
    for table in (volunteers, volunteer_keys, audit_log):
        column = table.c.actor_id if table is audit_log else table.c.member_id
        await conn.execute(
            sa.update(table)
            .where(table.c.community_id == community, column.in_(here))
            .values(community_id=home)
        )
    users = sa.select(members.c.user_id).where(members.c.place_id == place_id).scalar_subquery()
    await _move_commands(conn, community, home, users)
    await conn.execute(
        sa.update(outbox)
        .where(outbox.c.community_id == community, outbox.c.place_id == place_id)
        .values(community_id=home)
    )
    await conn.execute(
        sa.update(link_codes).where(link_codes.c.place_id == place_id).values(community_id=home)
    )
    await conn.execute(
        sa.update(members).where(members.c.place_id == place_id).values(community_id=home)
    )
    await conn.execute(sa.update(places).where(places.c.id == place_id).values(community_id=home))
    await conn.execute(
        sa.delete(help_chains).where(help_chains.c.community_id.in_((community, home)))
    )


def _kinds(job_targets: Mapping[str, JobTarget], target: JobTarget) -> list[str]:
    return sorted(kind for kind, named in job_targets.items() if named == target)
