"""The `/infochat` slash-command group.

Each subcommand builds the same text a console or Slack user would type
(`volunteer pause 2026-12-01`, `request topic="data" …`) and hands it to the core's shared
grammar, so Discord adds no parsing rules of its own.
"""

import shlex
from typing import Any

import discord
from discord import app_commands

from adapters.discord.interactions import actor_of, host, key_of, respond

FIELDS_HELP = 'key=value pairs, e.g. topic="data engineering" minutes=15'


async def run_text(interaction: discord.Interaction[Any], text: str) -> None:
    actor = actor_of(interaction)
    core = host(interaction).core
    key = key_of(interaction)
    await respond(
        interaction, lambda: core.dispatch_text(actor, text, key), actor.community.external_id
    )


def _text(words: str, *positional: str | None, fields: str | None = None) -> str:
    parts = [words, *(shlex.quote(p) for p in positional if p)]
    if fields:
        parts.append(fields)
    return " ".join(parts)


def _plain(group: app_commands.Group, name: str, words: str, description: str) -> None:
    @group.command(name=name, description=description)
    async def command(interaction: discord.Interaction[Any]) -> None:
        await run_text(interaction, words)


def _with_fields(group: app_commands.Group, name: str, words: str, description: str) -> None:
    @group.command(name=name, description=description)
    @app_commands.describe(fields=FIELDS_HELP)
    async def command(interaction: discord.Interaction[Any], fields: str | None = None) -> None:
        await run_text(interaction, _text(words, fields=fields))


def _with_id(
    group: app_commands.Group, name: str, words: str, description: str, *, required: bool
) -> None:
    if required:

        @group.command(name=name, description=description)
        @app_commands.describe(id="the request or ask number", fields=FIELDS_HELP)
        async def needs_id(
            interaction: discord.Interaction[Any], id: str, fields: str | None = None
        ) -> None:
            await run_text(interaction, _text(words, id, fields=fields))

        return

    @group.command(name=name, description=description)
    @app_commands.describe(id="the request number (optional)", fields=FIELDS_HELP)
    async def maybe_id(
        interaction: discord.Interaction[Any], id: str | None = None, fields: str | None = None
    ) -> None:
        await run_text(interaction, _text(words, id, fields=fields))


def build_group() -> app_commands.Group:
    top = app_commands.Group(
        name="infochat", description="Informational interviews: ask for a chat, or give one"
    )
    _plain(top, "help", "help", "What infochat does and how to use it")
    _with_fields(top, "request", "request", "Ask for a short informational chat")
    _plain(top, "status", "status", "Your open requests")
    _with_id(top, "cancel", "cancel", "Cancel one of your requests", required=False)
    _with_id(top, "pick", "pick", "Pick a suggested volunteer or time", required=True)
    _with_fields(top, "availability", "availability", "Your weekly windows and capacity")
    _plain(top, "me", "me", "What infochat knows about you")

    volunteer = app_commands.Group(
        name="volunteer", description="Offer informational chats", parent=top
    )
    _with_fields(volunteer, "join", "volunteer join", "Become a volunteer")
    _with_fields(volunteer, "edit", "volunteer edit", "Change your volunteer profile")
    _plain(volunteer, "show", "volunteer show", "Show your volunteer profile")
    _plain(volunteer, "resume", "volunteer resume", "Take asks again")
    _plain(volunteer, "leave", "volunteer leave", "Stop volunteering")

    @volunteer.command(name="pause", description="No new asks until a date")
    @app_commands.describe(until="YYYY-MM-DD (optional)")
    async def pause(interaction: discord.Interaction[Any], until: str | None = None) -> None:
        await run_text(interaction, _text("volunteer pause", until))

    # Moderator commands: the core checks the moderator role on every action.
    mod = app_commands.Group(name="mod", description="Moderators only", parent=top)
    _plain(mod, "queue", "mod queue", "Introductions waiting for approval")
    _with_id(mod, "approve", "mod approve", "Approve an introduction", required=True)
    _with_id(mod, "deny", "mod deny", "Deny an introduction (fields: reason=…)", required=True)
    _plain(mod, "audit", "mod audit", "Recent moderator actions")
    _with_fields(mod, "settings", "mod settings", "Show or change community settings")
    _plain(mod, "ledger", "mod ledger", "Who gave and received chats")
    _plain(mod, "digest", "mod digest", "Preview this week's digest")
    return top
