"""Say thank you (R12): once the seeker confirms the chat, they are offered an editable
draft that refers to what was discussed; sending it DMs the volunteer, once."""

from __future__ import annotations

from bot.commands import arg_str
from bot.errors import AlreadyDone, InvalidInput, NotFound, UserError
from bot.services import current_views
from bot.services.context import Context, Handler
from bot.storage import followups as intro_store
from bot.storage import members as member_store
from bot.storage import requests as request_store
from bot.storage import thanks as store
from bot.storage.followups import Introduction
from bot.storage.members import Member
from bot.storage.requests import StoredRequest
from bot.text import clean, neutralize, shorten
from bot.views import Button, Form, FormField, Line, Message, Reply

MAX_THANKS = 1000


def draft(intro: Introduction, request: StoredRequest, volunteer: Member) -> str:
    """A starting point that names what was discussed; the seeker makes it theirs."""
    fields = request.fields
    text = (
        f"Hi {volunteer.display_name}, thank you for the {intro.minutes} minutes on {fields.topic}."
    )
    if fields.questions:
        text += f" Your answer to “{shorten(fields.questions[0], 150)}” was just what I needed."
    text += " What I'm taking away: …"
    return neutralize(shorten(text, MAX_THANKS))


def prompt(intro: Introduction, request: StoredRequest, volunteer: Member) -> Message:
    text = draft(intro, request, volunteer)
    target = str(intro.id)
    return Message(
        title=f"Say thank you to {volunteer.display_name}",
        text="A short note that says what you took away means a lot. Here is a draft to make "
        "your own (replace the “…”).",
        lines=(Line(label="Draft", value=text),),
        buttons=(
            Button(
                label="Send thanks",
                action="thanks.send",
                target=target,
                style="primary",
                form=Form(
                    title=f"Thank {shorten(volunteer.display_name, 40)}",
                    action="thanks.send",
                    target=target,
                    fields=(
                        FormField(
                            name="text",
                            label="Your thank-you",
                            kind="long_text",
                            default=text,
                            max_length=MAX_THANKS,
                        ),
                    ),
                    submit_label="Send thanks",
                ),
            ),
        ),
    )


async def send(ctx: Context) -> Reply:
    target = ctx.command.target.strip()
    intro = (
        await intro_store.get_introduction(ctx.conn, int(target))
        if target.isdigit() and len(target) <= 12
        else None
    )
    if intro is None or intro.community_id != ctx.community.id or intro.seeker_id != ctx.actor.id:
        raise NotFound(f"There is no chat #{target[:12]} for you to thank someone for.")
    if not intro.seeker_confirmed:
        raise UserError("Confirm the chat happened first; then you can send your thanks.")
    text = clean(arg_str(ctx.command.args, "text", ""), multiline=True)
    if not text:
        raise InvalidInput("Write a few words of thanks.", fields={"text": "Required."})
    if len(text) > MAX_THANKS:
        raise InvalidInput(
            f"Keep it under {MAX_THANKS} characters (it has {len(text)}).",
            fields={"text": f"At most {MAX_THANKS} characters."},
        )
    volunteer = await member_store.get_member(ctx.conn, intro.volunteer_id)
    if not await store.record(ctx.conn, intro.id, ctx.actor.id, volunteer.id, text, ctx.now):
        raise AlreadyDone(f"You already thanked {volunteer.display_name} for this chat.")
    request = await request_store.get_request(ctx.conn, intro.request_id)
    assert request is not None
    await ctx.dm(
        volunteer.id,
        Message(
            title=f"A thank-you from {ctx.actor.display_name}",
            text=text,
            lines=(Line(label="For", value=f"{intro.minutes} minutes on {request.fields.topic}"),),
            mentions=(ctx.actor.user_id,),
        ),
    )
    return Reply(
        messages=(Message(text=f"Sent to {volunteer.display_name}. Thank you for saying thanks!"),),
        update=await current_views.thanks(ctx),
    )


HANDLERS: dict[str, Handler] = {"thanks.send": send}
