"""Any neutral `Form` as modal pages with a draft in between.

Page 1 holds the required fields; a longer form then says *Step 1 of N saved* with
[Add details] and [Send now]. The last page, or *Send now*, hands the values to the core as
one command. When the core names fields to fix, the member gets them privately with
[Edit and resend], which reopens the page of the first field in error, prefilled. A form that
fits one modal (a reason, a colleague) is sent as soon as it is submitted.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import discord

from adapters.discord import render
from adapters.discord.drafts import LOST, SENDING, SENT, Draft, DraftKey
from adapters.discord.modals import PAGE_ID, page_modal, submitted
from adapters.discord.replies import (
    acknowledge_quietly,
    actor_of,
    answered_once,
    host,
    key_of,
    run_core,
    say,
    send_reply,
    update_clicked,
)
from bot.commands import Command
from bot.views import Form, Message, Reply

log = logging.getLogger(__name__)
DRAFT_BUTTON = re.compile(
    r"infochat-draft:(?P<token>[0-9a-f]+):(?P<step>add|send|fix):(?P<page>\d)"
)


async def open_form(
    interaction: discord.Interaction[Any],
    form: Form,
    guild_id: str,
    *,
    from_button: bool = False,
) -> None:
    """Open page 1 of `form` (the member's draft of it, if they have one)."""
    key = DraftKey(guild_id, str(interaction.user.id), form.action, form.target)
    draft = host(interaction).drafts.open(key, form, from_button=from_button)
    draft.errors.clear()
    draft.resend = False
    message = interaction.message
    if from_button and message is not None and not message.flags.ephemeral:
        draft.origin = (message.channel.id, message.id)
    await interaction.response.send_modal(page_modal(draft, 0))


def _draft(interaction: discord.Interaction[Any], token: str) -> Draft | None:
    draft = host(interaction).drafts.get(token)
    if draft is None or draft.key.user_id != str(interaction.user.id):
        return None
    return draft


async def on_page_submit(interaction: discord.Interaction[Any]) -> bool:
    """Handle the submit of a page modal; False when the interaction is something else."""
    data: Any = interaction.data or {}
    match = PAGE_ID.fullmatch(str(data.get("custom_id", "")))
    if interaction.type is not discord.InteractionType.modal_submit or match is None:
        return False
    draft = _draft(interaction, match["token"])
    page = int(match["page"])
    if draft is None or page >= len(draft.pages):
        await say(interaction, content=LOST)
        return True
    draft.values.update(submitted(data, draft.pages[page]))
    host(interaction).drafts.touch(draft)
    if draft.resend or page + 1 >= len(draft.pages):
        await send_draft(interaction, draft, from_step=_from_step(interaction))
        return True
    text = (
        f"**{draft.form.title}**: step {page + 1} of {len(draft.pages)} saved. "
        "Add the optional details, or send it now."
    )
    view = _buttons(draft, ("Add details", "add", page + 1), ("Send now", "send", 0))
    if _from_step(interaction):
        await interaction.response.edit_message(content=text, embed=None, view=view)
    else:
        await say(interaction, content=text, view=view)
    return True


def _from_step(interaction: discord.Interaction[Any]) -> bool:
    """Whether the interaction comes from one of our private step messages."""
    message = interaction.message
    return message is not None and any(
        DRAFT_BUTTON.fullmatch(getattr(c, "custom_id", None) or "")
        for row in message.components
        for c in getattr(row, "children", ())
    )


async def send_draft(
    interaction: discord.Interaction[Any], draft: Draft, *, from_step: bool = False
) -> None:
    """The draft's values to the core as one command; its reply to the member. Repeated or
    concurrent sends of one draft have one effect."""
    if draft.state != "open":
        await say(interaction, content=SENDING if draft.state == "sending" else SENT)
        return
    draft.state = "sending"
    single_from_button = draft.from_button and len(draft.pages) == 1
    updates = single_from_button or from_step
    actor, key, core = (
        actor_of(interaction, draft.key.guild_id),
        key_of(interaction),
        host(interaction).core,
    )
    args = dict(draft.args())
    if draft.replaces:  # the core closes the draft it kept, in the same transaction
        args["replaces"] = draft.replaces
    command = Command(actor, draft.form.action, key, draft.form.target, args)

    reply = await run_core(interaction, lambda: core.dispatch(command), component=updates)
    if reply.replay:
        await acknowledge_quietly(interaction)
        return
    draft.resend, draft.replaces = False, _kept(reply)
    if reply.field_errors or draft.replaces:
        draft.state = "open"
        draft.errors = dict(reply.field_errors)
        host(interaction).drafts.touch(draft)
        if from_step:
            note = "Some fields need another look." if draft.errors else "Sent for a review."
            await update_clicked(interaction, Message(text=note))
        fix = _buttons(draft, ("Edit and resend", "fix", 0))
        await send_reply(interaction, _labelled(reply, draft.form), draft.key.guild_id, view=fix)
        return
    host(interaction).drafts.sent(draft)
    if from_step:
        await update_clicked(
            interaction, reply.update or Message(text=f"{draft.form.title}: sent.")
        )
        if single_from_button and reply.update is not None:
            await _update_origin(interaction, draft, reply.update)
    elif single_from_button and reply.update is not None:
        await update_clicked(interaction, reply.update)
    await send_reply(interaction, reply, draft.key.guild_id)


async def _update_origin(
    interaction: discord.Interaction[Any], draft: Draft, update: Message
) -> None:
    """The message whose button opened the form (sent after a fix from another message)."""
    if draft.origin is None:
        return
    channel_id, message_id = draft.origin
    origin = interaction.client.get_partial_messageable(channel_id).get_partial_message(message_id)
    try:
        await origin.edit(embed=render.embed(update), view=None)
    except discord.HTTPException as exc:
        log.warning("discord: could not update message %s after its form: %s", message_id, exc)


def _kept(reply: Reply) -> str:
    """The draft the core kept and offers to discard (the coach's suggestions), if any: an
    edited resend names it in `replaces`."""
    kept = (b.target for m in reply.messages for b in m.buttons if b.action.endswith(".discard"))
    return next(kept, "")


def _labelled(reply: Reply, form: Form) -> Reply:
    """Field errors under the labels the member saw."""
    labels = {f.name: f.label for f in form.fields}
    errors = {labels.get(name, name): problem for name, problem in reply.field_errors.items()}
    return reply.model_copy(update={"field_errors": errors})


def _buttons(draft: Draft, *buttons: tuple[str, str, int]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for label, step, page in buttons:
        style = discord.ButtonStyle.primary if step != "add" else discord.ButtonStyle.secondary
        item: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label=label, style=style, custom_id=f"infochat-draft:{draft.token}:{step}:{page}"
        )
        view.add_item(DraftButton(item, draft.token, step, page))
    return view


class DraftButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=DRAFT_BUTTON.pattern):
    """[Add details], [Send now] and [Edit and resend] on a member's private step message."""

    def __init__(self, item: discord.ui.Button[Any], token: str, step: str, page: int) -> None:
        super().__init__(item)
        self.token, self.step, self.page = token, step, page

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> DraftButton:
        button = item if isinstance(item, discord.ui.Button) else discord.ui.Button()
        return cls(button, match["token"], match["step"], int(match["page"]))

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        with answered_once(interaction):
            await self._click(interaction)

    async def _click(self, interaction: discord.Interaction[Any]) -> None:
        draft = _draft(interaction, self.token)
        if draft is None:
            await say(interaction, content=LOST)
            return
        if self.step == "send":
            await send_draft(interaction, draft, from_step=True)
            return
        draft.resend = self.step == "fix"
        page = draft.first_error_page() if self.step == "fix" else self.page
        await interaction.response.send_modal(page_modal(draft, min(page, len(draft.pages) - 1)))
