"""The life of a request (DESIGN.md §3), shared by the seeker's, volunteer's and moderator's
commands: match, propose, ask, move on, close."""

from __future__ import annotations

from contextlib import aclosing
from dataclasses import replace
from datetime import timedelta

from bot.domain import matching
from bot.domain.models import AskStatus, Candidate, MatchResult, RequestStatus, VolunteerStats
from bot.services import render
from bot.services.context import Scope
from bot.storage import counters, jobs
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage import shortlist as shortlist_store
from bot.storage import volunteers as volunteer_store
from bot.storage.members import Member
from bot.storage.requests import StoredAsk, StoredRequest
from bot.views import Message

CLOSE_NOTES = {
    "no_match": (
        "Nobody in the community fits request #{id} right now, so it is closed. "
        "Try a wider topic (e.g. the field rather than one company) or a later time frame: "
        "new volunteers join all the time."
    ),
    "expired": (
        "Request #{id} has been open a long while without an introduction, so it's closed now. "
        "It's not about you: try a wider topic or a later time frame, or ask again next month."
    ),
    "no_one_left": (
        "Everyone who fits request #{id} has been asked, and nobody was free this time. "
        "It's closed now; it's not about you. Try again later or widen the topic."
    ),
}


async def schedule_ask(scope: Scope, ask_id: int) -> None:
    """An ask just reached the volunteer: one reminder, then expiry."""
    settings = scope.settings
    for kind, days in (
        ("ask.remind", settings.reminder_after_days),
        ("ask.expire", settings.ask_expiry_days),
    ):
        await jobs.schedule(
            scope.conn,
            scope.community.id,
            kind,
            ask_id,
            scope.now + timedelta(days=days),
            scope.now,
        )


async def schedule_request(scope: Scope, request_id: int) -> None:
    days = scope.settings.request_expiry_days
    await jobs.schedule(
        scope.conn,
        scope.community.id,
        "request.expire",
        request_id,
        scope.now + timedelta(days=days),
        scope.now,
    )


async def rank(ctx: Scope, request: StoredRequest, limit: int | None = None) -> MatchResult:
    """The request's best candidates, as `matching.rank` orders the whole pool, but only the
    first `limit` of them (all when None): volunteers are taken from the index in matching's
    order (score tier, then load, then member id) and checked in small batches until enough
    of them can be asked (and, when the seeker gave windows, until no later volunteer of the
    same tier could be free when the seeker is: see `_settled`). The adjacent-topic tier is
    only read when nobody fits directly. Another ranking rule (`ctx.ranking`) sees every
    candidate matching found and puts them in its own order."""
    if ctx.ranking is None:
        return await _matched(ctx, request, limit)
    chosen = ctx.ranking.order(request.id, request.fields, await _matched(ctx, request, None))
    return replace(chosen, candidates=chosen.candidates[:limit])


async def _matched(ctx: Scope, request: StoredRequest, limit: int | None) -> MatchResult:
    """`rank` by infochat's matching."""
    want = limit if limit is not None else 1 << 30
    await counters.refresh(ctx.conn, ctx.now)
    postings = matching.Postings.of(request.fields)
    context = await volunteer_store.request_context(
        ctx.conn, ctx.community.id, request.seeker_id, request.id
    )
    excluded: dict[int, str] = {}
    for near in (False, True):
        found: list[Candidate] = []
        pages = shortlist_store.shortlist(
            ctx.conn,
            ctx.community.id,
            postings,
            near=near,
            first=max(2 * want, 8) if limit else 256,
        )
        async with aclosing(pages):
            async for page in pages:
                for start in range(0, len(page), 64):
                    stats = await volunteer_store.stats_of(
                        ctx.conn, page[start : start + 64], context, ctx.now
                    )
                    result = _ranked_batch(ctx, request, stats)
                    excluded.update(result.excluded)
                    found += [c for c in result.candidates if c.adjacent == near]
                    if _settled(found, want):
                        break
                if _settled(found, want):
                    break
        if found:
            found.sort(key=matching.order_key)
            return MatchResult(tuple(found[:want]), widened=near, excluded=excluded)
    return MatchResult((), excluded=excluded)


def _ranked_batch(ctx: Scope, request: StoredRequest, stats: list[VolunteerStats]) -> MatchResult:
    return matching.rank(
        request.fields,
        request.seeker_id,
        stats,
        ctx.now,
        ctx.settings,
        created_at=request.created_at,
    )


def _settled(found: list[Candidate], want: int) -> bool:
    """Whether the first `want` of `found` (read in tier, load, member id order) are the
    first `want` of the whole stream in matching's order (`order_key`). A later volunteer
    has a lower tier, or the same tier and a higher load or member id: it can only come
    first by common time, so the `want`-th must have it, or the stream must have moved past
    its tier already."""
    if len(found) < want:
        return False
    last = sorted(found, key=matching.order_key)[want - 1]
    return last.common_time or min(c.fit for c in found) < last.fit


async def candidate(
    ctx: Scope, request: StoredRequest, member_id: int, best: MatchResult
) -> Candidate | None:
    """This one volunteer as a candidate of the request (with their reasons), or None when
    `rank` would not list them; `best` is the request's first candidate (`rank`, limit 1)."""
    if not best.candidates:
        return None
    context = await volunteer_store.request_context(
        ctx.conn, ctx.community.id, request.seeker_id, request.id
    )
    stats = await volunteer_store.stats_of(ctx.conn, [member_id], context, ctx.now)
    for found in _ranked_batch(ctx, request, stats).candidates:
        if found.adjacent == best.widened and _ranked(ctx, request, best.widened, found):
            return found
    return None


def _ranked(ctx: Scope, request: StoredRequest, widened: bool, found: Candidate) -> bool:
    """Whether the scope's ranking rule (if any) would ask this candidate at all."""
    if ctx.ranking is None:
        return True
    alone = MatchResult((found,), widened=widened)
    return bool(ctx.ranking.order(request.id, request.fields, alone).candidates)


async def propose(
    ctx: Scope,
    request: StoredRequest,
    volunteer: Member,
    reasons: tuple[str, ...],
    *,
    suggested_by: Member | None = None,
    suggested_by_ask_id: int | None = None,
    note: str = "",
) -> int:
    """Create the ask: to the moderators first when the community requires approval."""
    status = AskStatus.PROPOSED if ctx.settings.approval_required else AskStatus.ASKED
    ask_id = await store.insert_ask(
        ctx.conn, request.id, volunteer.id, status, reasons, ctx.now, suggested_by_ask_id, note
    )
    seeker = await member_store.get_member(ctx.conn, request.seeker_id)
    if status is AskStatus.PROPOSED:
        ask = await store.get_ask(ctx.conn, ask_id)
        assert ask is not None
        await ctx.to_channel(
            ctx.settings.moderators_channel,
            render.approval_message(ask, request, seeker, volunteer),
        )
    else:
        origin = suggested_by.display_name if suggested_by else ""
        await ctx.dm(volunteer.id, render.ask_message(ask_id, request, seeker, note, origin))
        await schedule_ask(ctx, ask_id)
    return ask_id


async def send_ask(ctx: Scope, ask_id: int, request: StoredRequest, volunteer: Member) -> None:
    ask = await store.get_ask(ctx.conn, ask_id)
    assert ask is not None
    await ctx.dm(volunteer.id, await ask_view(ctx, ask, request))


async def ask_view(ctx: Scope, ask: StoredAsk, request: StoredRequest) -> Message:
    """The ask as its volunteer sees it, with its answer buttons."""
    seeker = await member_store.get_member(ctx.conn, request.seeker_id)
    suggested_by = ""
    if ask.suggested_by_ask_id is not None:
        origin = await store.get_ask(ctx.conn, ask.suggested_by_ask_id)
        assert origin is not None
        suggested_by = (await member_store.get_member(ctx.conn, origin.volunteer_id)).display_name
    return render.ask_message(ask.id, request, seeker, ask.note, suggested_by)


async def ask_candidate(ctx: Scope, request: StoredRequest, candidate: Candidate) -> int:
    volunteer = await member_store.get_member(ctx.conn, candidate.volunteer.member_id)
    return await propose(ctx, request, volunteer, candidate.reasons)


async def move_on(ctx: Scope, request_id: int) -> None:
    """After a no (decline, not now, withdrawal, silence): ask the next best, or close kindly.

    The seeker hears the same "still looking" whoever said no and why (R2).
    """
    request = await store.get_request(ctx.conn, request_id)
    if request is None or request.status is not RequestStatus.OPEN:
        return
    if await store.active_asks(ctx.conn, request_id=request.id):
        return
    seeker = await member_store.get_member(ctx.conn, request.seeker_id)
    result = await rank(ctx, request, limit=1)
    if not result.candidates:
        await close(ctx, request, "no_one_left", seeker)
        return
    await ask_candidate(ctx, request, result.candidates[0])
    next_step = (
        "another volunteer is with the moderators for approval"
        if ctx.settings.approval_required
        else "we've asked another volunteer"
    )
    await ctx.dm(
        seeker.id,
        Message(
            text=f"Still looking for request #{request.id} ({request.fields.topic}): "
            f"{next_step}. You'll hear from us when someone says yes."
        ),
    )


async def close(
    ctx: Scope, request: StoredRequest, reason: str, seeker: Member, *, notify: bool = True
) -> bool:
    """Close the request and withdraw its asks; the seeker gets the reason's note by DM,
    unless `notify` is False because the seeker is acting and reads it in the reply."""
    if not await store.set_request_status(
        ctx.conn,
        request.id,
        (RequestStatus.OPEN, RequestStatus.DRAFT),
        RequestStatus.CLOSED,
        ctx.now,
        reason,
    ):
        return False
    for ask in await store.active_asks(ctx.conn, request_id=request.id):
        await withdraw(ctx, ask.id, ask.volunteer_id, ask.status, request)
    note = CLOSE_NOTES.get(reason)
    if note and notify:
        await ctx.dm(seeker.id, Message(text=note.format(id=request.id)))
    return True


async def withdraw(
    ctx: Scope, ask_id: int, volunteer_id: int, status: AskStatus, request: StoredRequest
) -> None:
    """Withdraw an active ask; a volunteer who was asked is told kindly they needn't answer."""
    if not await store.transition_ask(ctx.conn, ask_id, AskStatus.WITHDRAWN, ctx.now):
        return
    if status is AskStatus.ASKED:
        volunteer = await member_store.get_member(ctx.conn, volunteer_id)
        await ctx.dm(
            volunteer.id,
            Message(
                text=f"No need to answer the ask about {request.fields.topic} (ask #{ask_id}) any more. Thank you!"
            ),
        )


async def release_volunteer(ctx: Scope, volunteer_id: int) -> int:
    """A volunteer paused or left: their waiting asks are withdrawn and those requests move on."""
    moved = 0
    for ask in await store.active_asks(ctx.conn, volunteer_id=volunteer_id):
        if await store.transition_ask(ctx.conn, ask.id, AskStatus.WITHDRAWN, ctx.now):
            await move_on(ctx, ask.request_id)
            moved += 1
    return moved


async def has_room(ctx: Scope, member_id: int, *, already_counted: int = 0) -> bool:
    """Not paused, not departed, and below capacity: may this volunteer be asked now?

    A member who is not a volunteer (a suggested colleague) has no profile and no limits
    beyond having to say yes. `already_counted` is for an ask of theirs already in the load.
    """
    profile = await volunteer_store.get_profile(ctx.conn, member_id)
    if profile is None:
        return True
    if not profile.active or (profile.paused_until is not None and profile.paused_until > ctx.now):
        return False
    load = await volunteer_store.load(ctx.conn, member_id, profile.timezone, ctx.now)
    return load - already_counted < profile.monthly_capacity
