"""`/infochat mod health [period=4w|12w|1y]` (issue 12): the community's program health in
words a moderator reads in a minute (what needs attention first, then the figures), and a
chart of the weekly funnel and volunteers' load against capacity, sent to their DMs (a
private reply can't carry a file on every platform).

The measures and the chart are made in a read snapshot before the command's transaction
(`SNAPSHOTS`), beside the writer, so a year of history never holds the write lock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command, arg_str
from bot.domain.health import (
    DEFAULT_PERIOD,
    PERIOD_NAMES,
    PERIODS,
    WEEK,
    WeeklyFunnel,
    parse_period,
    week_starts,
)
from bot.domain.measures_text import describe
from bot.errors import UserError
from bot.services.context import Context, Handler, Snapshot
from bot.services.health_chart import health_chart
from bot.storage import digest as digest_store
from bot.storage.measures import measure
from bot.storage.members import Community
from bot.views import Attachment, Message, Reply

NO_CHART = (
    "No chart this time: drawing it needs the optional charts extra "
    "(`pip install 'infochat[charts]'`). Nothing is wrong; the figures above are complete."
)


@dataclass(frozen=True)
class Prepared:
    """A health report made in a read snapshot, for the community and period it describes."""

    community_id: int
    period: str
    lines: tuple[str, ...]
    start: datetime
    end: datetime
    chart: Attachment | None


async def report(
    conn: AsyncConnection, community: Community, period: str, now: datetime
) -> Prepared:
    """The community's health over the `period` ending `now`: five set-based statements
    (`bot.storage.measures`), then the chart, drawn off the event loop."""
    weeks = PERIODS[period]
    start = now - weeks * WEEK
    funnel = WeeklyFunnel(week_starts(now, weeks))
    measures = await measure(conn, community.id, start, now, now, also=funnel.add)
    zone = community.settings.timezone
    name = f"health-{period}-{now.astimezone(ZoneInfo(zone)):%Y%m%d-%H%M}.png"
    chart = await asyncio.to_thread(
        health_chart, funnel.weeks(), measures.load.each, now - start, zone, name
    )
    return Prepared(community.id, period, tuple(describe(measures)), start, now, chart)


def _period(command: Command) -> str:
    return parse_period(arg_str(command.args, "period", DEFAULT_PERIOD))


async def health_snapshot(conn: AsyncConnection, command: Command, now: datetime) -> object:
    """The report, made beside the writer (for moderators only, and only for a command the
    handler will take: it re-checks both)."""
    if not command.actor.is_moderator or set(command.args) - {"period"}:
        return None
    try:
        period = _period(command)
    except UserError:
        return None
    community = await digest_store.community_of(conn, command.actor.community)
    if community is None:
        return None
    return await report(conn, community, period, now)


def days(start: datetime, end: datetime, timezone: str) -> str:
    zone = ZoneInfo(timezone)
    first, last = start.astimezone(zone), end.astimezone(zone)
    return f"{first.day} {first:%b %Y} – {last.day} {last:%b %Y}"


async def health(ctx: Context) -> Reply:
    ctx.require_moderator()
    period = _period(ctx.command)
    prepared = ctx.prepared
    if not (
        isinstance(prepared, Prepared)
        and prepared.community_id == ctx.community.id
        and prepared.period == period
    ):
        prepared = await report(ctx.conn, ctx.community, period, ctx.now)
    zone = ctx.settings.timezone
    when = days(prepared.start, prepared.end, zone)
    name = ctx.community.ref.name or "the community"
    text = "\n".join(prepared.lines)
    if prepared.chart is not None:
        await ctx.dm(
            ctx.actor.id,
            Message(
                title=f"Program health chart: {PERIOD_NAMES[period]} in {name}",
                text=f"{when}: requests sent each week and how far they got, and each "
                "volunteer's introductions against their capacity (nobody is named).",
                attachments=(prepared.chart,),
            ),
        )
        text += "\n\nThe chart (weekly funnel, volunteers' load) is in your direct messages."
    else:
        text += "\n\n" + NO_CHART
    title = f"Program health: {PERIOD_NAMES[period]} in {name} ({when})"
    return Reply(messages=(Message(title=title, text=text),))


HANDLERS: dict[str, Handler] = {"mod.health": health}
SNAPSHOTS: dict[str, Snapshot] = {"mod.health": health_snapshot}
