"""The volunteer's answers to an ask: Accept, Not right now, Decline, Suggest a colleague (R1, R2)."""

from __future__ import annotations

from datetime import timedelta

from bot.commands import arg_str
from bot.domain.models import AskStatus, RequestStatus
from bot.errors import AlreadyDone, InvalidInput, NotFound
from bot.services import contacts, current_views, flow, followups, render, scheduling
from bot.services.context import Context, Handler
from bot.services.forms import parse_contact, pause_until
from bot.services.requests import member_reference, parse_id
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage import volunteers as volunteer_store
from bot.storage.members import Member
from bot.storage.requests import StoredAsk, StoredRequest
from bot.text import clean
from bot.views import Message, Reply

ANSWERED = {
    AskStatus.ACCEPTED: "You already accepted this one. Thank you!",
    AskStatus.DECLINED: "You already declined this one.",
    AskStatus.NOT_NOW: "You already answered “not right now”.",
    AskStatus.SUGGESTED: "You already suggested a colleague for this one.",
    AskStatus.EXPIRED: "This ask has expired; the request has moved on.",
    AskStatus.WITHDRAWN: "This ask was withdrawn; nothing is needed from you.",
    AskStatus.DENIED: "This ask was withdrawn; nothing is needed from you.",
    AskStatus.PROPOSED: "This ask is still waiting for a moderator.",
}

ANSWERED_FALLBACK = "This ask was already answered."
SUGGESTION_PASSED_ON = (
    "Thank you for the suggestion! We can't ask them for this request this time, so "
    "infochat will find someone else. Nothing more is needed from you."
)
MAX_NAME = 100


async def own_ask(ctx: Context) -> tuple[StoredAsk, StoredRequest]:
    """The actor's ask, waiting for their answer. Someone else's id is simply unknown."""
    ask_id = parse_id(ctx.command.target, "ask")
    ask = await store.get_ask(ctx.conn, ask_id)
    request = await store.get_request(ctx.conn, ask.request_id) if ask else None
    if (
        ask is None
        or request is None
        or ask.volunteer_id != ctx.actor.id
        or request.community_id != ctx.community.id
    ):
        raise NotFound(f"There is no ask #{ask_id} for you.")
    if ask.status is not AskStatus.ASKED:
        raise AlreadyDone(ANSWERED[ask.status])
    return ask, request


async def answer(ctx: Context, ask: StoredAsk, new: AskStatus) -> None:
    if not await store.transition_ask(ctx.conn, ask.id, new, ctx.now):
        # Lost a race with another click: say what the winner did (READ COMMITTED engines
        # see it now; SQLite serialises writers, so this is only a fallback there).
        latest = await store.get_ask(ctx.conn, ask.id)
        text = ANSWERED.get(latest.status) if latest is not None else None
        raise AlreadyDone(text or ANSWERED_FALLBACK)


async def accept(ctx: Context) -> Reply:
    """Accept: the introduction. Across places the volunteer first says how they'd like to
    be reached (a form, prefilled from their profile); nothing changes until they have."""
    ask, request = await own_ask(ctx)
    seeker = await member_store.get_member(ctx.conn, request.seeker_id)
    contact: str | None = None
    if await contacts.across_places(ctx, seeker.id, ctx.actor.id):
        if ctx.command.action == "ask.accept" and "contact" not in ctx.command.args:
            return Reply(form=await contacts.accept_form(ctx, ask.id, seeker, ctx.actor.id))
        contact = parse_contact(ctx.command.args)  # the form's answer: required
    await answer(ctx, ask, AskStatus.ACCEPTED)
    if not await store.set_request_status(
        ctx.conn, request.id, (RequestStatus.OPEN,), RequestStatus.INTRODUCED, ctx.now
    ):
        raise AlreadyDone("This request is no longer open.")
    intro_id = await store.insert_introduction(ctx.conn, request, ask, ctx.now)
    await followups.schedule_after_introduction(ctx, intro_id)
    message = await scheduling.introduce(ctx, intro_id, request, seeker, ctx.actor)
    text = f"Thank you for saying yes! You and {seeker.display_name} are introduced."
    if contact is None:
        await ctx.to_group((seeker.id, ctx.actor.id), message)
    else:
        await contacts.introduce(ctx, intro_id, message, seeker, ctx.actor, contact)
        text += f" They got how to reach you ({contact}) and can send theirs."
        profile = await volunteer_store.get_profile(ctx.conn, ctx.actor.id)
        if profile is not None and not profile.contact:
            text += " `/infochat volunteer edit contact=…` fills it in for next time."
    return Reply(messages=(Message(text=text),), update=await current_views.ask(ctx))


async def not_now(ctx: Context) -> Reply:
    ask, request = await own_ask(ctx)
    profile = await volunteer_store.get_profile(ctx.conn, ctx.actor.id)
    timezone = profile.timezone if profile else "UTC"
    until = pause_until(ctx.command.args, timezone, ctx.now, ctx.settings.not_now_default_days)
    await answer(ctx, ask, AskStatus.NOT_NOW)
    if profile is not None:
        await volunteer_store.set_pause(ctx.conn, ctx.actor.id, until, ctx.now)
        await flow.release_volunteer(ctx, ctx.actor.id)
    await flow.move_on(ctx, request.id)
    day = until.date().isoformat()
    return Reply(
        messages=(
            Message(
                text=f"No problem. You won't get new asks until {day}. `/infochat volunteer resume` ends the pause early."
            ),
        ),
        update=await current_views.ask(ctx),
    )


async def decline(ctx: Context) -> Reply:
    ask, request = await own_ask(ctx)
    await answer(ctx, ask, AskStatus.DECLINED)
    await flow.move_on(ctx, request.id)
    return Reply(
        messages=(
            Message(text="Thanks for letting us know. The seeker won't be told who declined."),
        ),
        update=await current_views.ask(ctx),
    )


async def suggest(ctx: Context) -> Reply:
    ask, request = await own_ask(ctx)
    raw = clean(arg_str(ctx.command.args, "colleague", ""))
    note = clean(arg_str(ctx.command.args, "note", ""), multiline=True)
    if not raw:
        raise InvalidInput(
            "Who should we ask instead? Give their handle.", fields={"colleague": "Required."}
        )
    if len(raw) > 100 or len(note) > 500:
        raise InvalidInput("That's too long (handle ≤ 100, note ≤ 500 characters).")
    user_id = member_reference(raw)
    if not user_id or not user_id.replace("_", "").replace("-", "").replace(".", "").isalnum():
        raise InvalidInput(
            "I couldn't read that handle.", fields={"colleague": "Not a member handle."}
        )
    seeker = await member_store.get_member(ctx.conn, request.seeker_id)
    if user_id in (ctx.actor.user_id, seeker.user_id):
        raise InvalidInput(
            "Suggest someone other than yourself or the seeker.",
            fields={"colleague": "Someone else."},
        )
    known = await member_store.find_member(ctx.conn, ctx.place.id, user_id)
    if known is not None:
        known = await member_store.person_of(ctx.conn, known)
        if known.id in (ctx.actor.id, seeker.id):
            raise InvalidInput(
                "Suggest someone other than yourself or the seeker.",
                fields={"colleague": "Someone else."},
            )
    if known is not None and not await can_be_asked(ctx, known, request):
        return await suggestion_passed_on(ctx, ask, request)
    # Adapters that picked the colleague from the platform's member list add their name, so
    # messages name them before they first act (their own name replaces it then).
    name = clean(arg_str(ctx.command.args, "colleague_name", ""))[:MAX_NAME] or user_id
    colleague = known or await member_store.ensure_member(
        ctx.conn, ctx.community.id, ctx.place.id, user_id, name, ctx.now
    )
    await answer(ctx, ask, AskStatus.SUGGESTED)
    await flow.propose(
        ctx, request, colleague, (f"suggested by {ctx.actor.display_name}",),
        suggested_by=ctx.actor, suggested_by_ask_id=ask.id, note=note,
    )  # fmt: skip
    return Reply(
        messages=(
            Message(
                text=f"Thanks! We'll ask {colleague.display_name}; they get to say yes or no too."
            ),
        ),
        update=await current_views.ask(ctx),
    )


async def can_be_asked(ctx: Context, colleague: Member, request: StoredRequest) -> bool:
    """May this member be asked for this request now? Never says why not (R2)."""
    asked_before = {a.volunteer_id for a in await store.asks_for(ctx.conn, request.id)}
    if colleague.id in asked_before:
        return False
    since = ctx.now - timedelta(days=ctx.settings.decline_cooldown_days)
    if await store.declined_recently(ctx.conn, colleague.id, request.seeker_id, since):
        return False
    return await flow.has_room(ctx, colleague.id)


async def suggestion_passed_on(ctx: Context, ask: StoredAsk, request: StoredRequest) -> Reply:
    """A colleague who can't be asked: the suggester hears the same whatever the reason
    (declined this seeker, already asked, paused, full, left), and the request moves on."""
    await answer(ctx, ask, AskStatus.SUGGESTED)
    await flow.move_on(ctx, request.id)
    return Reply(
        messages=(Message(text=SUGGESTION_PASSED_ON),),
        update=render.done("↪ You suggested a colleague. Thank you!"),
    )


HANDLERS: dict[str, Handler] = {
    "ask.accept": accept,
    "ask.accept_contact": accept,
    "ask.not_now": not_now,
    "ask.decline": decline,
    "ask.suggest": suggest,
}
