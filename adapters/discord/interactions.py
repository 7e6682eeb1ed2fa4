"""Thin translators: a Discord interaction → one core command → an ephemeral reply.

Every interaction is answered (or deferred) well inside Discord's 3 seconds; its id is the
idempotency key, so a repeated delivery has one effect.
"""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

import discord

from adapters.discord import render
from bot.commands import Actor, Args, Command, CommunityRef
from bot.views import Form, Reply

log = logging.getLogger(__name__)

# Answer directly when the core is this fast; otherwise defer first, then follow up.
DEFER_AFTER = 2.0


class CoreProtocol(Protocol):
    async def dispatch(self, command: Command) -> Reply: ...

    async def dispatch_text(self, actor: Actor, text: str, key: str) -> Reply: ...


class InfochatHost(Protocol):
    """What the translators need from the client (see bot_client.InfochatClient)."""

    core: CoreProtocol
    moderator_role: str


def host(interaction: discord.Interaction[Any]) -> InfochatHost:
    client: InfochatHost = interaction.client
    return client


def key_of(interaction: discord.Interaction[Any]) -> str:
    return f"discord:{interaction.id}"


def actor_of(interaction: discord.Interaction[Any], guild_id: str | None = None) -> Actor:
    """The member behind an interaction; `guild_id` for clicks in DMs (from the button)."""
    gid = str(interaction.guild_id) if interaction.guild_id else (guild_id or "0")
    guild = interaction.guild
    user = interaction.user
    is_moderator = False
    if interaction.guild_id is not None:
        roles = getattr(user, "roles", ())
        role = host(interaction).moderator_role
        is_moderator = interaction.permissions.manage_guild or any(r.name == role for r in roles)
    return Actor(
        CommunityRef("discord", gid, guild.name if guild is not None else ""),
        str(user.id),
        user.display_name,
        is_moderator=is_moderator,
    )


async def respond(
    interaction: discord.Interaction[Any],
    run: Callable[[], Awaitable[Reply]],
    guild_id: str,
    *,
    component: bool = False,
    button: tuple[str, str] | None = None,
) -> None:
    """Run the core and show its reply privately; a click also updates the clicked message."""
    task = asyncio.ensure_future(run())
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done:
        await interaction.response.defer(ephemeral=True, thinking=not component)
    reply = await task
    if (
        reply.form is not None
        and not interaction.response.is_done()
        and render.fits_modal(reply.form)
    ):
        await interaction.response.send_modal(FormModal(reply.form, guild_id))
        return
    missing = render.form_for_errors(*button, reply) if button is not None else None
    if missing is not None and not interaction.response.is_done():
        await interaction.response.send_modal(FormModal(missing, guild_id, from_button=True))
        return
    if component and reply.update is not None:
        update = render.embed(reply.update)
        if interaction.response.is_done():
            await interaction.edit_original_response(embed=update, view=None)
        else:
            await interaction.response.edit_message(embed=update, view=None)
    await _send_reply(interaction, reply, guild_id)


async def _send_reply(interaction: discord.Interaction[Any], reply: Reply, guild_id: str) -> None:
    messages = list(reply.messages)
    notes: list[str] = [f"**{name}**: {problem}" for name, problem in reply.field_errors.items()]
    if reply.form is not None and not render.fits_modal(reply.form):
        notes.append(render.inline_hint(reply.form))
    elif reply.form is not None:  # a form after a defer: no modal possible any more
        notes.append(f"Please run the command again to open **{reply.form.title}**.")
    if not messages and not notes:
        notes.append("Done." if reply.ok else "That didn't work.")
    sends: list[dict[str, Any]] = [render.send_kwargs(guild_id, m) for m in messages]
    if notes:  # with the first message when it has no text of its own, else on their own
        note = "\n".join(notes)[:2000]
        if sends and sends[0].get("content") is None:
            sends[0]["content"] = note
        else:
            sends.append({"content": note})
    for kwargs in sends:
        kwargs.setdefault("allowed_mentions", discord.AllowedMentions.none())
        if kwargs.get("content") is None:
            kwargs.pop("content", None)
        if not interaction.response.is_done():
            await interaction.response.send_message(ephemeral=True, **kwargs)
        else:
            await interaction.followup.send(ephemeral=True, **kwargs)


class FormModal(discord.ui.Modal):
    """A neutral `Form` (≤ 5 fields) as a Discord modal; its submit dispatches the values."""

    def __init__(self, form: Form, guild_id: str, *, from_button: bool = False) -> None:
        super().__init__(
            title=form.title[:45] or "infochat", custom_id=f"infochat-form:{uuid.uuid4().hex}"
        )
        self.form = form
        self.guild_id = guild_id
        self.from_button = from_button  # its submit then updates the clicked message
        self.inputs: dict[str, discord.ui.TextInput[Any]] = {}
        for field in form.fields[: render.MODAL_MAX_INPUTS]:
            long = field.kind == "long_text" or field.multiple
            text_input: discord.ui.TextInput[Any] = discord.ui.TextInput(
                label=field.label[:45],
                custom_id=field.name,
                style=discord.TextStyle.paragraph if long else discord.TextStyle.short,
                required=field.required,
                default=(field.default or None) and field.default[:4000],
                placeholder=(field.placeholder or None) and field.placeholder[:100],
                max_length=min(field.max_length or 4000, 4000),
            )
            self.inputs[field.name] = text_input
            self.add_item(text_input)

    def values(self) -> Args:
        args: dict[str, str | tuple[str, ...]] = {}
        multiple = {f.name for f in self.form.fields if f.multiple}
        for name, text_input in self.inputs.items():
            value = text_input.value or ""
            if name in multiple:
                args[name] = tuple(v.strip() for v in value.splitlines() if v.strip())
            elif value.strip():
                args[name] = value
        return args

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        actor = actor_of(interaction, self.guild_id)
        command = Command(
            actor, self.form.action, key_of(interaction), self.form.target, self.values()
        )
        core = host(interaction).core
        await respond(
            interaction, lambda: core.dispatch(command), self.guild_id, component=self.from_button
        )


class PayloadButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=render.CUSTOM_ID.pattern
):
    """Every infochat button, before or after a restart: the custom id says what to do."""

    def __init__(
        self, item: discord.ui.Button[Any], guild_id: str, action: str, target: str
    ) -> None:
        super().__init__(item)
        self.guild_id, self.action, self.target = guild_id, action, target

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> PayloadButton:
        button = (
            item
            if isinstance(item, discord.ui.Button)
            else discord.ui.Button(custom_id=match.string)
        )
        return cls(button, match["guild"], match["action"], match["target"])

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        form = render.FORMS.get(self.item.custom_id or "")
        if form is not None and render.fits_modal(form):
            await interaction.response.send_modal(FormModal(form, self.guild_id, from_button=True))
            return
        command = Command(
            actor_of(interaction, self.guild_id), self.action, key_of(interaction), self.target, {}
        )
        core = host(interaction).core
        await respond(
            interaction,
            lambda: core.dispatch(command),
            self.guild_id,
            component=True,
            button=(self.action, self.target),
        )
