"""A member's own data (DESIGN: members can export and delete their data).

`/infochat me export` sends everything stored about the member to their DMs as a JSON file.
`/infochat me delete` asks first; its button closes their open requests kindly, passes on
asks waiting for them, and erases what identifies them (see `storage.privacy`).
"""

from __future__ import annotations

import base64
import json

from bot.errors import AlreadyDone
from bot.services import current_views, flow
from bot.services.context import Context, Handler
from bot.storage import audit
from bot.storage import privacy as store
from bot.storage import requests as request_store
from bot.storage import volunteers as volunteer_store
from bot.views import Attachment, Button, Message, Reply

CONFIRM = "confirm"


async def export(ctx: Context) -> Reply:
    data = await store.member_data(ctx.conn, ctx.actor.id)
    data["community"] = ctx.community.ref.name or ctx.community.ref.external_id
    data["exported_at"] = ctx.now.isoformat()
    raw = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()
    await ctx.dm(
        ctx.actor.id,
        Message(
            title="Your infochat data",
            text="Everything infochat stores about you in this community, on each of your "
            "linked accounts, is in the attached file. `/infochat me delete` erases it.",
            attachments=(
                Attachment(
                    filename=export_filename(ctx),
                    content_type="application/json",
                    data=base64.b64encode(raw).decode(),
                ),
            ),
        ),
    )
    return Reply.say("Your data is on its way to your direct messages, as a JSON file.")


def export_filename(ctx: Context) -> str:
    """Named for the member and the moment, so no export replaces another member's (or an
    earlier one) wherever the platform keeps files."""
    return f"infochat-my-data-{ctx.actor.id}-{ctx.now:%Y%m%d-%H%M%S}.json"


async def delete(ctx: Context) -> Reply:
    data = await store.member_data(ctx.conn, ctx.actor.id)
    if not store.stores_more_than_a_name(data):
        # Nothing but the name of this very command's sender: roll back, store nothing.
        raise AlreadyDone("infochat stores nothing about you beyond your name: nothing to delete.")
    if ctx.command.target != CONFIRM:
        return Reply(
            messages=(
                Message(
                    title="Delete your infochat data?",
                    text="Your data on every account linked into you is erased. "
                    "Your open requests will be cancelled (anyone asked is told kindly), "
                    "asks waiting for you are passed on, and your volunteer profile, request "
                    "texts, notes, thank-you texts and the contact details you gave are "
                    "erased. Chats that happened still count in the community totals, "
                    "without your name. This can't be undone.",
                    buttons=(
                        Button(
                            label="Delete my data",
                            action="member.delete",
                            target=CONFIRM,
                            style="danger",
                        ),
                    ),
                ),
            )
        )
    for request in await request_store.unfinished_of(ctx.conn, ctx.actor.id):
        await flow.close(ctx, request, "cancelled", ctx.actor)
    await flow.release_volunteer(ctx, ctx.actor.id)
    await volunteer_store.remove_profile(ctx.conn, ctx.actor.id, ctx.community.id)
    await audit.record(
        ctx.conn, ctx.community.id, ctx.actor.id, "member.delete", str(ctx.actor.id), {}, ctx.now
    )
    await ctx.flush()  # the erasure forgets every message to them, these included
    await store.erase_member(ctx.conn, ctx.actor.id, ctx.actor.user_id)
    done = Message(text=current_views.DATA_DELETED)
    return Reply(messages=(done,), update=await current_views.deletion(ctx))


HANDLERS: dict[str, Handler] = {"member.export": export, "member.delete": delete}
