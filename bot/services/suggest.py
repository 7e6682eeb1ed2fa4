"""Suggestions while a member types a field (Discord autocomplete, Slack external selects).

Read-only and cheap: no transaction of its own, no idempotency record, nothing changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from zoneinfo import available_timezones

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import CommunityRef
from bot.domain.topics import known_topics, normalize_topic
from bot.storage.schema import communities, volunteers

LIMIT = 25  # Discord shows at most 25 choices
MAX_PREFIX = 100
TOPIC_FIELDS = frozenset({"topic", "topics"})
TIMEZONE_FIELDS = frozenset({"timezone"})


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(z for z in available_timezones() if "/" in z or z == "UTC"))


def rank(options: Iterable[str], typed: str, limit: int = LIMIT) -> tuple[str, ...]:
    """Options containing what was typed (case-insensitive): prefix matches first, then
    matches at a word start, then anywhere; each group alphabetically."""
    needle = " ".join(typed.casefold().split())[:MAX_PREFIX]
    scored: list[tuple[int, str]] = []
    for option in options:
        folded = option.casefold().replace("_", " ")
        at = folded.find(needle.replace("_", " "))
        if at < 0:
            continue
        word_start = at == 0 or not folded[at - 1].isalnum()
        scored.append((0 if at == 0 else 1 if word_start else 2, option))
    return tuple(option for _, option in sorted(scored)[:limit])


async def community_topics(conn: AsyncConnection, community: CommunityRef) -> set[str]:
    rows = await conn.execute(
        sa.select(volunteers.c.topics)
        .join(communities, communities.c.id == volunteers.c.community_id)
        .where(
            communities.c.platform == community.platform,
            communities.c.external_id == community.external_id,
            volunteers.c.active.is_(True),
        )
    )
    return {normalize_topic(str(t)) for (topics,) in rows for t in topics or ()} - {""}


def rank_timezones(field: str, typed: str) -> tuple[str, ...]:
    """Time zone choices (no database needed); nothing for other fields."""
    return rank(_timezones(), typed) if field in TIMEZONE_FIELDS else ()


async def suggestions(
    conn: AsyncConnection, community: CommunityRef, field: str, typed: str
) -> tuple[str, ...]:
    if field in TIMEZONE_FIELDS:
        return rank_timezones(field, typed)
    if field in TOPIC_FIELDS:
        offered = await community_topics(conn, community)
        # Topics volunteers here actually offer come before the built-in names.
        first = rank(offered, typed)
        rest = rank(known_topics() - offered, typed, LIMIT - len(first))
        return first + rest
    return ()
