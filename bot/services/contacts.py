"""Introductions across places (a seeker on one platform, a volunteer on another).

A group DM can't hold both, so each is introduced on their own place, in the same words.
They learn how to reach each other only with consent: the volunteer's Accept asks how they'd
like to be reached (prefilled from their profile's `contact`), and the seeker's copy of the
introduction carries it; the seeker then gives theirs, which goes to the volunteer. Before
the Accept nothing about the volunteer reaches the seeker's place.
"""

from __future__ import annotations

from collections.abc import Callable

from bot.errors import AlreadyDone, InvalidInput, NotFound
from bot.services import render
from bot.services.context import Context, Handler, Scope
from bot.services.forms import CONTACT_HELP, MAX_CONTACT, parse_contact
from bot.services.slot_views import People
from bot.storage import contacts as store
from bot.storage import members as member_store
from bot.storage import requests as request_store
from bot.storage import volunteers as volunteer_store
from bot.storage.contacts import Contacts
from bot.storage.members import Member
from bot.text import shorten
from bot.views import Button, Form, FormField, Line, Message, Reply

ACROSS_NOTE = (
    "You're on different platforms of this community, so each of you gets this introduction "
    "where you are."
)


async def across_places(scope: Scope, member_id: int, other_id: int) -> bool:
    """Whether messages reach the two members on different places."""
    here = await member_store.reach(scope.conn, member_id)
    there = await member_store.reach(scope.conn, other_id)
    return here[0] != there[0]


async def elsewhere(scope: Scope, member_id: int, others: tuple[int, ...]) -> frozenset[int]:
    """Those of `others` reached on another place than the member (one query; none when
    the community has one place)."""
    if not others or len(await scope.places()) < 2:
        return frozenset()
    where = await store.places_reached(scope.conn, [member_id, *others])
    return frozenset(o for o in others if where.get(o) != where.get(member_id))


def reach_text(other: Member, contact: str | None) -> str:
    """How to reach `other`, as far as they shared it."""
    if not contact:
        return f"{other.display_name} hasn't shared how to reach them yet."
    return f"How to reach {other.display_name}: {contact}"


async def as_seen_by(ctx: Context, intro_id: int, people: People, view: Message) -> Message:
    """An introduction's message as the actor sees it: across places, with how to reach the
    other as far as they shared it (a same-place one is as it is)."""
    found = await store.get(ctx.conn, intro_id)
    if found is None or not found.across_places:
        return view
    if ctx.actor.id == found.seeker_id:
        line = Line(label="Contact", value=reach_text(people.volunteer, found.volunteer_contact))
    else:
        line = Line(label="Contact", value=reach_text(people.seeker, found.seeker_contact))
    return view.model_copy(update={"lines": (line, *view.lines)})


async def to_both(
    scope: Scope, intro_id: int, people: People, compose: Callable[[str], Message]
) -> None:
    """To both people of an introduction: together on one place; across places each on
    their own. `compose(reach)` makes the message, given how to reach the other as far as
    they shared it ("" on one place, where they reach each other)."""
    found = await store.get(scope.conn, intro_id)
    if found is None or not found.across_places:
        await scope.to_group(people.member_ids, compose(""))
        return
    for member, other, contact in (
        (people.seeker, people.volunteer, found.volunteer_contact),
        (people.volunteer, people.seeker, found.seeker_contact),
    ):
        await scope.dm(member.id, compose(reach_text(other, contact)))


def with_contact(message: Message) -> Callable[[str], Message]:
    """`message` for `to_both`, with a Contact line when there is one."""

    def compose(reach: str) -> Message:
        if not reach:
            return message
        line = Line(label="Contact", value=reach)
        return message.model_copy(update={"lines": (*message.lines, line)})

    return compose


def contact_field(default: str | None, label: str) -> FormField:
    return FormField(
        name="contact",
        label=label,
        default=default or None,
        max_length=MAX_CONTACT,
        placeholder="email, profile link, calendar link or handle",
    )


async def accept_form(scope: Scope, ask_id: int, seeker: Member, volunteer_id: int) -> Form:
    """The Accept of an ask across places: how the volunteer would like to be reached."""
    profile = await volunteer_store.get_profile(scope.conn, volunteer_id)
    return Form(
        title=f"How should {shorten(seeker.display_name, 20)} reach you?",
        action="ask.accept_contact",
        target=str(ask_id),
        fields=(contact_field(profile.contact if profile else None, "How they can reach you"),),
        submit_label="Accept",
    )


async def introduce(
    scope: Scope,
    intro_id: int,
    message: Message,
    seeker: Member,
    volunteer: Member,
    contact: str,
) -> None:
    """Each on their own place, in the same words; the seeker's copy carries how to reach
    the volunteer, and a second message asks for theirs."""
    await store.set_volunteer_contact(scope.conn, intro_id, contact)
    text = f"{message.text} {ACROSS_NOTE}"
    reach_line = Line(label=f"How to reach {volunteer.display_name}", value=contact)
    await scope.dm(
        seeker.id, message.model_copy(update={"text": text, "lines": (reach_line, *message.lines)})
    )
    given = Line(
        label=f"How to reach {seeker.display_name}",
        value="They're asked for it now; it comes here when they share it.",
    )
    shared = Line(label=f"What {seeker.display_name} got from you", value=contact)
    await scope.dm(
        volunteer.id,
        message.model_copy(update={"text": text, "lines": (shared, given, *message.lines)}),
    )
    await scope.dm(seeker.id, share_prompt(intro_id, volunteer))


def share_prompt(intro_id: int, volunteer: Member) -> Message:
    target = str(intro_id)
    name = volunteer.display_name
    return Message(
        title=f"Let {name} know how to reach you",
        text=(
            f"{name} is on another platform of this community. Share how they can reach you "
            f"({CONTACT_HELP}): it goes to {name} only."
        ),
        buttons=(
            Button(
                label="Share how to reach me",
                action="intro.share_contact",
                target=target,
                style="primary",
                form=Form(
                    title=f"How should {shorten(name, 20)} reach you?",
                    action="intro.share_contact",
                    target=target,
                    fields=(contact_field(None, "How they can reach you"),),
                    submit_label="Share",
                ),
            ),
        ),
    )


def _number(target: str) -> int | None:
    target = target.strip().lstrip("#")
    return int(target) if target.isdigit() and len(target) <= 12 else None


async def _own(ctx: Context) -> Contacts:
    """The seeker's introduction across places; anyone else's (or a same-place one) is
    unknown."""
    intro_id = _number(ctx.command.target)
    if intro_id is None:
        raise InvalidInput("Give the introduction number, in digits (e.g. 12).")
    found = await store.get(ctx.conn, intro_id)
    if (
        found is None
        or found.community_id != ctx.community.id
        or found.seeker_id != ctx.actor.id
        or not found.across_places
    ):
        raise NotFound(f"There is no introduction #{intro_id} for you to share a contact in.")
    return found


async def share(ctx: Context) -> Reply:
    """The seeker's contact, once, delivered to the volunteer on their place."""
    found = await _own(ctx)
    if found.seeker_contact is not None:
        raise AlreadyDone(ALREADY_SHARED)
    contact = parse_contact(ctx.command.args)
    if not await store.set_seeker_contact(ctx.conn, found.intro_id, contact):
        raise AlreadyDone(ALREADY_SHARED)
    volunteer = await member_store.get_member(ctx.conn, found.volunteer_id)
    request = await request_store.get_request(ctx.conn, found.request_id)
    assert request is not None
    seeker = ctx.actor.display_name
    await ctx.dm(
        volunteer.id,
        Message(
            title=f"How to reach {seeker}",
            text=(f"{seeker} shared how to reach them for your chat about {request.fields.topic}."),
            lines=(Line(label=f"How to reach {seeker}", value=contact),),
        ),
    )
    return Reply(
        messages=(Message(text=f"Sent to {volunteer.display_name}, and to nobody else."),),
        update=shared_view(contact),
    )


ALREADY_SHARED = "You already shared how to reach you for this chat."


def shared_view(contact: str) -> Message:
    return render.done(f"✅ You shared how to reach you: {contact}")


async def current(ctx: Context) -> Message | None:
    """The share prompt, once the seeker shared (for a click that lost or came late)."""
    intro_id = _number(ctx.command.target)
    found = await store.get(ctx.conn, intro_id) if intro_id is not None else None
    if found is None or found.community_id != ctx.community.id or found.seeker_id != ctx.actor.id:
        return None
    return shared_view(found.seeker_contact) if found.seeker_contact is not None else None


HANDLERS: dict[str, Handler] = {"intro.share_contact": share}
