"""Scheduling help (R8): an introduction proposes up to three times that suit both people,
either of them picks one (and both get a calendar invite) or says none of them fit."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.slots import propose_slots, to_utc
from bot.errors import AlreadyDone, InvalidInput, NotFound
from bot.services import contacts, current_views
from bot.services.context import Context, Handler, Scope
from bot.services.invite import calendar_invite
from bot.services.requests import parse_id
from bot.services.slot_views import People, proposal_view, when
from bot.storage import jobs
from bot.storage import scheduling as store
from bot.storage import volunteers as volunteer_store
from bot.storage.members import Member
from bot.storage.requests import StoredRequest
from bot.storage.scheduling import Scheduling
from bot.views import Line, Message, Reply

FOLLOWUP_AFTER = timedelta(hours=1)  # after the picked slot ends


async def introduce(
    scope: Scope, intro_id: int, request: StoredRequest, seeker: Member, volunteer: Member
) -> Message:
    """Propose times for a new introduction, store them, and return its message."""
    profile = await volunteer_store.get_profile(scope.conn, volunteer.id)
    people = People(
        seeker, request.fields.timezone, volunteer, profile.timezone if profile else "UTC"
    )
    slots: tuple[datetime, ...] = ()
    if profile is not None:  # a suggested colleague without a profile has no windows
        f = request.fields
        start = max(_tomorrow(scope.now, z) for z in (people.volunteer_tz, people.seeker_tz))
        end = request.created_at + timedelta(days=f.time_frame_days)
        slots = propose_slots(
            profile.windows, profile.timezone, f.windows, f.timezone, f.minutes, start, end
        )
        await store.set_slots(scope.conn, intro_id, slots)
    return proposal_view(intro_id, request, people, slots)


def _tomorrow(now: datetime, timezone: str) -> datetime:
    zone = ZoneInfo(timezone)
    day = now.astimezone(zone).date() + timedelta(days=1)
    return to_utc(day, time(0, 0), zone, first_occurrence=True)


async def pick_slot(ctx: Context) -> Reply:
    intro_part, _, number = ctx.command.target.partition(":")
    intro = await _open_intro(ctx, intro_part)
    index = int(number) if number.isdigit() and len(number) < 3 else 0
    if not 1 <= index <= len(intro.slots):
        raise NotFound(f"There is no slot {number[:3]} for this introduction.")
    start = intro.slots[index - 1]
    if start <= ctx.now:
        raise InvalidInput("That time has passed. Please pick another or agree on one between you.")
    if not await store.pick(ctx.conn, intro.intro_id, start):
        raise AlreadyDone("A time was already picked for this chat.")
    ending = start + timedelta(minutes=intro.minutes)
    await jobs.schedule(
        ctx.conn, intro.community_id, "followup", intro.intro_id, ending + FOLLOWUP_AFTER,
        ctx.now, period="slot",
    )  # fmt: skip
    request, people = await current_views.introduction_people(ctx, intro)
    f = request.fields

    def date(reach: str = "") -> Message:
        invite = calendar_invite(
            intro.intro_id, start, intro.minutes,
            seeker=people.seeker.display_name, volunteer=people.volunteer.display_name,
            topic=f.topic, chat_format=f.format, questions=f.questions, now=ctx.now,
            reach=reach,
        )  # fmt: skip
        return Message(
            title=f"It's a date: {time_text}",
            text=(
                f"{ctx.actor.display_name} picked a time for the {intro.minutes}-minute chat "
                f"between {people.seeker.display_name} and {people.volunteer.display_name}. "
                f"The calendar invite is attached ({invite.filename})."
            ),
            lines=(Line(label="Contact", value=reach),) if reach else (),
            mentions=people.user_ids,
            attachments=(invite,),
        )

    time_text = when(start, people)
    # Across places each gets it on their own place, with how to reach the other.
    await contacts.to_both(ctx, intro.intro_id, people, date)
    return Reply(
        messages=(Message(text=f"Done: {time_text}. You both get the calendar invite."),),
        update=await current_views.introduction(ctx),
    )


async def no_slot(ctx: Context) -> Reply:
    intro = await _open_intro(ctx, ctx.command.target)
    if not await store.none_fit(ctx.conn, intro.intro_id):
        raise AlreadyDone("A time was already picked for this chat.")
    _, people = await current_views.introduction_people(ctx, intro)
    seeker, volunteer = people.seeker.display_name, people.volunteer.display_name
    agree = Message(
        text=(
            f"None of the proposed times fit, and that's fine. {seeker} and {volunteer}, "
            f"please agree on a time between you, within the {intro.minutes} minutes agreed."
        ),
        mentions=people.user_ids,
    )
    await contacts.to_both(ctx, intro.intro_id, people, contacts.with_contact(agree))
    return Reply(
        messages=(Message(text="Noted: you'll agree on a time between you."),),
        update=await current_views.introduction(ctx),
    )


async def _open_intro(ctx: Context, target: str) -> Scheduling:
    """The actor's introduction with proposed times still open; anyone else's is unknown."""
    intro_id = parse_id(target, "introduction")
    intro = await store.get(ctx.conn, intro_id, lock=True)
    if (
        intro is None
        or intro.community_id != ctx.community.id
        or ctx.actor.id not in (intro.seeker_id, intro.volunteer_id)
    ):
        raise NotFound(f"There is no introduction #{intro_id} for you.")
    if intro.slot_start is not None:
        raise AlreadyDone("A time was already picked for this chat; the invite was sent.")
    if intro.completed_at is not None:
        raise AlreadyDone("This chat has already happened.")
    if not intro.slots:
        raise AlreadyDone("There are no proposed times to pick from; agree on one between you.")
    return intro


HANDLERS: dict[str, Handler] = {
    "intro.pick_slot": pick_slot,
    "intro.no_slot": no_slot,
}
