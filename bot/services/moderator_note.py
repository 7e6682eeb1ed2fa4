"""How moderator approval works, told to each moderator once: in the first answer they get
to a moderator command (or to help), so nobody has to find it in the README."""

from __future__ import annotations

from bot.commands import is_moderator_action
from bot.services.context import Context, Handler
from bot.services.setup import settings_command, setup_command
from bot.storage import notices
from bot.views import Message, Reply

KIND = "approval_howto"


def approval_note(platform: str) -> str:
    """In the syntax of the moderator's platform (Discord's `/infochat-mod … fields:`)."""
    return (
        "How introduction approval works: it is off by default. Turn it on with "
        f"`{settings_command(platform, 'approval_required=true')}` (off again with `=false`): "
        "then every introduction waits for an Approve before the volunteer is asked. "
        f"`{setup_command(platform)}` shows every setting and how to change it. The bot's "
        "`INFOCHAT_COMMUNITY__APPROVAL_REQUIRED=true` only sets the default for a community "
        "it meets for the first time."
    )


async def with_moderator_note(handler: Handler, ctx: Context) -> Reply:
    """The handler's reply; the first one a moderator gets as a moderator also says how
    approval works (in its first message, so it reads as one answer)."""
    reply = await handler(ctx)
    if not (ctx.actor.is_moderator and reply.ok and reply.messages):
        return reply
    action = ctx.command.action
    if not (is_moderator_action(action) or action == "help"):
        return reply
    if not await notices.first_time(ctx.conn, ctx.actor.id, KIND, ctx.now):
        return reply
    first, *rest = reply.messages
    note = approval_note(ctx.community.ref.platform)
    text = f"{first.text}\n\n{note}" if first.text else note
    noted = Message.model_validate({**first.model_dump(), "text": text})
    return reply.model_copy(update={"messages": (noted, *rest)})
