"""What a message with buttons says now, rendered from the database: one function per kind
of message (an approval, an ask, a request's suggestions, a draft, an introduction's times,
a follow-up question, a thank-you prompt, a delete confirmation).

The click that wins shows it as its outcome, and a click that lost the race (or came late)
shows the same, so the message ends up saying what happened whichever click an adapter
shows last. `None`: the message's buttons still work, so it stays as it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from zoneinfo import ZoneInfo

from bot.domain.followup import IntroductionStatus
from bot.domain.models import AskStatus, RequestStatus
from bot.errors import AlreadyDone
from bot.services import contacts, render
from bot.services.context import Context, Handler, Scope
from bot.services.slot_views import People, none_fit_view, picked_view
from bot.storage import audit
from bot.storage import followups as followup_store
from bot.storage import members as member_store
from bot.storage import privacy as privacy_store
from bot.storage import requests as store
from bot.storage import scheduling as scheduling_store
from bot.storage import thanks as thanks_store
from bot.storage import volunteers as volunteer_store
from bot.storage.requests import StoredAsk, StoredRequest
from bot.storage.scheduling import Scheduling
from bot.views import Message, Reply

CurrentView = Callable[[Context], Awaitable[Message | None]]

STATUS_TEXT = {
    RequestStatus.DRAFT: "draft (waiting for you to send it)",
    RequestStatus.OPEN: "looking for a volunteer",
    RequestStatus.INTRODUCED: "introduced",
    RequestStatus.COMPLETED: "chat completed",
    RequestStatus.CLOSED: "closed",
}
WITHDRAWN = "This ask was withdrawn; nothing is needed from you."
DATA_DELETED = "Your data is deleted. Thank you for being part of this community."


async def run(handler: Handler, ctx: Context) -> Reply:
    """Run a command's handler. When it finds its click out of date (`AlreadyDone`), its own
    changes are undone first and the refusal carries what the clicked message says now."""
    try:
        async with ctx.conn.begin_nested():
            return await handler(ctx)
    except AlreadyDone as exc:
        view = CURRENT.get(ctx.command.action)
        exc.current = await view(ctx) if view is not None else None
        raise


def _number(text: str) -> int | None:
    text = text.strip().lstrip("#")
    return int(text) if text.isdigit() and len(text) <= 12 else None


async def _ask_of(ctx: Context) -> tuple[StoredAsk, StoredRequest] | None:
    ask_id = _number(ctx.command.target)
    ask = await store.get_ask(ctx.conn, ask_id) if ask_id is not None else None
    request = await store.get_request(ctx.conn, ask.request_id) if ask else None
    if ask is None or request is None or request.community_id != ctx.community.id:
        return None
    return ask, request


def cant_be_asked(volunteer: str, request_id: int) -> str:
    """The same words whatever the reason (paused, left, full): a volunteer's answers to
    other asks are nobody else's business (R2)."""
    return f"{volunteer} can't be asked right now, so request #{request_id} moved on."


# ── moderators ──────────────────────────────────────────────────────────────────────────


async def approval(ctx: Context) -> Message | None:
    """The moderators' approval message: who approved or denied it, or why it went."""
    found = await _ask_of(ctx)
    if found is None or not ctx.actor.is_moderator:
        return None
    ask, request = found
    if ask.status is AskStatus.PROPOSED:
        return None
    volunteer = await member_store.get_member(ctx.conn, ask.volunteer_id)
    if ask.approved_by is not None:
        moderator = await member_store.get_member(ctx.conn, ask.approved_by)
        return render.done(
            f"✅ Ask #{ask.id} approved by {moderator.display_name}; "
            f"{volunteer.display_name} has been asked."
        )
    target = f"ask:{ask.id}"
    if ask.status is AskStatus.DENIED:
        by = await audit.actor_of(ctx.conn, ctx.community.id, "deny", target)
        return render.done(f"⛔ Ask #{ask.id} denied by {by or 'a moderator'}.")
    if await audit.actor_of(ctx.conn, ctx.community.id, "approve", target):
        return render.done(f"Ask #{ask.id}: {cant_be_asked(volunteer.display_name, request.id)}")
    return render.done(f"Ask #{ask.id} no longer needs approval: it was withdrawn.")


# ── volunteers ──────────────────────────────────────────────────────────────────────────


async def ask(ctx: Context) -> Message | None:
    """The volunteer's ask: their answer, or why nothing is needed from them any more."""
    found = await _ask_of(ctx)
    if found is None or found[0].volunteer_id != ctx.actor.id:
        return None
    ask, request = found
    if ask.status is AskStatus.ACCEPTED:
        seeker = await member_store.get_member(ctx.conn, request.seeker_id)
        return render.done(
            f"✅ You accepted {seeker.display_name}'s request about {request.fields.topic}."
        )
    if ask.status is AskStatus.NOT_NOW:
        profile = await volunteer_store.get_profile(ctx.conn, ctx.actor.id)
        if profile is None or profile.paused_until is None or profile.paused_until <= ctx.now:
            return render.done("⏸ Not right now.")
        day = profile.paused_until.astimezone(ZoneInfo(profile.timezone)).date().isoformat()
        return render.done(f"⏸ Not right now: paused until {day}.")
    if ask.status is AskStatus.DECLINED:
        return render.done("Declined. Thanks for answering.")
    if ask.status is AskStatus.SUGGESTED:
        later = await store.asks_for(ctx.conn, request.id)
        colleague = next((a for a in later if a.suggested_by_ask_id == ask.id), None)
        if colleague is None:
            return render.done("↪ You suggested a colleague.")
        name = (await member_store.get_member(ctx.conn, colleague.volunteer_id)).display_name
        return render.done(f"↪ You suggested {name}.")
    if ask.status is AskStatus.EXPIRED:
        return render.done("This ask has expired; the request has moved on.")
    if ask.status in (AskStatus.WITHDRAWN, AskStatus.DENIED):
        return render.done(WITHDRAWN)
    return None  # still waiting for an answer (or for a moderator)


# ── seekers ─────────────────────────────────────────────────────────────────────────────


async def _own_request(ctx: Context) -> StoredRequest | None:
    request_id = _number(ctx.command.target.partition(":")[0])
    request = await store.get_request(ctx.conn, request_id) if request_id is not None else None
    if request is None or request.seeker_id != ctx.actor.id:
        return None
    return request if request.community_id == ctx.community.id else None


async def request_state(scope: Scope, request: StoredRequest) -> str:
    """Where a request stands, as its seeker may see it (never who declined)."""
    if request.status is RequestStatus.OPEN:
        active = await store.active_asks(scope.conn, request_id=request.id)
        if any(a.status is AskStatus.PROPOSED for a in active):
            return "waiting for a moderator's approval"
        if active:
            return "waiting for the volunteer to answer"
    elif request.status is RequestStatus.INTRODUCED:
        volunteer_id = await store.introduction_for(scope.conn, request.id)
        if volunteer_id is not None:
            name = (await member_store.get_member(scope.conn, volunteer_id)).display_name
            return f"introduced to {name}"
    elif request.status is RequestStatus.CLOSED and request.close_reason:
        return f"closed ({request.close_reason.replace('_', ' ')})"
    return STATUS_TEXT[request.status]


async def suggestions(ctx: Context) -> Message | None:
    """The volunteers suggested for a request: where the request stands once one is asked."""
    request = await _own_request(ctx)
    if request is None:
        return None
    if request.status is RequestStatus.OPEN and not await store.active_asks(
        ctx.conn, request_id=request.id
    ):
        return None  # nobody asked yet: the seeker may still pick
    return render.done(f"Request #{request.id}: {await request_state(ctx, request)}.")


async def draft(ctx: Context) -> Message | None:
    """A draft the coach kept: sent, or discarded."""
    request = await _own_request(ctx)
    if request is None or request.status is RequestStatus.DRAFT:
        return None
    if request.status is RequestStatus.CLOSED and request.close_reason == "discarded":
        return render.done(f"Draft #{request.id} discarded.")
    return render.done(f"Request #{request.id} sent.")


# ── after the introduction ──────────────────────────────────────────────────────────────


async def introduction(ctx: Context) -> Message | None:
    """The introduction with its proposed times: the time picked, or that none fit."""
    intro_id = _number(ctx.command.target.partition(":")[0])
    intro = await scheduling_store.get(ctx.conn, intro_id) if intro_id is not None else None
    if (
        intro is None
        or intro.community_id != ctx.community.id
        or ctx.actor.id not in (intro.seeker_id, intro.volunteer_id)
    ):
        return None
    request, people = await introduction_people(ctx, intro)
    if intro.slot_start is not None:
        view = picked_view(request, people, intro.slot_start)
    elif not intro.slots:
        view = none_fit_view(request, people)
    elif intro.completed_at is not None:
        view = render.introduction_message(
            request,
            people.seeker,
            people.volunteer,
            next_step="The chat has happened. Thank you both!",
        )
    else:
        return None
    return await contacts.as_seen_by(ctx, intro.intro_id, people, view)


async def introduction_people(scope: Scope, intro: Scheduling) -> tuple[StoredRequest, People]:
    """An introduction's request, and its two people with their time zones."""
    request = await store.get_request(scope.conn, intro.request_id)
    assert request is not None
    seeker = await member_store.get_member(scope.conn, intro.seeker_id)
    volunteer = await member_store.get_member(scope.conn, intro.volunteer_id)
    profile = await volunteer_store.get_profile(scope.conn, volunteer.id)
    volunteer_tz = profile.timezone if profile else "UTC"
    return request, People(seeker, request.fields.timezone, volunteer, volunteer_tz)


async def followup(ctx: Context) -> Message | None:
    """ "Did your chat happen?", as the member who is asked answered it."""
    intro_id = _number(ctx.command.target.partition(":")[0])
    intro = (
        await followup_store.get_introduction(ctx.conn, intro_id) if intro_id is not None else None
    )
    if (
        intro is None
        or intro.community_id != ctx.community.id
        or ctx.actor.id not in (intro.seeker_id, intro.volunteer_id)
    ):
        return None
    other = await member_store.get_member(ctx.conn, intro.other(ctx.actor.id))
    if intro.confirmed_by(ctx.actor.id) or intro.status is IntroductionStatus.COMPLETED:
        return render.done(f"✅ Your chat with {other.display_name} happened. Thank you!")
    if ctx.actor.id in await followup_store.reporters(ctx.conn, intro.id):
        return render.done("Noted: the chat didn't happen. This stays private.")
    return None


async def thanks(ctx: Context) -> Message | None:
    """The prompt to say thank you: sent."""
    intro_id = _number(ctx.command.target)
    intro = (
        await followup_store.get_introduction(ctx.conn, intro_id) if intro_id is not None else None
    )
    if intro is None or intro.community_id != ctx.community.id or intro.seeker_id != ctx.actor.id:
        return None
    if not await thanks_store.exists(ctx.conn, intro.id):
        return None
    volunteer = await member_store.get_member(ctx.conn, intro.volunteer_id)
    return render.done(f"💌 Thanks sent to {volunteer.display_name}.")


async def deletion(ctx: Context) -> Message | None:
    """ "Delete my data?": done, once nothing is stored about the member any more."""
    if ctx.command.target != "confirm":
        return None
    member = await member_store.get_member(ctx.conn, ctx.actor.id)
    if privacy_store.is_deleted(member.user_id):
        return render.done(DATA_DELETED)
    data = await privacy_store.member_data(ctx.conn, ctx.actor.id)
    if privacy_store.stores_more_than_a_name(data):
        return None
    return render.done(DATA_DELETED)


# Each button action whose message the core updates → what that message says now.
CURRENT: dict[str, CurrentView] = {
    "mod.approve": approval,
    "mod.deny": approval,
    "ask.accept": ask,
    "ask.accept_contact": ask,
    "ask.not_now": ask,
    "ask.decline": ask,
    "ask.suggest": ask,
    "request.pick": suggestions,
    "request.submit": draft,
    "request.discard": draft,
    "intro.pick_slot": introduction,
    "intro.no_slot": introduction,
    "intro.share_contact": contacts.current,
    "followup.yes": followup,
    "followup.not_yet": followup,
    "followup.didnt_happen": followup,
    "thanks.send": thanks,
    "member.delete": deletion,
}
