"""Matching's retrieval: the volunteers who may fit a request, read from the postings index
(`volunteer_keys`) in matching's order (score tier, then load, then member id), page by page,
so a request examines a bounded number of volunteers whatever the community's size."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.domain.matching import Postings
from bot.storage.schema import volunteer_keys


async def shortlist(
    conn: AsyncConnection, community_id: int, postings: Postings, *, near: bool, first: int
) -> AsyncGenerator[list[int], None]:
    """Volunteers who fit the request directly (or, with `near`, by an adjacent topic) in
    matching's order, page by page: score tier (a combination of postings) first, then load,
    then member id. Loads are the postings' copies (`counters.refresh` first)."""
    tiers = _tiers(community_id, postings, near)
    if len(tiers) == 2 and await _fewer(conn, community_id, postings):
        tiers[0] = _sharing(community_id, min(postings.affiliations), postings.topic)
    for query in tiers:
        offset, size = 0, first
        while True:
            page = [r[0] for r in await conn.execute(query.offset(offset).limit(size))]
            if page:
                yield page
            if len(page) < size:
                break
            offset += len(page)
            size = min(size * 4, 4096)


async def _fewer(conn: AsyncConnection, community_id: int, postings: Postings) -> bool:
    """Whether fewer volunteers list the request's affiliation than its topic (counted up to
    a cap, on the index), so the top tier is read from the affiliation's posting."""
    k = volunteer_keys

    def size(key: str) -> sa.ScalarSelect[Any]:
        capped = (
            sa.select(k.c.member_id)
            .where(k.c.community_id == community_id, k.c.key == key)
            .limit(_CAP)
            .subquery()
        )
        return sa.select(sa.func.count()).select_from(capped).scalar_subquery()

    row = (
        await conn.execute(sa.select(size(postings.topic), size(min(postings.affiliations))))
    ).one()
    return bool(row[1] < row[0])


_CAP = 2000


def _sharing(community_id: int, driver: str, other: str) -> sa.Select[Any]:
    """Volunteers with both postings, read along `driver`'s in (load, member id) order (a
    volunteer's postings all carry the same load, so either posting gives the same order)."""
    k = volunteer_keys
    return (
        sa.select(k.c.member_id)
        .where(k.c.community_id == community_id, k.c.key == driver, _has(community_id, other))
        .order_by(k.c.load, k.c.member_id)
    )


def _tiers(community_id: int, postings: Postings, near: bool) -> list[sa.Select[Any]]:
    """Queries that together list the candidates in order, one per score tier when the tiers
    are simple (a topic, at most one affiliation: the usual request), else one for all."""
    k = volunteer_keys
    if postings.person:
        if near:
            return []
        return [
            sa.select(k.c.member_id).where(
                k.c.community_id == community_id, k.c.key == postings.person
            )
        ]
    if near or not postings.topic:
        return [_all_tiers(community_id, postings, near)]
    if postings.role or postings.organisation or len(postings.affiliations) > 1:
        return _around_topic(community_id, postings)
    topic = sa.select(k.c.member_id).where(
        k.c.community_id == community_id, k.c.key == postings.topic
    )
    topic = topic.order_by(k.c.load, k.c.member_id)
    if not postings.affiliations:
        return [topic]
    (affiliation,) = postings.affiliations
    return [
        _sharing(community_id, postings.topic, affiliation),
        topic.where(~_has(community_id, affiliation)),
    ]


def _has(community_id: int, key: str) -> sa.Exists:
    """Whether the volunteer of the outer query's posting also has posting `key`."""
    k = volunteer_keys
    other = k.alias()
    return (
        sa.select(other.c.member_id)
        .where(
            other.c.community_id == community_id,
            other.c.key == key,
            other.c.member_id == k.c.member_id,
        )
        .exists()
    )


def _around_topic(community_id: int, postings: Postings) -> list[sa.Select[Any]]:
    """The tiers of a request with a topic and a role, an organisation or affiliations,
    without reading the whole topic's posting: most who list the topic share nothing else
    with the request (score tier 5), and are read along the topic's posting in (load,
    member id) order, page by page. The others (a whole role or organisation, or an
    affiliation) are counted from those smaller postings, in one grouped query, and come
    before them (a higher tier) or after (a role or organisation alone: tier 3)."""
    k = volunteer_keys

    def hits(keys: frozenset[str]) -> sa.ColumnElement[Any]:
        if not keys:
            return sa.literal(0)
        return sa.func.sum(sa.case((k.c.key.in_(sorted(keys)), 1), else_=0))

    others = postings.role | postings.organisation | postings.affiliations
    inner = (
        sa.select(
            k.c.member_id.label("member_id"),
            sa.func.max(k.c.load).label("load"),
            sa.case((_has(community_id, postings.topic), 1), else_=0).label("t"),
            hits(postings.role).label("r"),
            hits(postings.organisation).label("o"),
            hits(postings.affiliations).label("a"),
        )
        .where(k.c.community_id == community_id, k.c.key.in_(sorted(others)))
        .group_by(k.c.member_id)
        .subquery()
    )
    role = inner.c.r == len(postings.role) if postings.role else sa.false()
    organisation = inner.c.o == len(postings.organisation) if postings.organisation else sa.false()
    fits = sa.or_(inner.c.t > 0, role, organisation)
    special = sa.or_(role, organisation, inner.c.a > 0)  # never tier 5
    boost = (
        inner.c.t * 5
        + sa.case((role, 3), else_=0)
        + sa.case((organisation, 3), else_=0)
        + inner.c.a * 10
    )
    ranked = (
        sa.select(inner.c.member_id)
        .where(fits, special)
        .order_by(boost.desc(), inner.c.load, inner.c.member_id)
    )

    def every(keys: frozenset[str]) -> sa.ColumnElement[bool]:
        return sa.and_(*(_has(community_id, key) for key in sorted(keys)))

    plain = [~_has(community_id, key) for key in sorted(postings.affiliations)]
    if postings.role:
        plain.append(~every(postings.role))
    if postings.organisation:
        plain.append(~every(postings.organisation))
    topic_only = (
        sa.select(k.c.member_id)
        .where(k.c.community_id == community_id, k.c.key == postings.topic, *plain)
        .order_by(k.c.load, k.c.member_id)
    )
    return [ranked.where(boost > 5), topic_only, ranked.where(boost < 5)]


def _all_tiers(community_id: int, postings: Postings, near: bool) -> sa.Select[Any]:
    """Every candidate's score tier from the postings they share with the request, in one
    grouped query (role and organisation fit only when all their words are shared)."""
    k = volunteer_keys

    def hits(keys: frozenset[str]) -> sa.ColumnElement[Any]:
        if not keys:
            return sa.literal(0)
        return sa.func.sum(sa.case((k.c.key.in_(sorted(keys)), 1), else_=0))

    topic = frozenset({postings.topic}) - {""}
    fit_keys = postings.near if near else (postings.role | postings.organisation | topic)
    inner = (
        sa.select(
            k.c.member_id.label("member_id"),
            sa.func.max(k.c.load).label("load"),
            hits(topic).label("t"),
            hits(postings.role).label("r"),
            hits(postings.organisation).label("o"),
            hits(postings.affiliations).label("a"),
            hits(postings.near).label("n"),
        )
        .where(
            k.c.community_id == community_id, k.c.key.in_(sorted(fit_keys | postings.affiliations))
        )
        .group_by(k.c.member_id)
        .subquery()
    )
    role = inner.c.r == len(postings.role) if postings.role else sa.false()
    organisation = inner.c.o == len(postings.organisation) if postings.organisation else sa.false()
    if near:
        fits: sa.ColumnElement[bool] = inner.c.n > 0
        boost = inner.c.a * 10
    else:
        fits = sa.or_(inner.c.t > 0, role, organisation)
        boost = (
            inner.c.t * 5
            + sa.case((role, 3), else_=0)
            + sa.case((organisation, 3), else_=0)
            + inner.c.a * 10
        )
    if not fit_keys:
        fits = sa.false()
    return (
        sa.select(inner.c.member_id)
        .where(fits)
        .order_by(boost.desc(), inner.c.load, inner.c.member_id)
    )
