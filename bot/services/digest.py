"""Weekly digests (R11): each community's week in its digest channel, with a chart; a private
preview for moderators; and a personal weekly DM for volunteers who asked for one.

A community's digest is the due job "digest.weekly" (target: the community, period: the ISO
week of its due time), at its digest weekday and hour in its own time zone. Running it posts
the digest, queues the personal DMs ("digest.personal", one per volunteer and week), and
schedules the next digest from *now*. After downtime, only the latest week whose digest time
has passed gets a digest: a job whose week is older hands over to that week's job, so a
community reads one current digest, never a burst of stale ones. `ensure_digests`, which the
job runner calls before each round, gives every community its first digest job (and a new one
if one ever failed for good).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.commands import Command
from bot.domain.digest import CHART_WEEKS, WEEK, Digest, Week, waiting_by_topic_counts
from bot.domain.digest_time import iso_week, last_occurrence, next_occurrence, weeks_before
from bot.domain.ledger import ChainState, confirmed, fold
from bot.domain.topics import normalize_topic
from bot.jobs import JobHandler, JobSnapshot
from bot.services.context import Context, Handler, Scope, Snapshot
from bot.services.digest_chart import weekly_chart
from bot.services.forms import weekly_digest_choice
from bot.storage import digest as store
from bot.storage import jobs
from bot.storage import ledger as ledger_store
from bot.storage import volunteers as volunteer_store
from bot.storage.digest import OpenRequest
from bot.storage.jobs import Job
from bot.storage.members import Community
from bot.views import Attachment, Line, Message, Reply

log = logging.getLogger(__name__)

WEEKLY = "digest.weekly"
PERSONAL = "digest.personal"
MAX_PERSONAL_LINES = 10
# Help chains are kept folded this far before a digest's end: chats confirmed later than
# that after they happened make them fold again from the start.
CHAINS_BEHIND = timedelta(days=14)
TOPICS_SHOWN = 8  # topics a digest lists with their waiting requests


async def schedule_weekly(conn: AsyncConnection, community: Community, now: datetime) -> None:
    """Schedule the community's next digest after `now` with its current settings, unless one
    is pending. A week whose digest already ran (e.g. the weekday was just moved later in the
    same week) is skipped: one digest per community and ISO week."""
    if str(community.id) in await store.pending_targets(conn, WEEKLY, community.id):
        return
    s = community.settings
    due = now
    for _ in range(3):
        due = next_occurrence(due, s.timezone, s.digest_weekday, s.digest_hour)
        period = iso_week(due, s.timezone)
        if await jobs.schedule(conn, community.id, WEEKLY, community.id, due, now, period):
            return


async def ensure_digests(conn: AsyncConnection, now: datetime) -> None:
    """Every community has its next digest scheduled (idempotent; cheap when they all have)."""
    pending = await store.pending_targets(conn, WEEKLY)
    for community in await store.all_communities(conn):
        if str(community.id) not in pending:
            await schedule_weekly(conn, community, now)


async def compute(
    conn: AsyncConnection, community_id: int, timezone: str, at: datetime
) -> tuple[Digest, ChainState | None]:
    """The digest that goes out at `at` (now, or a late job's own time): the seven whole
    local days before that day, and the twelve weeks of its chart. A fixed number of
    set-based queries (`storage.digest`) whatever the community's size; meant to run in a
    read snapshot, beside the writer. Also the help chains folded further, to keep, if
    they moved on."""
    chart = weeks_before(at, timezone, CHART_WEEKS)
    start, end = chart[-1]
    edges = [s for s, _ in chart] + [end]
    waiting = waiting_by_topic_counts(await store.waiting_topics(conn, community_id))
    capacity, with_room = await store.capacity_left(conn, community_id, at)
    requested = await store.requests_per_week(conn, community_id, edges)
    given = await store.chats_per_week(conn, community_id, edges)
    longest, kept = await longest_chain(conn, community_id, end)
    digest = Digest(
        start=start,
        end=end,
        completed=given[-1],
        new_volunteers=await store.new_volunteers(conn, community_id, start, end),
        givers=await store.recognition(conn, community_id, start, end),
        paid_forward=await store.recognition(conn, community_id, start, end, paid_forward=True),
        longest_chain=longest,
        waiting=waiting,
        capacity_left=capacity,
        volunteers_with_room=with_room,
        weeks=tuple(Week(s, requested[i], given[i]) for i, (s, _) in enumerate(chart)),
    )
    return digest, kept


async def longest_chain(
    conn: AsyncConnection, community_id: int, end: datetime
) -> tuple[int, ChainState | None]:
    """The longest help chain of the chats before `end`, from the chains folded so far and
    the chats since (a few weeks' worth); and the folded chains moved on, to keep, when they
    are a week behind where they are kept (`CHAINS_BEHIND` before the digest's end)."""
    state = await ledger_store.chain_state(conn, community_id)
    if state is not None and state.through > end:
        state = None  # an earlier week's digest, late
    keep = end - CHAINS_BEHIND
    moved = state is None or keep - state.through >= WEEK
    since = state.through if state else None
    until = keep if moved or state is None else state.through
    # The same queries always (the first finds nothing unless the chains move on).
    kept = await fold_history(conn, community_id, state, since, until)
    kept = confirmed(kept, await ledger_store.confirmed_late(conn, community_id, until))
    recent = await ledger_store.chat_links(conn, community_id, kept.through, end)
    longest = fold(kept, recent, end).longest
    return (longest if longest >= 2 else 0), (kept if moved else None)


async def fold_history(
    conn: AsyncConnection,
    community_id: int,
    state: ChainState | None,
    since: datetime | None,
    until: datetime,
    batch: int = 20_000,
) -> ChainState:
    """`fold` of the chats in [since, until), read in batches (the first fold of a community
    reads its whole history). Chats of one moment fold together, so a batch's last moment
    waits for the next batch."""
    held: list[ledger_store.Row] = []
    batches = ledger_store.chat_link_batches(conn, community_id, since, until, batch)
    async for part in batches:
        links = held + part
        cut = len(links)
        while cut and links[cut - 1][2] == links[-1][2]:
            cut -= 1
        state, held = fold(state, links[:cut], until), links[cut:]
    return fold(state, held, until)


def span(start: datetime, end: datetime, timezone: str) -> str:
    """A digest's days, first to last: [start, end) ends at the midnight after its last day."""
    zone = ZoneInfo(timezone)
    first = start.astimezone(zone).date()
    last = end.astimezone(zone).date() - timedelta(days=1)
    return f"{first.day} {first:%b} – {last.day} {last:%b}"


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def waiting_text(waiting: tuple[tuple[str, int], ...]) -> str:
    """The topics most waited for, with counts; the rest summed up."""
    shown = ", ".join(f"{topic} ({n})" for topic, n in waiting[:TOPICS_SHOWN])
    rest = waiting[TOPICS_SHOWN:]
    if rest:
        more = sum(n for _, n in rest)
        shown += f" and {_plural(more, 'more request')} in {_plural(len(rest), 'other topic')}"
    return shown or "none right now"


@dataclass(frozen=True)
class Prepared:
    """A digest message made in a read snapshot, for the community it describes, and the
    help chains to keep (if they moved on)."""

    community_id: int
    message: Message
    chains: ChainState | None = None


async def digest_post(conn: AsyncConnection, community: Community, at: datetime) -> Prepared:
    """The community's digest as of `at`, chart included (drawn off the event loop)."""
    zone = community.settings.timezone
    digest, chains = await compute(conn, community.id, zone, at)
    name = f"digest-{iso_week(digest.end, zone)}.png"
    chart = await asyncio.to_thread(weekly_chart, digest.weeks, zone, name)
    return Prepared(community.id, digest_message(community, digest, chart), chains)


async def prepared_post(scope: Scope, at: datetime) -> Message:
    """The digest the snapshot prepared (else made now), keeping its help chains."""
    prepared = scope.prepared
    if not (isinstance(prepared, Prepared) and prepared.community_id == scope.community.id):
        prepared = await digest_post(scope.conn, scope.community, at)
    if prepared.chains is not None:
        await ledger_store.save_chain_state(scope.conn, scope.community.id, prepared.chains)
    return prepared.message


def digest_message(community: Community, digest: Digest, chart: Attachment | None) -> Message:
    zone = community.settings.timezone
    name = community.ref.name or "the community"
    days = span(digest.start, digest.end, zone)
    if digest.completed:
        text = (
            f"{_plural(digest.completed, 'chat')} completed this week ({days}). Thank you to "
            "everyone who gave their time! Givers are named only if they chose to be "
            "(`/infochat me recognition=on`)."
        )
    elif digest.waiting:
        text = (
            f"No chats were completed this week ({days}). "
            "The requests below are waiting for someone like you."
        )
    else:
        text = f"A quiet week ({days}): no chats completed and no requests waiting."
    chain = digest.longest_chain
    lines = [
        Line(label="Chats completed", value=str(digest.completed)),
        Line(label="New volunteers", value=str(digest.new_volunteers)),
        Line(label="Thank you to", value=str(digest.givers)),
        Line(label="Paid it forward (helped, then helped someone)", value=str(digest.paid_forward)),
        Line(
            label="Longest help chain",
            value=f"{chain} chats: {chain + 1} people, each helped by the one before"
            if chain
            else "none yet: it starts when someone who was helped helps another",
        ),
        Line(label="Requests waiting", value=waiting_text(digest.waiting)),
        Line(
            label="Capacity left this month",
            value=f"{_plural(digest.capacity_left, 'chat')} with "
            f"{_plural(digest.volunteers_with_room, 'volunteer')}"
            if digest.capacity_left
            else "none: every volunteer is full or paused",
        ),
    ]
    return Message(
        title=f"This week in {name}",
        text=text,
        lines=tuple(lines),
        attachments=(chart,) if chart else (),
    )


async def post_weekly(scope: Scope, job: Job) -> None:
    s, cid = scope.settings, scope.community.id
    latest = last_occurrence(scope.now, s.timezone, s.digest_weekday, s.digest_hour)
    if latest > job.due_at and await jobs.schedule(
        scope.conn, cid, WEEKLY, cid, latest, scope.now, iso_week(latest, s.timezone)
    ):
        log.info("digest: %s of community %s is stale; posting %s instead", job.period, cid, latest)
        return  # the latest week's job is due now and runs in this round
    # A little late, it still reports its own week.
    message = await prepared_post(scope, min(job.due_at, scope.now))
    await scope.to_channel(scope.settings.digest_channel, message)
    await jobs.schedule_many(
        scope.conn,
        cid,
        PERSONAL,
        await store.weekly_subscribers(scope.conn, cid),
        scope.now,
        scope.now,
        job.period,
    )
    await schedule_weekly(scope.conn, scope.community, scope.now)


async def weekly_snapshot(conn: AsyncConnection, job: Job, now: datetime) -> Prepared | None:
    """The week's digest, computed in a read snapshot before the job takes the write lock;
    None if the job is stale (it hands over to the latest week's job without a digest)."""
    community = await store.community(conn, job.community_id)
    if community is None:
        return None
    s = community.settings
    if last_occurrence(now, s.timezone, s.digest_weekday, s.digest_hour) > job.due_at:
        return None
    return await digest_post(conn, community, min(job.due_at, now))


def matching(
    requests: list[OpenRequest], topics: tuple[str, ...], member_id: int
) -> list[OpenRequest]:
    wanted = {normalize_topic(t) for t in topics}
    return [r for r in requests if r.seeker_id != member_id and normalize_topic(r.topic) in wanted]


def personal_message(found: list[OpenRequest], now: datetime) -> Message:
    def waiting(r: OpenRequest) -> str:
        days = (now - r.submitted_at).days
        return "new today" if days < 1 else f"waiting {_plural(days, 'day')}"

    lines = [
        Line(label=r.topic, value=f"{r.minutes} minutes, {r.format}, {waiting(r)}")
        for r in found[:MAX_PERSONAL_LINES]
    ]
    if len(found) > MAX_PERSONAL_LINES:
        lines.append(Line(label="And", value=f"{len(found) - MAX_PERSONAL_LINES} more"))
    return Message(
        title="Open requests that match your topics",
        text=f"{_plural(len(found), 'open request')} match the topics you offer. When one fits "
        "you, you'll get a private ask as usual; there's nothing to do now. To stop these "
        "weekly messages: `/infochat volunteer edit weekly_digest=no`.",
        lines=tuple(lines),
    )


async def send_personal(scope: Scope, job: Job) -> None:
    member_id = int(job.target)
    profile = await volunteer_store.get_profile(scope.conn, member_id)
    if profile is None or not profile.active or not await store.wants_weekly(scope.conn, member_id):
        return  # left or opted out since the digest queued this
    if profile.paused_until is not None and profile.paused_until > scope.now:
        return  # taking a break: no nudges
    requests = await store.open_requests(scope.conn, scope.community.id)
    found = matching(requests, profile.topics, member_id)
    if found:
        await scope.dm(profile.member_id, personal_message(found, scope.now))


async def save_weekly_choice(ctx: Context) -> tuple[Message, ...]:
    """Store a volunteer's `weekly_digest=yes|no` (from join or edit), and say what it means."""
    choice = weekly_digest_choice(ctx.command.args)
    if choice is None:
        return ()
    await store.set_weekly_digest(ctx.conn, ctx.actor.id, choice)
    if choice:
        text = (
            "Each week you'll get a private list of open requests that match your topics. "
            "`weekly_digest=no` stops it."
        )
    else:
        text = "No weekly list of open requests. `weekly_digest=yes` turns it on."
    return (Message(text=text),)


async def preview_snapshot(conn: AsyncConnection, command: Command, now: datetime) -> object:
    """The preview's digest, computed in a read snapshot before the command's transaction
    (for moderators only; the handler still checks), with the community it is for."""
    if not command.actor.is_moderator:
        return None
    community = await store.community_of(conn, command.actor.community)
    if community is None:
        return None
    return await digest_post(conn, community, now)


async def preview(ctx: Context) -> Reply:
    ctx.require_moderator()
    message = await prepared_post(ctx, ctx.now)
    due = await store.next_due(ctx.conn, WEEKLY, ctx.community.id)
    zone = ctx.settings.timezone
    when = ""
    if due is not None:
        local = due.astimezone(ZoneInfo(zone))
        when = f" The next one goes out {local:%A} {local.day} {local:%B, %H:%M} ({zone})."
    note = Message(
        text=f"Preview only, nothing was posted. This is what #{ctx.settings.digest_channel} "
        f"would show now.{when}"
    )
    return Reply(messages=(note, message))


JOBS: dict[str, JobHandler] = {WEEKLY: post_weekly, PERSONAL: send_personal}
HANDLERS: dict[str, Handler] = {"mod.digest": preview}
SNAPSHOTS: dict[str, Snapshot] = {"mod.digest": preview_snapshot}
JOB_SNAPSHOTS: dict[str, JobSnapshot] = {WEEKLY: weekly_snapshot}
