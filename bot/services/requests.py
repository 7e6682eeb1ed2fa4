"""The seeker's commands: request (with the coach), send anyway, pick, status, cancel."""

from __future__ import annotations

import re
from dataclasses import replace

from bot.commands import arg_str
from bot.domain import coach
from bot.domain.models import RequestStatus, Severity
from bot.errors import AlreadyDone, InvalidInput, NotFound, UserError
from bot.services import contacts, current_views, flow, render
from bot.services.context import Context, Handler
from bot.services.form_views import request_form
from bot.services.forms import parse_request
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage import volunteers as volunteer_store
from bot.storage.requests import StoredRequest
from bot.views import Line, Message, Reply

_MENTION = re.compile(r"^<@!?([A-Za-z0-9]+)(?:\|[^>]*)?>$")

MAX_DRAFT_BUTTONS = 2  # the newest drafts get Send and Discard buttons in status
STATUS_TEXT = current_views.STATUS_TEXT


def member_reference(raw: str) -> str:
    """A member as typed: `@name`, a platform mention `<@U123>` or a bare id → the user id."""
    raw = raw.strip()
    match = _MENTION.match(raw)
    return match.group(1) if match else raw.lstrip("@")


async def own_request(ctx: Context, target: str) -> StoredRequest:
    """The actor's own request by id; someone else's id is as unknown as a missing one."""
    request_id = parse_id(target, "request")
    request = await store.get_request(ctx.conn, request_id)
    if (
        request is None
        or request.seeker_id != ctx.actor.id
        or request.community_id != ctx.community.id
    ):
        raise NotFound(f"You have no request #{request_id}. `/infochat status` lists yours.")
    return request


def parse_id(target: str, what: str) -> int:
    target = target.strip().lstrip("#")
    if not target.isdigit() or len(target) > 12:
        raise InvalidInput(f"Give the {what} number, in digits (e.g. 12).")
    return int(target)


async def create(ctx: Context) -> Reply:
    args = ctx.command.args
    if not args:
        return Reply(form=request_form(ctx.settings))
    fields, person = parse_request(args, ctx.settings)
    target_member_id = None
    if person:
        volunteer = await member_store.find_member(ctx.conn, ctx.place.id, member_reference(person))
        if volunteer is not None:
            volunteer = await member_store.person_of(ctx.conn, volunteer)
        profile = await volunteer_store.get_profile(ctx.conn, volunteer.id) if volunteer else None
        if volunteer is None or profile is None or not profile.active:
            raise InvalidInput(
                "That person hasn't opted in as a volunteer, so I can't ask them. "
                "Leave `person` empty and I'll find someone who has.",
                fields={"person": "Not a volunteer here."},
            )
        if volunteer.id == ctx.actor.id:
            raise InvalidInput("You can't ask yourself.", fields={"person": "That's you."})
        target_member_id = volunteer.id
        fields = replace(fields, target_user_id=volunteer.user_id)
    await check_open_limit(ctx)
    findings = coach.review(fields, ctx.settings)
    if any(f.severity is Severity.BLOCKING for f in findings):
        raise InvalidInput(
            render.blocking_text(findings), fields={f.field: f.message for f in findings}
        )
    override = str(args.get("override", "")).lower() in ("1", "yes", "true")
    await replace_draft(ctx, arg_str(args, "replaces"))
    if findings and not override:
        request_id = await store.insert_request(
            ctx.conn, ctx.community.id, ctx.actor.id, fields, target_member_id,
            RequestStatus.DRAFT, findings, ctx.now,
        )  # fmt: skip
        return Reply(messages=(render.findings_message(request_id, findings),))
    request_id = await store.insert_request(
        ctx.conn, ctx.community.id, ctx.actor.id, fields, target_member_id,
        RequestStatus.OPEN, findings, ctx.now,
    )  # fmt: skip
    return await start_matching(ctx, request_id)


async def replace_draft(ctx: Context, target: str) -> None:
    """`replaces=<draft>`: an edited request sent again closes the draft the coach kept, in
    the same transaction (its buttons go stale)."""
    if not target:
        return
    draft = await own_request(ctx, target)
    if not await store.set_request_status(
        ctx.conn, draft.id, (RequestStatus.DRAFT,), RequestStatus.CLOSED, ctx.now, "discarded"
    ):
        raise AlreadyDone(f"Request #{draft.id} was already sent or discarded.")


async def check_open_limit(ctx: Context) -> None:
    await member_store.lock_member(ctx.conn, ctx.actor.id)
    limit = ctx.settings.max_open_requests
    if await store.count_open(ctx.conn, ctx.actor.id) >= limit:
        raise UserError(
            f"You already have {limit} open requests, the most this community allows. "
            "Wait for one to finish, or cancel one with `/infochat cancel <number>`."
        )


async def start_matching(ctx: Context, request_id: int) -> Reply:
    request = await store.get_request(ctx.conn, request_id)
    assert request is not None
    await flow.schedule_request(ctx, request_id)
    result = await flow.rank(ctx, request, limit=max(ctx.settings.suggestions_shown, 1))
    if not result.candidates:
        return await close_in_reply(ctx, request, "no_match")
    if request.target_member_id is not None:
        await flow.ask_candidate(ctx, request, result.candidates[0])
        return Reply.say(asked_text(ctx, request))
    shown = result.candidates[: ctx.settings.suggestions_shown]
    elsewhere = await contacts.elsewhere(
        ctx, ctx.actor.id, tuple(c.volunteer.member_id for c in shown)
    )
    return Reply(
        messages=(render.suggestions_message(request_id, shown, result.widened, elsewhere),)
    )


async def close_in_reply(ctx: Context, request: StoredRequest, reason: str) -> Reply:
    """The seeker's own command closed the request: they read why in the reply, once."""
    await flow.close(ctx, request, reason, ctx.actor, notify=False)
    return Reply.say(flow.CLOSE_NOTES[reason].format(id=request.id))


def asked_text(ctx: Context, request: StoredRequest) -> str:
    if ctx.settings.approval_required:
        return (
            f"Request #{request.id} is with the moderators for approval; then the volunteer is asked. "
            "You'll get a message when someone says yes."
        )
    return f"Request #{request.id}: the volunteer has been asked. You'll get a message when they say yes."


async def submit(ctx: Context) -> Reply:
    """ "Send anyway" on a draft with coach warnings."""
    request = await own_request(ctx, ctx.command.target)
    if request.status is not RequestStatus.DRAFT:
        raise AlreadyDone(f"Request #{request.id} was already sent.")
    await check_open_limit(ctx)
    if not await store.set_request_status(
        ctx.conn, request.id, (RequestStatus.DRAFT,), RequestStatus.OPEN, ctx.now
    ):
        raise AlreadyDone(f"Request #{request.id} was already sent.")
    reply = await start_matching(ctx, request.id)
    return reply.model_copy(update={"update": await current_views.draft(ctx)})


async def discard(ctx: Context) -> Reply:
    request = await own_request(ctx, ctx.command.target)
    if not await store.set_request_status(
        ctx.conn, request.id, (RequestStatus.DRAFT,), RequestStatus.CLOSED, ctx.now, "discarded"
    ):
        raise AlreadyDone(f"Request #{request.id} was already sent or discarded.")
    return Reply(
        messages=(Message(text=f"Draft #{request.id} discarded."),),
        update=await current_views.draft(ctx),
    )


async def pick(ctx: Context) -> Reply:
    request_part, _, choice = ctx.command.target.partition(":")
    choice = choice or str(ctx.command.args.get("choice", ""))
    request = await own_request(ctx, request_part)
    # Two picks at once: the second waits here, then finds the volunteer the first asked.
    await member_store.lock_member(ctx.conn, ctx.actor.id)
    if request.status is not RequestStatus.OPEN:
        raise AlreadyDone(
            f"Request #{request.id} is {STATUS_TEXT[request.status]}: nothing to pick."
        )
    if await store.active_asks(ctx.conn, request_id=request.id):
        raise AlreadyDone(
            f"Request #{request.id} is already with a volunteer; you'll hear back soon."
        )
    result = await flow.rank(ctx, request, limit=1)
    if not result.candidates:
        return await close_in_reply(ctx, request, "no_one_left")
    candidate = result.candidates[0]
    if choice not in ("", "auto"):
        named = choice.isascii() and choice.isdigit() and str(int(choice)) == choice
        chosen = await flow.candidate(ctx, request, int(choice), result) if named else None
        if chosen is None:
            raise UserError(
                "That volunteer can't be asked for this request now. Pick another, or let the bot choose."
            )
        candidate = chosen
    await flow.ask_candidate(ctx, request, candidate)
    text = asked_text(ctx, request)
    return Reply(messages=(Message(text=text),), update=await current_views.suggestions(ctx))


async def status(ctx: Context) -> Reply:
    mine = await store.requests_of(ctx.conn, ctx.actor.id)
    if not mine:
        return Reply.say("You have no requests yet. Start one with `/infochat request`.")
    lines = []
    drafts = [r.id for r in mine if r.status is RequestStatus.DRAFT][:MAX_DRAFT_BUTTONS]
    for r in mine:
        text = await current_views.request_state(ctx, r)
        lines.append(Line(label=f"#{r.id} {r.fields.topic}", value=text))
    text = "\n".join(["Newest first.", *(render.draft_help(d) for d in drafts)])
    buttons = tuple(b for d in drafts for b in render.draft_buttons(d))
    return Reply(
        messages=(Message(title="Your requests", text=text, lines=tuple(lines), buttons=buttons),)
    )


async def cancel(ctx: Context) -> Reply:
    request = await own_request(ctx, ctx.command.target)
    if request.status not in (RequestStatus.OPEN, RequestStatus.DRAFT):
        raise AlreadyDone(
            f"Request #{request.id} is {STATUS_TEXT[request.status]}; it can't be cancelled now."
        )
    await flow.close(ctx, request, "cancelled", ctx.actor)
    return Reply.say(
        f"Request #{request.id} is cancelled. Anyone who was asked has been told kindly."
    )


HANDLERS: dict[str, Handler] = {
    "request.create": create,
    "request.submit": submit,
    "request.discard": discard,
    "request.pick": pick,
    "request.status": status,
    "request.cancel": cancel,
}
