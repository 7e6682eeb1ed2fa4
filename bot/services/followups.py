"""After the chat (R12): "Did your chat happen?", asked of both, privately.

It is asked after the picked slot ends, or `followup_days` after the introduction when no
slot was picked. Each member answers for themselves: Yes, Not yet (asked again a few days
later, at most `AGAIN_ROUNDS` times) or It didn't happen. The first Yes, from either side,
completes the chat: that is what the ledger counts. "It didn't happen" is a private note
about the other member; nobody else is told and it is never shown publicly.
"""

from __future__ import annotations

from datetime import timedelta

from bot.domain.followup import (
    AFTER_INTRODUCTION,
    AGAIN_ROUNDS,
    IntroductionStatus,
    again_period,
    round_of,
    slot_ahead,
)
from bot.domain.models import RequestStatus
from bot.errors import AlreadyDone, InvalidInput, NotFound
from bot.jobs import JobHandler
from bot.services import current_views, pay_it_forward, render, thanks
from bot.services.context import Context, Handler, Scope
from bot.storage import followups as store
from bot.storage import jobs
from bot.storage import members as member_store
from bot.storage import requests as request_store
from bot.storage.followups import Introduction
from bot.storage.jobs import Job
from bot.storage.members import Member
from bot.storage.requests import StoredRequest
from bot.views import Button, Message, Reply

KIND = "followup"


async def schedule_after_introduction(scope: Scope, introduction_id: int) -> None:
    """Called when the volunteer accepts: ask some days later, unless a slot is picked."""
    due = scope.now + timedelta(days=scope.settings.followup_days)
    await jobs.schedule(
        scope.conn, scope.community.id, KIND, introduction_id, due, scope.now, AFTER_INTRODUCTION
    )


async def ask(scope: Scope, job: Job) -> None:
    """The follow-up job: ask whoever hasn't answered yet, unless it's already settled."""
    intro = await store.get_introduction(scope.conn, int(job.target))
    if intro is None or intro.status is IntroductionStatus.COMPLETED:
        return
    if intro.slot_start is not None and job.period == AFTER_INTRODUCTION:
        return  # a slot was picked: the follow-up scheduled after it asks (period AFTER_SLOT)
    if slot_ahead(intro.slot_start, intro.minutes, scope.now):
        return  # not before the picked slot has ended
    reported = await store.reporters(scope.conn, intro.id)
    request = await request_store.get_request(scope.conn, intro.request_id)
    assert request is not None
    seeker = await member_store.get_member(scope.conn, intro.seeker_id)
    volunteer = await member_store.get_member(scope.conn, intro.volunteer_id)
    for member, other in ((seeker, volunteer), (volunteer, seeker)):
        if member.id in reported or intro.confirmed_by(member.id):
            continue
        await scope.dm(member.id, question(intro, request, other, round_of(job.period)))


def question(intro: Introduction, request: StoredRequest, other: Member, round_: int) -> Message:
    target = f"{intro.id}:{round_}"
    opening = "Checking in again: did" if round_ else "Did"
    return Message(
        title=f"Did your chat with {other.display_name} happen?",
        text=(
            f"{opening} your {intro.minutes}-minute chat with {other.display_name} about "
            f"{request.fields.topic} happen? Your answer stays between you and the bot."
        ),
        buttons=(
            Button(label="Yes", action="followup.yes", target=target, style="primary"),
            Button(label="Not yet", action="followup.not_yet", target=target),
            Button(
                label="It didn't happen",
                action="followup.didnt_happen",
                target=target,
                style="danger",
            ),
        ),
    )


async def own_introduction(ctx: Context) -> tuple[Introduction, int]:
    """The introduction a follow-up button is about, and its round, if the actor is in it.
    Anybody else's (or a made-up) id is simply unknown."""
    raw_id, _, raw_round = ctx.command.target.partition(":")
    if not raw_id.isdigit() or len(raw_id) > 12:
        raise InvalidInput("That button had no valid chat number.")
    intro = await store.get_introduction(ctx.conn, int(raw_id))
    if (
        intro is None
        or intro.community_id != ctx.community.id
        or ctx.actor.id not in (intro.seeker_id, intro.volunteer_id)
    ):
        raise NotFound(f"There is no chat #{raw_id} for you.")
    round_ = int(raw_round) if raw_round.isdigit() and len(raw_round) < 3 else 0
    return intro, min(round_, AGAIN_ROUNDS)


async def _already_said_it_didnt_happen(ctx: Context, intro: Introduction) -> bool:
    return ctx.actor.id in await store.reporters(ctx.conn, intro.id)


async def yes(ctx: Context) -> Reply:
    intro, _ = await own_introduction(ctx)
    if not await store.confirm(ctx.conn, intro, ctx.actor.id):
        raise AlreadyDone("You already confirmed this chat. Thank you!")
    # Said it didn't happen, then it did after all: the earlier report goes.
    await store.withdraw_no_show(ctx.conn, intro.id, ctx.actor.id)
    if await store.complete(ctx.conn, intro.id, ctx.now):
        await request_store.set_request_status(
            ctx.conn,
            intro.request_id,
            (RequestStatus.INTRODUCED,),
            RequestStatus.COMPLETED,
            ctx.now,
        )
        await pay_it_forward.consider(ctx, intro.seeker_id)
    other = await member_store.get_member(ctx.conn, intro.other(ctx.actor.id))
    update = await current_views.followup(ctx)
    if ctx.actor.id == intro.seeker_id:
        request = await request_store.get_request(ctx.conn, intro.request_id)
        assert request is not None
        return Reply(
            messages=(
                Message(text="Wonderful, thanks for telling us! The chat now counts in the "
                        "community's ledger (`/infochat me`)."),
                thanks.prompt(intro, request, other),
            ),
            update=update,
        )  # fmt: skip
    return Reply(
        messages=(
            Message(
                text=f"Thank you for giving {other.display_name} your time! It counts in your "
                "ledger: `/infochat me` shows the chats you gave and received."
            ),
        ),
        update=update,
    )


async def not_yet(ctx: Context) -> Reply:
    intro, round_ = await own_introduction(ctx)
    if intro.confirmed_by(ctx.actor.id):
        raise AlreadyDone("You already confirmed this chat. Thank you!")
    if await _already_said_it_didnt_happen(ctx, intro):
        raise AlreadyDone("You already told us this chat didn't happen.")
    if intro.status is IntroductionStatus.COMPLETED:
        raise AlreadyDone("This chat is already confirmed as done. Thank you!")
    following = round_ + 1
    if following > AGAIN_ROUNDS:
        # No more questions; the buttons of this message still work if the chat happens.
        return Reply.say(
            "Okay. We won't ask again. If the chat does happen, press Yes on this message."
        )
    days = ctx.settings.followup_days
    await jobs.schedule(
        ctx.conn,
        ctx.community.id,
        KIND,
        intro.id,
        ctx.now + timedelta(days=days),
        ctx.now,
        again_period(following),
    )
    text = f"No problem. We'll ask again in a few days ({days} or so)."
    return Reply(messages=(Message(text=text),), update=render.done(f"⏳ Not yet. {text}"))


async def didnt_happen(ctx: Context) -> Reply:
    intro, _ = await own_introduction(ctx)
    if intro.confirmed_by(ctx.actor.id):
        raise AlreadyDone("You already confirmed this chat happened.")
    if await _already_said_it_didnt_happen(ctx, intro):
        raise AlreadyDone("You already told us this chat didn't happen.")
    if not await store.report_no_show(ctx.conn, intro, ctx.actor.id, ctx.now):
        raise AlreadyDone("You already told us this chat didn't happen.")
    await store.mark_not_happened(ctx.conn, intro.id)
    text = (
        "Thanks for letting us know, and sorry it didn't work out. This stays private: "
        "nobody is told and it is never shown publicly."
    )
    if ctx.actor.id == intro.seeker_id:
        text += " If you'd still like a chat, `/infochat request` starts a new request."
    return Reply(
        messages=(Message(text=text),),
        update=await current_views.followup(ctx),
    )


HANDLERS: dict[str, Handler] = {
    "followup.yes": yes,
    "followup.not_yet": not_yet,
    "followup.didnt_happen": didnt_happen,
}
JOBS: dict[str, JobHandler] = {KIND: ask}
