"""Thin translators: a Discord interaction → one core command → a private reply.

Buttons carry `<guild>:<action>:<target>` in their custom id (`PayloadButton`, persistent:
a click on a message sent before a restart still works); forms open as modal pages
(`forms.py`). Nothing in a payload is trusted: the core re-checks every action.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

import discord

from adapters.discord import render
from adapters.discord.forms import DRAFT_BUTTON, open_form
from adapters.discord.replies import (
    CoreProtocol,
    InfochatHost,
    acknowledge_quietly,
    actor_of,
    answered_once,
    guild_of,
    host,
    key_of,
    run_core,
    say,
    send_reply,
    update_clicked,
)
from bot.commands import Command
from bot.views import Reply

__all__ = ["CoreProtocol", "InfochatHost", "PayloadButton", "on_unknown_button", "respond"]
UNKNOWN_BUTTON = "That button doesn't work (any more). Use `/infochat home` to see what's open."


async def respond(
    interaction: discord.Interaction[Any],
    run: Callable[[], Awaitable[Reply]],
    guild_id: str,
    *,
    component: bool = False,
    button: tuple[str, str] | None = None,
) -> None:
    """Run the core and show its reply privately; a click also updates the clicked message.
    A reply that asks for a form opens it as a modal."""
    reply = await run_core(interaction, run, component=component)
    if reply.replay:
        await acknowledge_quietly(interaction)
        return
    form = reply.form
    if form is None and button is not None:
        form = render.form_for_errors(*button, reply)
    if form is not None and not interaction.response.is_done():
        await open_form(interaction, form, guild_id, from_button=reply.form is None)
        return
    if component and reply.update is not None:
        await update_clicked(interaction, reply.update)
    notes = []
    if reply.form is not None:  # after a defer: no modal possible any more
        notes.append(f"Please run the command again to open **{reply.form.title}**.")
    await send_reply(interaction, reply, guild_id, notes=notes)


async def on_unknown_button(interaction: discord.Interaction[Any]) -> None:
    """A click whose custom id is none of ours (made up, or from an old version) gets a
    private answer instead of Discord's "interaction failed"."""
    data: Any = interaction.data or {}
    custom_id = str(data.get("custom_id", ""))
    if interaction.type is not discord.InteractionType.component:
        return
    if render.CUSTOM_ID.fullmatch(custom_id) or DRAFT_BUTTON.fullmatch(custom_id):
        return
    await say(interaction, content=UNKNOWN_BUTTON)


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
        with answered_once(interaction):
            await self._click(interaction)

    async def _click(self, interaction: discord.Interaction[Any]) -> None:
        if guild_of(interaction, self.guild_id) is None:
            await say(interaction, content=UNKNOWN_BUTTON)
            return
        form = render.FORMS.get(self.item.custom_id or "")
        if form is not None:
            await open_form(interaction, form, self.guild_id, from_button=True)
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
