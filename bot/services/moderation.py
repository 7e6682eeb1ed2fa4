"""Moderators: the approval queue, approve, deny with a reason, settings, and the audit log."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from bot.commands import arg_str
from bot.domain.community import CommunitySettings, problems
from bot.domain.models import AskStatus, RequestStatus
from bot.errors import AlreadyDone, Forbidden, InvalidInput, NotFound
from bot.services import current_views, flow, render
from bot.services.context import Context, Handler
from bot.services.requests import parse_id
from bot.storage import audit
from bot.storage import members as member_store
from bot.storage import requests as store
from bot.storage.members import save_settings
from bot.storage.requests import StoredAsk, StoredRequest
from bot.text import clean
from bot.views import Line, Message, Reply

QUEUE_PAGE = 20  # approvals shown at once; the queue says how many wait in all


async def proposed_ask(ctx: Context) -> tuple[StoredAsk, StoredRequest]:
    ctx.require_moderator()
    ask_id = parse_id(ctx.command.target, "ask")
    ask = await store.get_ask(ctx.conn, ask_id)
    request = await store.get_request(ctx.conn, ask.request_id) if ask else None
    if ask is None or request is None or request.community_id != ctx.community.id:
        raise NotFound(f"There is no ask #{ask_id} in this community.")
    if ask.status is not AskStatus.PROPOSED:
        raise AlreadyDone(f"Ask #{ask.id} was already handled: {ask.status.value}.")
    if request.status is not RequestStatus.OPEN:
        raise AlreadyDone(f"Request #{request.id} is no longer open.")
    return ask, request


async def queue(ctx: Context) -> Reply:
    ctx.require_moderator()
    waiting, total = await store.proposed_in(ctx.conn, ctx.community.id, QUEUE_PAGE)
    if not waiting:
        return Reply.say("Nothing waiting for approval.")
    people = await member_store.get_members(
        ctx.conn, {m for ask, request in waiting for m in (request.seeker_id, ask.volunteer_id)}
    )
    messages = [
        render.approval_message(ask, request, people[request.seeker_id], people[ask.volunteer_id])
        for ask, request in waiting
    ]
    if total > len(waiting):
        messages.append(
            Message(
                text=f"These are the oldest {len(waiting)} of {total:,} introductions waiting "
                "for approval; the rest show here as these are handled."
            )
        )
    return Reply(messages=tuple(messages))


async def approve(ctx: Context) -> Reply:
    ask, request = await proposed_ask(ctx)
    if request.seeker_id == ctx.actor.id:
        raise Forbidden("You can't approve your own request; another moderator will.")
    volunteer = await member_store.get_member(ctx.conn, ask.volunteer_id)
    await audit.record(
        ctx.conn,
        ctx.community.id,
        ctx.actor.id,
        "approve",
        f"ask:{ask.id}",
        {"request": request.id},
        ctx.now,
    )
    if not await flow.has_room(ctx, volunteer.id, already_counted=1):
        await store.transition_ask(ctx.conn, ask.id, AskStatus.WITHDRAWN, ctx.now)
        await flow.move_on(ctx, request.id)
        text = current_views.cant_be_asked(volunteer.display_name, request.id)
        return Reply(messages=(Message(text=text),), update=await current_views.approval(ctx))
    if not await store.transition_ask(
        ctx.conn, ask.id, AskStatus.ASKED, ctx.now, approved_by=ctx.actor.id
    ):
        raise AlreadyDone(f"Ask #{ask.id} was already handled.")  # by a concurrent click
    await flow.send_ask(ctx, ask.id, request, volunteer)
    await flow.schedule_ask(ctx, ask.id)
    done = f"✅ Ask #{ask.id} approved by {ctx.actor.display_name}; {volunteer.display_name} has been asked."
    return Reply(messages=(Message(text=done),), update=await current_views.approval(ctx))


async def deny(ctx: Context) -> Reply:
    ask, request = await proposed_ask(ctx)
    reason = clean(arg_str(ctx.command.args, "reason", ""), multiline=True)
    if not reason:
        raise InvalidInput("Give a reason; the seeker will see it.", fields={"reason": "Required."})
    if len(reason) > 500:
        raise InvalidInput("Keep the reason under 500 characters.", fields={"reason": "Too long."})
    if not await store.transition_ask(
        ctx.conn, ask.id, AskStatus.DENIED, ctx.now, deny_reason=reason
    ):
        raise AlreadyDone(f"Ask #{ask.id} was already handled.")
    await audit.record(
        ctx.conn,
        ctx.community.id,
        ctx.actor.id,
        "deny",
        f"ask:{ask.id}",
        {"request": request.id, "reason": reason},
        ctx.now,
    )
    seeker = await member_store.get_member(ctx.conn, request.seeker_id)
    await flow.close(ctx, request, "denied", seeker)
    await ctx.dm(
        seeker.id,
        Message(
            text=f"A moderator didn't approve request #{request.id} ({request.fields.topic}). "
            f"Their note: {reason}\nYou're welcome to adjust it and ask again."
        ),
    )
    done = f"⛔ Ask #{ask.id} denied by {ctx.actor.display_name}."
    return Reply(messages=(Message(text=done),), update=await current_views.approval(ctx))


async def audit_log(ctx: Context) -> Reply:
    ctx.require_moderator()
    entries = await audit.recent(ctx.conn, ctx.community.id)
    if not entries:
        return Reply.say("No moderator actions yet.")
    lines = tuple(
        Line(
            label=f"{e.at:%Y-%m-%d %H:%M} {e.actor}",
            value=f"{e.action} {e.target} {_detail(e.detail)}".strip(),
        )
        for e in entries
    )
    return Reply(messages=(Message(title="Moderator actions, newest first", text="", lines=lines),))


def _detail(detail: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in detail.items())


async def settings(ctx: Context) -> Reply:
    ctx.require_moderator()
    current = ctx.settings
    if not ctx.command.args:
        lines = tuple(Line(label=k, value=str(v)) for k, v in current.model_dump().items())
        text = "Change with key=value."
        found = problems(current)
        if found:
            text += " These settings contradict each other; change them: " + "; ".join(
                dict.fromkeys(found.values())
            )
        return Reply(messages=(Message(title="Community settings", text=text, lines=lines),))
    changes: dict[str, Any] = {}
    for key in ctx.command.args:
        if key not in CommunitySettings.model_fields:
            raise InvalidInput(
                f"There is no setting “{key[:30]}”.", fields={key[:30]: "Unknown setting."}
            )
        changes[key] = clean(arg_str(ctx.command.args, key))
    try:
        updated = CommunitySettings.model_validate({**current.model_dump(), **changes})
    except ValidationError as exc:
        found = _problems(exc)
        text = "; ".join(dict.fromkeys(found.values()))
        raise InvalidInput(
            f"Those settings aren't valid, so nothing was changed: {text}", fields=found
        ) from None
    before = {k: v for k, v in current.model_dump().items() if k in changes}
    after = {k: v for k, v in updated.model_dump().items() if k in changes}
    await save_settings(ctx.conn, ctx.community.id, updated)
    await audit.record(
        ctx.conn,
        ctx.community.id,
        ctx.actor.id,
        "settings",
        "community",
        {"before": before, "after": after},
        ctx.now,
    )
    return Reply.say("Settings updated: " + ", ".join(f"{k}={v}" for k, v in after.items()))


def _problems(exc: ValidationError) -> dict[str, str]:
    """Each setting that must change → why: a value on its own, or the settings as a whole."""
    found: dict[str, str] = {}
    for error in exc.errors():
        if error["loc"]:
            found[str(error["loc"][0])] = f"{error['loc'][0]}: {error['msg']}"
        else:
            found.update(error.get("ctx", {}).get("problems", {}))
    return found


HANDLERS: dict[str, Handler] = {
    "mod.queue": queue,
    "mod.approve": approve,
    "mod.deny": deny,
    "mod.audit": audit_log,
    "mod.settings": settings,
}
