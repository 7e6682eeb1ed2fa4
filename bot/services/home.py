"""A member's home: everything that concerns them on one page (Slack's App Home tab).

As a volunteer: the profile, capacity used this month, pause state, the asks waiting for
an answer (with their buttons), and edit / pause / resume. As a seeker: their requests and
a button to start one. Read-only: every button leads to an ordinary command.
"""

from __future__ import annotations

from bot.domain.models import AskStatus
from bot.services import flow
from bot.services.context import Context, Handler
from bot.services.requests import status
from bot.services.volunteers import paused, profile_message
from bot.storage import requests as request_store
from bot.storage import volunteers as volunteer_store
from bot.views import Button, Form, FormField, Line, Message, Reply

PAUSE_FORM = Form(
    title="Pause asks",
    action="volunteer.pause",
    fields=(
        FormField(
            name="until",
            label="Until (leave empty for the community's default)",
            kind="date",
            required=False,
        ),
    ),
    submit_label="Pause",
)
MAX_ASKS_SHOWN = 10


async def home(ctx: Context) -> Reply:
    messages = [*await _volunteer_part(ctx), *await _seeker_part(ctx)]
    return Reply(messages=tuple(messages))


async def _volunteer_part(ctx: Context) -> list[Message]:
    profile = await volunteer_store.get_profile(ctx.conn, ctx.actor.id)
    if profile is None or not profile.active:
        return [
            Message(
                title="Give a chat",
                text="Volunteers get a private ask when a request fits them, and can always say "
                "no or “not right now”. Nobody gets your contact without your yes.",
                buttons=(Button(label="Volunteer", action="volunteer.join", style="primary"),),
            )
        ]
    now_paused = paused(ctx, profile)
    waiting = [
        a
        for a in await request_store.active_asks(ctx.conn, volunteer_id=ctx.actor.id)
        if a.status is AskStatus.ASKED
    ]
    load = await volunteer_store.load(ctx.conn, ctx.actor.id, profile.timezone, ctx.now)
    card = profile_message(profile, "Your volunteer profile", now_paused)
    capacity = Line(
        label="This month",
        value=f"{load - len(waiting)} of {profile.monthly_capacity} chats, "
        f"{len(waiting)} ask(s) waiting for your answer",
    )
    toggle = (
        Button(label="Resume", action="volunteer.resume", style="primary")
        if now_paused
        else Button(label="Pause", action="volunteer.pause", form=PAUSE_FORM)
    )
    out = [
        card.model_copy(
            update={
                "lines": (*card.lines, capacity),
                "buttons": (Button(label="Edit profile", action="volunteer.edit"), toggle),
            }
        )
    ]
    for ask in waiting[:MAX_ASKS_SHOWN]:
        request = await request_store.get_request(ctx.conn, ask.request_id)
        if request is None:
            continue
        out.append(await flow.ask_view(ctx, ask, request))
    return out


async def _seeker_part(ctx: Context) -> list[Message]:
    start = Button(label="Ask for a chat", action="request.create", style="primary")
    mine = await status(ctx)
    message = mine.messages[0]
    return [message.model_copy(update={"buttons": (*message.buttons, start)})]


HANDLERS: dict[str, Handler] = {"member.home": home}
