"""Who acts, and how the core's replies reach them: every interaction is answered (or
deferred) well inside Discord's 3 seconds, privately, with mass mentions disabled.

An interaction's id is the idempotency key, so a repeated delivery has one effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol

import discord

from adapters.discord import render
from bot.commands import Actor, Command, CommunityRef
from bot.text import neutralize
from bot.views import Message, Reply

if TYPE_CHECKING:
    from adapters.discord.drafts import Drafts

log = logging.getLogger(__name__)
# Answer directly when the core is this fast; otherwise defer first, then follow up.
DEFER_AFTER = 1.5
# Discord's answer to a second response to one interaction (a repeated delivery).
ALREADY_ACKNOWLEDGED = 40060
SERVER_ONLY = (
    "infochat belongs to a server's community: use `/infochat` in that server. "
    "(Buttons on the messages it sends you here keep working.)"
)


class CoreProtocol(Protocol):
    async def dispatch(self, command: Command) -> Reply: ...

    async def dispatch_text(self, actor: Actor, text: str, key: str) -> Reply: ...

    async def suggest(self, actor: Actor, field: str, typed: str) -> tuple[str, ...]: ...


class InfochatHost(Protocol):
    """What the translators need from the client (see bot_client.InfochatClient)."""

    core: CoreProtocol
    moderator_role: str
    drafts: Drafts


def host(interaction: discord.Interaction[Any]) -> InfochatHost:
    client: InfochatHost = interaction.client
    return client


def key_of(interaction: discord.Interaction[Any]) -> str:
    return f"discord:{interaction.id}"


def is_moderator(interaction: discord.Interaction[Any]) -> bool:
    """Manage Server, or the configured moderator role (by name or id). Only a hint for the
    core, which checks it on every moderator action."""
    if interaction.guild_id is None:
        return False
    role = host(interaction).moderator_role
    roles = getattr(interaction.user, "roles", ())
    return interaction.permissions.manage_guild or any(
        r.name == role or str(r.id) == role for r in roles
    )


def guild_of(interaction: discord.Interaction[Any], guild_id: str | None = None) -> str | None:
    """The server an interaction belongs to: where it happened, else (a click in DMs) the
    server its button names; None when neither is a real server id."""
    gid = str(interaction.guild_id or guild_id or "")
    return gid if gid.isdigit() and int(gid) > 0 else None


def actor_of(interaction: discord.Interaction[Any], guild_id: str | None = None) -> Actor:
    """The member behind an interaction; `guild_id` for clicks in DMs (from the button).
    Callers make sure there is a server (`guild_of`): a community is a server."""
    gid = guild_of(interaction, guild_id)
    if gid is None:
        raise ValueError("an interaction outside any server has no community")
    guild = interaction.guild
    user = interaction.user
    return Actor(
        CommunityRef("discord", gid, guild.name if guild is not None else ""),
        str(user.id),
        user.display_name,
        is_moderator=is_moderator(interaction),
    )


@contextlib.contextmanager
def answered_once(interaction: discord.Interaction[Any]) -> Iterator[None]:
    """A repeated delivery of an interaction that was answered already: Discord refuses a
    second answer (40060). That is expected, and the core did nothing twice."""
    try:
        yield
    except discord.HTTPException as exc:
        if exc.code != ALREADY_ACKNOWLEDGED:
            raise
        log.debug("discord: interaction %s was answered already (a repeat)", interaction.id)


async def run_core(
    interaction: discord.Interaction[Any],
    run: Callable[[], Awaitable[Reply]],
    *,
    component: bool = False,
) -> Reply:
    """The core's reply; when it is slow, the interaction is deferred first."""
    task = asyncio.ensure_future(run())
    done, _ = await asyncio.wait({task}, timeout=DEFER_AFTER)
    if not done:
        await interaction.response.defer(ephemeral=True, thinking=not component)
    return await task


async def acknowledge_quietly(interaction: discord.Interaction[Any]) -> None:
    """A replay (the same interaction delivered again) was answered the first time: Discord
    still wants an answer, so give one that shows nothing. A click or a modal opened from
    one gets "deferred update" (no loading state, the message unchanged); a command has no
    such answer, so its deferred reply is deleted at once."""
    response = interaction.response
    if not response.is_done():
        silent = interaction.type is discord.InteractionType.component or (
            interaction.type is discord.InteractionType.modal_submit
            and interaction.message is not None
        )
        if silent:
            await response.defer()
            return
        await response.defer(ephemeral=True, thinking=True)
    if response.type is discord.InteractionResponseType.deferred_channel_message:
        await interaction.delete_original_response()


async def update_clicked(interaction: discord.Interaction[Any], update: Message) -> None:
    """Replace the clicked message (without its buttons), so nobody clicks twice: with the
    outcome, or with what it says now when the click lost (never the message as it was)."""
    if interaction.response.is_done():
        await interaction.edit_original_response(
            content=None, embed=render.embed(update), view=None
        )
    else:
        await interaction.response.edit_message(content=None, embed=render.embed(update), view=None)


async def send_reply(
    interaction: discord.Interaction[Any],
    reply: Reply,
    guild_id: str,
    *,
    notes: Sequence[str] = (),
    view: discord.ui.View | None = None,
) -> None:
    """The reply's messages privately; field errors and `notes` as text; `view` (e.g. an
    *Edit and resend* button) goes with the last message."""
    messages = list(reply.messages)
    lines = [f"**{name}**: {problem}" for name, problem in reply.field_errors.items()]
    lines.extend(notes)
    if not messages and not lines:
        lines.append("Done." if reply.ok else "That didn't work.")
    sends: list[dict[str, Any]] = [render.send_kwargs(guild_id, m) for m in messages]
    if lines:  # with the first message when it has no text of its own, else on their own
        note = neutralize("\n".join(lines))[:2000]
        if sends and sends[0].get("content") is None:
            sends[0]["content"] = note
        else:
            sends.append({"content": note})
    if view is not None:
        own: discord.ui.View | None = sends[-1].get("view")
        if own is not None:  # the message's own buttons, then ours
            for item in view.children:
                own.add_item(item)
        sends[-1]["view"] = own or view
    for kwargs in sends:
        await say(interaction, **kwargs)


async def say(interaction: discord.Interaction[Any], **kwargs: Any) -> None:
    """One private message: the initial response, or a follow-up after it."""
    kwargs["allowed_mentions"] = discord.AllowedMentions.none()
    if kwargs.get("content") is None:
        kwargs.pop("content", None)
    if not interaction.response.is_done():
        await interaction.response.send_message(ephemeral=True, **kwargs)
    else:
        await interaction.followup.send(ephemeral=True, **kwargs)
